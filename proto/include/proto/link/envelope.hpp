// Envelopes: the messages peers exchange after the handshake
// (guides/protocol.md, "Envelopes"). Each is one msgpack array whose first
// element is a type code:
//
//     call   [1, req_id:u64 != 0, handle:str, args:any]
//     reply  [2, req_id:u64, result:any]
//     error  [3, req_id:u64, code:str, message:str]
//     send   [4, handle:str, args:any]
//     ping   [5, nonce:u64]
//     pong   [6, nonce:u64]
//     close  [7, reason:str, message:str]
//
// handle:          1..128 bytes of [A-Za-z0-9_.:/-]
// code, reason:    1..64 bytes of [a-z0-9_] (Errc names are such codes)
// message:         0..1024 bytes, not required to be UTF-8
// args, result:    exactly one msgpack object within MsgpackLimits; kept as
//                  its raw bytes, never re-encoded
//
// Decoding is strict: the exact array length for the type, unsigned integers
// where stated (any msgpack integer width; a signed encoding of a value >= 0
// is accepted, as msgpack-c reads it), strings as str (not bin), no bytes
// after the array. Anything else, an unknown type code included, is
// Errc::protocol_error with a message that says what was wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "proto/bytes.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kMaxHandleName = 128;
inline constexpr size_t kMaxCode = 64;
inline constexpr size_t kMaxMessage = 1024;

enum class EnvelopeType : uint8_t {
  call = 1,
  reply = 2,
  error = 3,
  send = 4,
  ping = 5,
  pong = 6,
  close = 7,
  pair = 8,
};

// For `args` and `result`: empty bytes encode as nil, and decoding always
// yields the object's bytes (so a nil arrives as {0xc0}).
struct Call {
  uint64_t req_id = 0;
  std::string handle;
  Bytes args;
  friend bool operator==(const Call&, const Call&) = default;
};
struct Reply {
  uint64_t req_id = 0;
  Bytes result;
  friend bool operator==(const Reply&, const Reply&) = default;
};
struct ErrorReply {
  uint64_t req_id = 0;
  std::string code;
  std::string message;
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};
struct Send {
  std::string handle;
  Bytes args;
  friend bool operator==(const Send&, const Send&) = default;
};
struct Ping {
  uint64_t nonce = 0;
  friend bool operator==(const Ping&, const Ping&) = default;
};
struct Pong {
  uint64_t nonce = 0;
  friend bool operator==(const Pong&, const Pong&) = default;
};
struct Close {
  std::string reason;
  std::string message;
  friend bool operator==(const Close&, const Close&) = default;
};

// One step of the pairing exchange (proto/pairing/exchange.hpp); only on a
// pairing connection. step 1..4; data at most kMaxPairData bytes; name at
// most kMaxPairName bytes without control characters.
inline constexpr size_t kMaxPairData = 64;
inline constexpr size_t kMaxPairName = 64;
struct Pair {
  uint8_t step = 0;
  Bytes data;
  std::string name;
  friend bool operator==(const Pair&, const Pair&) = default;
};

// The alternatives are in type-code order: index() + 1 is the type code.
using Envelope = std::variant<Call, Reply, ErrorReply, Send, Ping, Pong, Close, Pair>;

EnvelopeType type_of(const Envelope& e);
std::string_view to_string(EnvelopeType t);  // "call", "reply", ...

bool valid_handle_name(std::string_view name);
bool valid_code(std::string_view code);  // error codes and close reasons

// Checks the field rules above (not the args/result bytes, which the encoder
// copies as given). Errc::bad_request naming the offending field. The daemon
// calls this on anything built from a local client's input before encoding.
Status validate(const Envelope& e);

// Encodes without validating: `e` must satisfy validate(), and args/result
// must be empty or exactly one msgpack object.
Bytes encode(const Envelope& e);
// The same, appended to `out`.
void encode_to(Bytes& out, const Envelope& e);
// A send envelope from views, exactly as encode(Send{handle, args}), without
// copying the args into a Send first.
Bytes encode_send(std::string_view handle, ByteView args);
// A call envelope from views, exactly as encode(Call{req_id, handle, args}).
Bytes encode_call(uint64_t req_id, std::string_view handle, ByteView args);

Result<Envelope> decode_envelope(ByteView data, const MsgpackLimits& limits = {});

}  // namespace peernet
