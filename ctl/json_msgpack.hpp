// JSON <-> msgpack for peernetctl's scripting interface: ARGS_JSON on the
// command line becomes call/send args, and results and incoming args are
// printed as JSON.
//
//   msgpack                  JSON
//   nil, bool                null, true/false
//   int (any width)          integer (64-bit signed or unsigned)
//   float 32/64              number (NaN and infinities become null)
//   str                      string (invalid UTF-8 printed as U+FFFD)
//   bin                      {"$bin": "<base64>"}        (both ways)
//   ext type T               {"$ext": T, "$data": "<base64>"}  (both ways
//                            for application types 0..127)
//   array                    array
//   map                      object, keys in their order; a key that is not
//                            a str becomes its JSON text (1 -> "1",
//                            nil -> "null"); of keys that end up equal, the
//                            first wins
//
// From JSON, an integer stays an integer (1 -> msgpack int, 1.0 -> float 64),
// and an object whose keys are exactly "$bin" or "$ext" + "$data" is read as
// above (so a map with only a "$bin" key cannot be written from JSON).
// Nesting deeper than 32 containers is refused both ways, as the daemon
// refuses it (guides/control-api.md §4; its count includes the two levels of
// params around call and send args, so args may nest 30 deep).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet::ctl {

inline constexpr size_t kMaxJsonDepth = 32;

// Errc::bad_request "invalid JSON: …" with the line and column.
Result<nlohmann::ordered_json> parse_json(std::string_view text);
// Errc::bad_request for an invalid $bin/$ext object or too deep nesting.
Result<Bytes> json_to_msgpack(const nlohmann::ordered_json& value);
// parse_json, then json_to_msgpack.
Result<Bytes> json_text_to_msgpack(std::string_view text);
// `data` is exactly one msgpack object (empty: nil). Errc::protocol_error
// for anything else.
Result<nlohmann::ordered_json> msgpack_to_json(ByteView data);
// Compact one-line JSON text; invalid UTF-8 replaced.
std::string dump_json(const nlohmann::ordered_json& value);

// RFC 4648 base64 with padding; decoding also takes it without padding.
std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

}  // namespace peernet::ctl
