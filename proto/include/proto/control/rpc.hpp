// The control protocol's framing: msgpack-RPC over the Unix socket, in both
// directions (guides/control-api.md; github.com/msgpack-rpc/msgpack-rpc spec):
//
//     request       [0, msgid:u32, method:str, params:array]
//     response      [1, msgid:u32, error:nil|any, result:any]
//     notification  [2, method:str, params:array]
//
// Messages follow each other on the stream with no other framing. method is
// 1..256 bytes. params, error and result are kept as their raw msgpack bytes,
// validated against MsgpackLimits; proto/control interprets them.
//
// Errors, and what the server does with them:
//   Errc::bad_request        a complete msgpack value that is not a valid
//                            message (wrong length, method not a string,
//                            params too deep, ...). The stream is still in
//                            sync: answer an error (to bad_msgid() if any) and
//                            keep reading.
//   Errc::protocol_error     bytes that are not msgpack: the end of the value
//                            cannot be found, so the stream cannot be resynced.
//   Errc::payload_too_large  a message beyond the size cap, refused as soon as
//                            the buffered part (or the sizes it declares)
//                            passes the cap. Also unrecoverable.
// After an unrecoverable error failed() is true and the decoder returns that
// error forever: close the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "proto/bytes.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kDefaultMaxRpcMessage = size_t{2} << 20;
inline constexpr size_t kMaxRpcMethod = 256;

enum class RpcType : uint8_t { request = 0, response = 1, notification = 2 };

// Raw fields: `params` empty encodes as [], `error` and `result` empty encode
// as nil. Decoding always yields the object's bytes (a nil error is {0xc0}).
struct RpcRequest {
  uint32_t msgid = 0;
  std::string method;
  Bytes params;
  friend bool operator==(const RpcRequest&, const RpcRequest&) = default;
};
struct RpcResponse {
  uint32_t msgid = 0;
  Bytes error;
  Bytes result;
  // Whether `error` is something other than nil.
  bool is_error() const { return !error.empty() && !(error.size() == 1 && error[0] == 0xc0); }
  friend bool operator==(const RpcResponse&, const RpcResponse&) = default;
};
struct RpcNotification {
  std::string method;
  Bytes params;
  friend bool operator==(const RpcNotification&, const RpcNotification&) = default;
};

// The alternatives are in type order: index() is the type code.
using RpcMessage = std::variant<RpcRequest, RpcResponse, RpcNotification>;

// Encodes without validating: method must be 1..256 bytes, params empty or
// one msgpack array, error/result empty or one msgpack object.
Bytes encode(const RpcMessage& m);
void encode_to(Bytes& out, const RpcMessage& m);

// Decodes exactly one message filling all of `data`. Errors are
// Errc::bad_request, including for bytes that are not msgpack.
Result<RpcMessage> decode_rpc(ByteView data, const MsgpackLimits& limits = {});

// Splits a byte stream into messages, for any split of the stream into
// chunks. Pull style, like FrameDecoder:
//
//     PEERNET_TRY_VOID(dec.feed(chunk));
//     for (;;) {
//       auto m = dec.next();
//       if (!m.ok()) {
//         if (dec.failed()) return close(m.error());
//         answer_error(dec.bad_msgid(), m.error());  // bad_request; go on
//         continue;
//       }
//       if (!*m) break;  // needs more of the stream
//       dispatch(std::move(**m));
//     }
//
// Cost is linear in the stream however it is split: a partial message is
// scanned once (MsgpackScanner keeps its place), and each complete message is
// validated and decoded once. Memory: only a message that straddles chunks is
// copied, and the copy never exceeds max_message bytes.
class RpcDecoder {
 public:
  explicit RpcDecoder(size_t max_message = kDefaultMaxRpcMessage, MsgpackLimits limits = {})
      : max_message_(max_message), limits_(limits), scanner_(max_message) {}

  // Hands over the next chunk. The decoder keeps a view of `data`, not a copy,
  // until next() has returned nullopt (or an unrecoverable error); feeding
  // again before that is Errc::invalid_state.
  Status feed(ByteView data);

  // The next message; nullopt when more of the stream is needed; an error as
  // described at the top of this file.
  Result<std::optional<RpcMessage>> next();

  // The same in two steps, for a caller with a faster path for some
  // messages: next_raw() finds the next complete message and returns its
  // bytes (valid until the next call to next_raw() or feed()) without
  // decoding them; decode() decodes such bytes as next() would (bad_msgid()
  // included). next_raw() errors are the unrecoverable ones only.
  Result<std::optional<ByteView>> next_raw();
  Result<std::optional<RpcMessage>> decode(ByteView message) { return finish(message); }
  const MsgpackLimits& limits() const { return limits_; }
  // The part of the fed chunk not read yet, and the same bytes moved
  // elsewhere: a caller that stops mid-chunk and must give the chunk's
  // buffer back copies unread() and hands the copy to relocate().
  ByteView unread() const { return input_; }
  void relocate(ByteView copy) { input_ = copy; }
  // For a caller that read a whole message at the start of unread() itself
  // (no message straddles, at_message_start()): consumes its `size` bytes,
  // which must not exceed max_message().
  bool at_message_start() const { return partial_.empty() && !error_; }
  void skip(size_t size) { input_ = input_.subspan(size); }
  size_t max_message() const { return max_message_; }

  bool failed() const { return error_.has_value(); }
  // After next() returned bad_request: the msgid of the rejected message if
  // it was a request whose msgid could be read (so the error can be answered).
  std::optional<uint32_t> bad_msgid() const { return bad_msgid_; }
  // Bytes of a partial message held by the decoder: at most max_message.
  size_t buffered() const { return partial_.size(); }

 private:
  Error fail(Errc code, std::string message);
  Result<std::optional<RpcMessage>> finish(ByteView message);

  size_t max_message_;
  MsgpackLimits limits_;
  MsgpackScanner scanner_;
  ByteView input_;  // the unread rest of the fed chunk
  Bytes partial_;   // the beginning of a message that straddles chunks
  Bytes whole_;     // such a message once complete, for next_raw()'s view
  std::optional<uint32_t> bad_msgid_;
  std::optional<Error> error_;
};

}  // namespace peernet
