// The handshake payload (guides/protocol.md, "Handshake payloads").
//
// Noise XX messages 2 and 3 carry, encrypted, a msgpack map:
//
//     {"v": 1, "port": u16, "caps": [str, ...]}
//
//     v     protocol version, unsigned; this implementation speaks 1 only
//     port  the sender's listening TCP port, 0 when it does not listen, so
//           the other side can dial back after a drop
//     caps  capability names, at most 32, each 1..64 bytes
//     max_envelope  optional: the largest envelope the sender accepts, in
//           bytes (kMinAnnouncedEnvelope..kMaxAnnouncedEnvelope); the other
//           side sends nothing larger. Absent (older peers): the default
//           of guides/protocol.md §4
//     pair  only in a pairing handshake: the pairing code's nameplate,
//           3 ASCII digits (guides/protocol.md §10)
//
// v, port and caps are required; max_envelope and pair are written only
// when set, in that order after caps. Keys are str; unknown keys are ignored (so a
// later version can add some) but still bounded: at most 64 entries, values
// within MsgpackLimits. A duplicate known key, a missing key or a wrong type
// is Errc::protocol_error; v != 1 is Errc::unsupported (checked first, since
// another version may change the other fields). Message 1's payload is empty
// and is not a Hello.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr uint64_t kProtocolVersion = 1;
inline constexpr size_t kMaxCaps = 32;
inline constexpr size_t kMaxCapLength = 64;
inline constexpr size_t kMaxHelloEntries = 64;
inline constexpr uint64_t kMinAnnouncedEnvelope = 1024;
inline constexpr uint64_t kMaxAnnouncedEnvelope = uint64_t{1} << 32;

struct Hello {
  uint16_t port = 0;
  std::vector<std::string> caps;
  std::optional<std::string> pair;  // a pairing handshake's nameplate
  std::optional<uint64_t> max_envelope;  // the largest envelope the sender accepts
  friend bool operator==(const Hello&, const Hello&) = default;
};

// Precondition: caps within the bounds above (the daemon's own list).
Bytes encode_hello(const Hello& hello);
Result<Hello> decode_hello(ByteView payload, const MsgpackLimits& limits = {});

}  // namespace peernet
