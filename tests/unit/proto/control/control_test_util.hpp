// Builders for hand-made msgpack in the control tests: the encoders under
// test are not used to make the inputs that test their decoders.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/result.hpp"

namespace peernet::mp {

inline Bytes s(std::string_view v) {
  Bytes out;
  MsgpackWriter(out).str(v);
  return out;
}
inline Bytes u(uint64_t v) {
  Bytes out;
  MsgpackWriter(out).uint(v);
  return out;
}
inline Bytes i(int64_t v) {
  Bytes out;
  MsgpackWriter(out).integer(v);
  return out;
}
inline Bytes b(bool v) {
  Bytes out;
  MsgpackWriter(out).boolean(v);
  return out;
}
inline Bytes nil() { return Bytes{0xc0}; }
inline Bytes bin(ByteView v) {
  Bytes out;
  MsgpackWriter(out).bin(v);
  return out;
}
inline Bytes f64(double v) {
  Bytes out{0xcb};
  uint64_t bits = std::bit_cast<uint64_t>(v);
  for (int k = 7; k >= 0; --k) out.push_back(static_cast<uint8_t>(bits >> (8 * k)));
  return out;
}
inline Bytes f32(float v) {
  Bytes out{0xca};
  uint32_t bits = std::bit_cast<uint32_t>(v);
  for (int k = 3; k >= 0; --k) out.push_back(static_cast<uint8_t>(bits >> (8 * k)));
  return out;
}
inline Bytes arr(const std::vector<Bytes>& items) {
  Bytes out;
  MsgpackWriter(out).array(static_cast<uint32_t>(items.size()));
  for (const auto& x : items) out.insert(out.end(), x.begin(), x.end());
  return out;
}
// A map with arbitrary (already-encoded) keys.
inline Bytes raw_map(const std::vector<std::pair<Bytes, Bytes>>& entries) {
  Bytes out;
  MsgpackWriter(out).map(static_cast<uint32_t>(entries.size()));
  for (const auto& [k, v] : entries) {
    out.insert(out.end(), k.begin(), k.end());
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}
using Entries = std::vector<std::pair<std::string, Bytes>>;
inline Bytes map(const Entries& entries) {
  std::vector<std::pair<Bytes, Bytes>> raw;
  for (const auto& [k, v] : entries) raw.emplace_back(s(k), v);
  return raw_map(raw);
}
// A params array [ {entries} ].
inline Bytes params(const Entries& entries) { return arr({map(entries)}); }

}  // namespace peernet::mp

namespace peernet::test {

inline PublicKey key(uint8_t seed) {
  PublicKey k;
  for (size_t n = 0; n < k.bytes.size(); ++n) k.bytes[n] = static_cast<uint8_t>(seed + 7 * n);
  return k;
}

// The error code of a failed Result, or Errc::internal when it succeeded
// (no test expects internal).
template <class T>
Errc code_of(const Result<T>& r) {
  return r.ok() ? Errc::internal : r.error().code;
}
template <class T>
std::string message_of(const Result<T>& r) {
  return r.ok() ? std::string("(ok)") : r.error().message;
}

}  // namespace peernet::test
