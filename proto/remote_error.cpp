#include "proto/remote_error.hpp"

namespace peernet {

Error error_from_remote(std::string_view code, std::string message) {
  if (auto known = errc_from_string(code)) return make_error(*known, std::move(message));
  std::string text(code);
  if (!message.empty()) text += ": " + message;
  return make_error(Errc::handler_failed, std::move(text));
}

}  // namespace peernet
