// Responses and the error map (guides/control-api.md, "Errors").
//
// A response carries either a result or an error, never both:
//
//     [1, msgid, nil, result]
//     [1, msgid, {"code": "peer_offline", "message": "no session to peer(ABCD…WXYZ)"}, nil]
//
// The daemon's codes are Errc names (proto/result.hpp to_string). A client
// that answers handle.call with an error may use any code of the peer
// protocol's syntax, 1..64 bytes of [a-z0-9_]; the daemon relays it to the
// calling peer as given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "proto/bytes.hpp"
#include "proto/result.hpp"
#include "proto/control/rpc.hpp"

namespace peernet::control {

struct ErrorBody {
  std::string code;
  std::string message;
  friend bool operator==(const ErrorBody&, const ErrorBody&) = default;
};

// {to_string(e.code), e.message}
ErrorBody error_body(const Error& e);
// The Errc of a known code name; any other code becomes handler_failed with
// the code kept in the message ("not_found: no such user").
Error to_error(const ErrorBody& body);

// {"code": …, "message": …}. Precondition: code is 1..64 bytes of [a-z0-9_].
Bytes encode_error(const ErrorBody& body);
Bytes encode_error(const Error& e);

// The daemon reading a client's error map (strictly; Errc::bad_request):
// "code" is required and valid_code(), "message" is optional (default "")
// and at most kMaxErrorMessage bytes, no other key.
Result<ErrorBody> decode_client_error(ByteView data);
// A client reading the daemon's error map (Errc::protocol_error): "code"
// required, "message" optional, other keys ignored.
Result<ErrorBody> decode_daemon_error(ByteView data);

// Responses. An empty result encodes as nil.
RpcResponse result_response(uint32_t msgid, Bytes result);
RpcResponse error_response(uint32_t msgid, const ErrorBody& error);
RpcResponse error_response(uint32_t msgid, const Error& error);

// A client's answer to handle.call, as the daemon reads it: the result bytes
// (relayed in a reply envelope), or the error (relayed in an error envelope).
// Errc::bad_request when the error map is malformed or when both error and
// result are non-nil; the daemon then answers the peer handler_failed.
struct HandlerAnswer {
  Bytes result;  // when !error
  std::optional<ErrorBody> error;
  friend bool operator==(const HandlerAnswer&, const HandlerAnswer&) = default;
};
Result<HandlerAnswer> decode_handler_answer(const RpcResponse& response);

// A daemon's response, as a client reads it: the result bytes, or the
// daemon's error through to_error(). A malformed error map is
// Errc::protocol_error.
Result<Bytes> response_result(const RpcResponse& response);

}  // namespace peernet::control
