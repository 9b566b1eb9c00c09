// JSON <-> msgpack for command handles (command_handles.hpp): a call's
// args reach the program's stdin as JSON, and its stdout, when it is JSON,
// goes back to the caller as msgpack. The mapping is peernetctl's
// (ctl/json_msgpack.hpp), so that what a script prints with peernetctl is
// what a command handle reads:
//
//   msgpack                  JSON
//   nil, bool                null, true/false
//   int (any width)          integer (64-bit signed or unsigned)
//   float 32/64              number (NaN and infinities become null)
//   str                      string (invalid UTF-8 replaced by U+FFFD)
//   bin                      {"$bin": "<base64>"}              (both ways)
//   ext type T               {"$ext": T, "$data": "<base64>"}  (both ways)
//   array                    array
//   map                      object; a key that is not a str becomes its
//                            JSON text (1 -> "1"); of keys that end up
//                            equal, the first wins
//
// From JSON an integer stays an integer and a fraction becomes a float 64.
// JSON objects have no order: keys come out sorted.
#pragma once

#include <string>
#include <string_view>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

// `data` is exactly one msgpack object within the protocol's limits
// (guides/protocol.md §5.3); empty means nil. Returns compact JSON text on
// one line, without a newline. Errc::bad_request for anything else.
Result<std::string> json_from_msgpack(ByteView data);

// `text` is one JSON document, whitespace around it allowed. Errc::bad_request
// when it is not JSON, nests deeper than 32 containers, or makes msgpack
// beyond the protocol's limits.
Result<Bytes> msgpack_from_json(std::string_view text);

}  // namespace peernet
