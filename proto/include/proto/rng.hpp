// Randomness is injected: proto/ never reaches for a global generator, so
// every state machine is deterministic under test (fixed ephemeral keys for
// the Noise vectors, fixed request ids for the worked protocol example).
#pragma once

#include <cstdint>
#include <span>

namespace peernet {

class Rng {
 public:
  virtual ~Rng() = default;
  // Fill `out` with cryptographically secure random bytes. Must not fail;
  // an implementation that cannot produce randomness aborts.
  virtual void fill(std::span<uint8_t> out) = 0;

  uint64_t next_u64() {
    uint64_t v = 0;
    fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof v));
    return v;
  }
};

}  // namespace peernet
