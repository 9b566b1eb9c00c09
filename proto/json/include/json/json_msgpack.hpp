// JSON <-> msgpack, the one mapping of the whole project. peernetctl uses it
// for its scripting interface (ARGS_JSON becomes call/send args; results and
// incoming args are printed as JSON), and peernetd for command handles (a
// call's args reach the program's stdin as JSON; its stdout, when it is
// JSON, goes back to the caller as msgpack). So what a script prints with
// peernetctl is what a command handle reads, and the other way round.
//
//   msgpack                  JSON
//   nil, bool                null, true/false
//   int (any width)          integer (64-bit signed or unsigned)
//   float 32/64              number (NaN and infinities become null)
//   str                      string (invalid UTF-8 printed as U+FFFD)
//   bin                      {"$bin": "<base64>"}              (both ways)
//   ext type T               {"$ext": T, "$data": "<base64>"}  (both ways)
//   array                    array
//   map                      object, keys in their order; a key that is not
//                            a str becomes its JSON text (1 -> "1",
//                            nil -> "null"); of keys that end up equal, the
//                            first wins
//
// From JSON, an integer stays an integer (1 -> msgpack int, 1.0 -> float 64),
// keys keep the order they are written in (a key written twice keeps its
// first place and its last value), and an object whose keys are exactly
// "$bin" or "$ext" + "$data" is read as above (so a map with only a "$bin"
// key cannot be written from JSON). The msgpack made from JSON must be within
// the protocol's limits (proto/msgpack_check.hpp): no ext type the msgpack
// spec reserves, a type -1 only as a well-formed timestamp.
//
// Nesting deeper than 32 containers is refused both ways, as the daemon
// refuses it (guides/protocol.md §5.3, guides/control-api.md §4; the control
// API's count includes the two levels of params around call and send args,
// so there args may nest 30 deep). Both directions build objects in linear
// time: an object's keys are looked up in a hash table while it is built,
// never by a scan of the keys before it, because the input may come from a
// remote peer (a map of 65536 keys is within the protocol's limits).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kMaxJsonDepth = 32;

// Errc::bad_request "invalid JSON: …" with the line and column, or for too
// deep nesting.
Result<nlohmann::ordered_json> parse_json(std::string_view text);
// Errc::bad_request for an invalid $bin/$ext object, too deep nesting, or
// msgpack beyond the protocol's limits.
Result<Bytes> json_to_msgpack(const nlohmann::ordered_json& value);
// parse_json, then json_to_msgpack.
Result<Bytes> json_text_to_msgpack(std::string_view text);
// `data` is exactly one msgpack object within the protocol's limits (empty:
// nil). Errc::protocol_error for anything else.
Result<nlohmann::ordered_json> msgpack_to_json(ByteView data);
// Compact one-line JSON text; invalid UTF-8 replaced.
std::string dump_json(const nlohmann::ordered_json& value);

// RFC 4648 base64 with padding; decoding also takes it without padding.
std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

}  // namespace peernet
