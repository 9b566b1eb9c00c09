// The operating system's randomness, for the daemon (proto/ takes an Rng).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/rng.hpp"

namespace peernet {

// OpenSSL's RAND_bytes (seeded from getrandom). Aborts with a message if
// OpenSSL cannot produce randomness: there is no safe way to go on.
//
// Small requests (a request id per call, an ephemeral key per handshake)
// are served from a buffer filled 1 KiB at a time: RAND_bytes costs ~6,000
// instructions per call whatever its length. Bytes handed out are wiped
// from the buffer.
class OsRng final : public Rng {
 public:
  OsRng() = default;
  OsRng(const OsRng&) = delete;
  OsRng& operator=(const OsRng&) = delete;
  ~OsRng() override;
  void fill(std::span<uint8_t> out) override;

 private:
  static constexpr size_t kBufferSize = 1024;
  std::array<uint8_t, kBufferSize> buffer_{};
  size_t available_ = 0;  // the last `available_` bytes of buffer_ are unused
};

}  // namespace peernet
