// Errors as values.
//
// Every fallible function in peernetd returns Result<T>: either a value or an
// Error, which is an Errc (a stable code with a stable string name) plus a
// human-readable message. The string names are part of the public control
// API (guides/control-api.md) and of the peer protocol's close reasons, so
// they never change once released; add new codes at the end.
//
// No exceptions cross this boundary: code that calls a throwing library
// (msgpack-c, toml++) catches at the call site and converts.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace peernet {

enum class Errc : uint8_t {
  bad_request,        // malformed or invalid input from a local client
  peer_offline,       // no live session to that peer
  timeout,            // a deadline passed before an answer came
  no_such_handle,     // the peer (or we) expose no handle by that name
  forbidden,          // the caller is not allowed to do this
  untrusted_peer,     // the remote key is not on the trust list
  payload_too_large,  // a message exceeds a configured or protocol limit
  handle_taken,       // expose of a name that is already exposed
  busy,               // a bounded resource (queue, slots) is full
  no_such_peer,       // a peer name/prefix that matches nothing
  ambiguous_peer,     // a peer prefix that matches several peers
  protocol_error,     // the remote violated the wire protocol
  decrypt_failed,     // AEAD authentication failed
  nonce_exhausted,    // a cipher state ran out of nonces
  invalid_state,      // an operation at the wrong time (e.g. not our turn)
  bad_key,            // malformed or unusable key material
  bad_peer_id,        // a peer id text that does not parse
  io_error,           // the operating system reported an error
  config_error,       // a configuration file or option is invalid
  closed,             // the connection or session is closed
  unsupported,        // a feature, version or protocol we do not implement
  internal,           // a bug in peernetd; please report it
  insecure_file,      // a secret file is readable by others
  cancelled,          // the operation was abandoned (shutdown, revoke)
  exists,             // the object already exists
  handler_failed,     // a local handler answered with an error
  pairing_failed,     // a pairing attempt failed: wrong code, or attempts exhausted
};

// The stable string name of a code ("peer_offline", ...).
std::string_view to_string(Errc code);
// Inverse of to_string; nullopt for an unknown name.
std::optional<Errc> errc_from_string(std::string_view name);

struct Error {
  Errc code;
  std::string message;

  // "peer_offline: no session to peer(ABCD…WXYZ)"
  std::string describe() const;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)) {}

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(!ok()); return *err_; }
  Error&& error() && { assert(!ok()); return std::move(*err_); }

 private:
  std::optional<Error> err_;
};

using Status = Result<void>;

}  // namespace peernet

// Propagate an error: PEERNET_TRY(auto x, f()); or PEERNET_TRY_VOID(g());
#define PEERNET_CONCAT_INNER(a, b) a##b
#define PEERNET_CONCAT(a, b) PEERNET_CONCAT_INNER(a, b)
#define PEERNET_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
#define PEERNET_TRY(decl, expr) \
  PEERNET_TRY_IMPL(PEERNET_CONCAT(peernet_try_, __LINE__), decl, expr)
#define PEERNET_TRY_VOID(expr)                          \
  do {                                                  \
    auto peernet_try_s = (expr);                        \
    if (!peernet_try_s.ok()) return std::move(peernet_try_s).error(); \
  } while (0)
