// The operating system's randomness, for the daemon (proto/ takes an Rng).
#pragma once

#include <span>

#include "proto/rng.hpp"

namespace peernet {

// OpenSSL's RAND_bytes (seeded from getrandom). Aborts with a message if
// OpenSSL cannot produce randomness: there is no safe way to go on.
class OsRng final : public Rng {
 public:
  void fill(std::span<uint8_t> out) override;
};

}  // namespace peernet
