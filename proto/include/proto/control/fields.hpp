// Reading and writing the named-field maps that every control params,
// result and event is made of. The kinds of schema.hpp are built on it; other
// code uses those, not this.
//
// A reader lists the keys its map may hold and then asks for each one by
// type; the error rules live here once instead of in every kind:
//
//   - The daemon reads what a client sent (Side::daemon): a key it does not
//     list is an error, and errors are Errc::bad_request. A client reads what
//     the daemon sent (Side::client): unknown keys are skipped, so the daemon
//     can add result keys within version 1, and errors are
//     Errc::protocol_error (the daemon broke the protocol).
//   - Keys are str; a known key twice is an error on both sides.
//   - An optional key may be absent or nil; a required key must be present,
//     and only `any` values may be nil.
//   - Every message names the context and the key and says what was expected
//     and what was found:  call: "timeout": expected a number, found a string
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/result.hpp"

namespace peernet::control::detail {

enum class Side : uint8_t { daemon, client };

using Keys = std::span<const std::string_view>;

class Fields {
 public:
  // One map, filling all of `data`. `context` starts every error message.
  static Result<Fields> open(ByteView data, std::string context, Side side, Keys known);
  // A request's or notification's params: an array of exactly one map.
  static Result<Fields> open_params(ByteView params, std::string_view method, Side side,
                                    Keys known);

  // Present with a value other than nil.
  bool has(std::string_view key) const;

  // A str of 1..max bytes.
  Result<std::string> str(std::string_view key, size_t max) const;
  Result<std::optional<std::string>> opt_str(std::string_view key, size_t max) const;
  // A str of 0..max bytes (human text, which may be empty).
  Result<std::optional<std::string>> opt_text(std::string_view key, size_t max) const;
  Result<bool> boolean(std::string_view key) const;
  Result<std::optional<bool>> opt_boolean(std::string_view key) const;
  Result<uint64_t> uint(std::string_view key) const;
  // Any msgpack integer or float, as a finite double.
  Result<double> number(std::string_view key) const;
  Result<std::optional<double>> opt_number(std::string_view key) const;
  Result<Bytes> bin(std::string_view key) const;
  // Any one object, nil included: its exact bytes.
  Result<ByteView> any(std::string_view key) const;
  // The bytes of a map value (for a nested Fields::open).
  Result<ByteView> map(std::string_view key) const;
  Result<std::optional<ByteView>> opt_map(std::string_view key) const;
  // An array of at most max_items strs, each 1..max_len bytes.
  Result<std::vector<std::string>> str_list(std::string_view key, size_t max_items,
                                            size_t max_len) const;
  Result<std::optional<std::vector<std::string>>> opt_str_list(std::string_view key,
                                                               size_t max_items,
                                                               size_t max_len) const;
  // A peer id text (proto/peer_id.hpp). On the daemon side a typo is
  // Errc::bad_peer_id, so the client can tell the user which character.
  Result<PublicKey> peer_id(std::string_view key) const;

  // "<context>: \"key\": problem", with the side's error code.
  Error error(std::string_view key, std::string_view problem) const;
  Error error(std::string_view problem) const;
  Errc errc() const { return side_ == Side::daemon ? Errc::bad_request : Errc::protocol_error; }
  const std::string& context() const { return context_; }
  Side side() const { return side_; }

 private:
  Fields(std::string context, Side side) : context_(std::move(context)), side_(side) {}
  // The raw value; nullopt when the key is absent. Nil is returned as {0xc0}.
  std::optional<ByteView> find(std::string_view key) const;
  // The raw value of a required key; absent is an error.
  Result<ByteView> require(std::string_view key) const;
  Error mismatch(std::string_view key, std::string_view expected, ByteView found) const;

  std::string context_;
  Side side_;
  std::vector<std::pair<std::string_view, ByteView>> entries_;
};

// Opens a map that is an element of a result list, named "<context>[i]".
Result<Fields> open_element(ByteView data, std::string_view context, size_t index, Side side,
                            Keys known);

// The elements of an array filling all of `data`, each as its raw bytes.
Result<std::vector<ByteView>> array_elements(ByteView data, std::string_view context, Errc errc);

// Appends msgpack: MsgpackWriter plus the value kinds control messages use.
class Writer {
 public:
  explicit Writer(Bytes& out) : out_(&out), w_(out) {}
  Writer& array(uint32_t n) {
    w_.array(n);
    return *this;
  }
  Writer& map(uint32_t n) {
    w_.map(n);
    return *this;
  }
  // A key; the value follows.
  Writer& key(std::string_view k) {
    w_.str(k);
    return *this;
  }
  void str(std::string_view s) { w_.str(s); }
  void uint(uint64_t v) { w_.uint(v); }
  void boolean(bool v) { w_.boolean(v); }
  void nil() { w_.nil(); }
  void bin(ByteView b) { w_.bin(b); }
  // float 64. Precondition: finite.
  void real(double v);
  // Already-encoded msgpack; empty stands for nil.
  void raw(ByteView b);
  // The peer id text of `key`.
  void peer_id(const PublicKey& key);
  void opt_str(const std::optional<std::string>& s);
  void opt_real(const std::optional<double>& v);
  void str_list(const std::vector<std::string>& list);

 private:
  Bytes* out_;
  MsgpackWriter w_;
};

// Encodes `count` named fields as the params array [ {…} ]: writes the array
// and map headers and returns the writer for the entries.
Writer params_writer(Bytes& out, uint32_t count);

}  // namespace peernet::control::detail
