#include "proto/result.hpp"

#include <array>

namespace peernet {
namespace {

// One table, indexed by the enum's value. The names are a public interface
// (control API error codes, peer close reasons): never rename one.
constexpr std::array<std::string_view, 27> kNames = {
    "bad_request",     "peer_offline",   "timeout",        "no_such_handle",
    "forbidden",       "untrusted_peer", "payload_too_large", "handle_taken",
    "busy",            "no_such_peer",   "ambiguous_peer", "protocol_error",
    "decrypt_failed",  "nonce_exhausted", "invalid_state", "bad_key",
    "bad_peer_id",     "io_error",       "config_error",   "closed",
    "unsupported",     "internal",       "insecure_file",  "cancelled",
    "exists",          "handler_failed", "pairing_failed",
};
static_assert(kNames.size() == static_cast<size_t>(Errc::pairing_failed) + 1,
              "every Errc needs a name");

}  // namespace

std::string_view to_string(Errc code) {
  auto i = static_cast<size_t>(code);
  return i < kNames.size() ? kNames[i] : std::string_view("internal");
}

std::optional<Errc> errc_from_string(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Errc>(i);
  return std::nullopt;
}

std::string Error::describe() const {
  std::string s(to_string(code));
  if (!message.empty()) {
    s += ": ";
    s += message;
  }
  return s;
}

}  // namespace peernet
