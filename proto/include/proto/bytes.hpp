// Byte buffers and the few helpers every module needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/result.hpp"

namespace peernet {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex, and its inverse (accepts either case; rejects odd length
// and non-hex characters with Errc::bad_request).
std::string to_hex(ByteView bytes);
Result<Bytes> from_hex(std::string_view hex);

// Overwrite secrets before their memory is released (not elided by the
// optimiser; OPENSSL_cleanse underneath).
void secure_wipe(MutableByteView bytes);
// The same for text that held a secret (a key in hex, an encoded identity).
inline void secure_wipe(std::string& text) {
  secure_wipe(MutableByteView(reinterpret_cast<uint8_t*>(text.data()), text.size()));
}

// Big-endian integer helpers for the wire formats.
inline void put_u16be(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_u32be(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline uint16_t get_u16be(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t get_u32be(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace peernet
