#include "proto/control/response.hpp"

#include <array>

#include "proto/control/fields.hpp"
#include "proto/control/methods.hpp"
#include "proto/link/envelope.hpp"
#include "proto/remote_error.hpp"

namespace peernet::control {
namespace {

using detail::Fields;
using detail::Side;

constexpr std::array<std::string_view, 2> kErrorKeys = {"code", "message"};

bool is_nil_or_empty(const Bytes& b) { return b.empty() || (b.size() == 1 && b[0] == 0xc0); }

}  // namespace

ErrorBody error_body(const Error& e) {
  return ErrorBody{std::string(to_string(e.code)), e.message};
}

Error to_error(const ErrorBody& body) { return error_from_remote(body.code, body.message); }

Bytes encode_error(const ErrorBody& body) {
  Bytes out;
  detail::Writer w(out);
  w.map(2);
  w.key("code").str(body.code);
  w.key("message").str(body.message);
  return out;
}

Bytes encode_error(const Error& e) { return encode_error(error_body(e)); }

Result<ErrorBody> decode_client_error(ByteView data) {
  PEERNET_TRY(Fields f, Fields::open(data, "error", Side::daemon, kErrorKeys));
  ErrorBody body;
  PEERNET_TRY(body.code, f.str("code", kMaxCode));
  if (!valid_code(body.code))
    return f.error("code", "\"" + body.code + "\" is not 1..64 bytes of [a-z0-9_]");
  PEERNET_TRY(auto message, f.opt_text("message", kMaxErrorMessage));
  body.message = message.value_or("");
  return body;
}

Result<ErrorBody> decode_daemon_error(ByteView data) {
  PEERNET_TRY(Fields f, Fields::open(data, "error", Side::client, kErrorKeys));
  ErrorBody body;
  PEERNET_TRY(body.code, f.str("code", kMaxCode));
  // The daemon sends messages of any length its own limits allow.
  PEERNET_TRY(auto message, f.opt_text("message", kDefaultMaxMessage));
  body.message = message.value_or("");
  return body;
}

RpcResponse result_response(uint32_t msgid, Bytes result) {
  return RpcResponse{msgid, Bytes{0xc0}, std::move(result)};
}

RpcResponse error_response(uint32_t msgid, const ErrorBody& error) {
  return RpcResponse{msgid, encode_error(error), Bytes{0xc0}};
}

RpcResponse error_response(uint32_t msgid, const Error& error) {
  return error_response(msgid, error_body(error));
}

Result<HandlerAnswer> decode_handler_answer(const RpcResponse& response) {
  HandlerAnswer answer;
  if (!response.is_error()) {
    answer.result = response.result.empty() ? Bytes{0xc0} : response.result;
    return answer;
  }
  if (!is_nil_or_empty(response.result))
    return make_error(Errc::bad_request, "response: an error response must have a nil result");
  PEERNET_TRY(answer.error, decode_client_error(response.error));
  return answer;
}

Result<Bytes> response_result(const RpcResponse& response) {
  if (!response.is_error()) return response.result.empty() ? Bytes{0xc0} : response.result;
  PEERNET_TRY(ErrorBody body, decode_daemon_error(response.error));
  return to_error(body);
}

}  // namespace peernet::control
