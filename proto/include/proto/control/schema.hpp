// Field descriptors: how a control method's params and result are described
// once and encoded, decoded and summarised from that description.
//
// Every struct that travels as a named-field map lists its fields, in wire
// order, as a tuple of descriptors:
//
//     static constexpr auto kFields = std::tuple{
//         field("peer", &CallParams::peer, Str{kMaxPeerName}),
//         field("timeout", &CallParams::timeout, omitted(Number{})),
//     };
//
// A descriptor names the key, the member it fills and its kind. The kind
// knows the msgpack type, the bounds and the error message of one value;
// the strictness rules that apply to every map (unknown keys, duplicates,
// missing keys, which side is lenient) are Fields' (fields.hpp). A rule that
// spans fields is the struct's optional hook
//
//     static Status check(const CallParams& p, const detail::Fields& f);
//
// which runs after every field was read. The encoder writes the keys in
// kFields order, so the order there is the order on the wire.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/control/fields.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet::control {

using detail::Fields;
using detail::Side;
using detail::Writer;

// ---- Descriptors ----------------------------------------------------------------

template <class S, class T, class K>
struct FieldSpec {
  std::string_view key;
  T S::*member;
  K kind;
  // When set and false for the struct at hand, the key is neither written
  // nor read (a dropped send's reason exists only when it was dropped).
  bool (*when)(const S&) = nullptr;

  constexpr FieldSpec only_if(bool (*pred)(const S&)) const { return {key, member, kind, pred}; }
};

template <class S, class T, class K>
constexpr FieldSpec<S, T, K> field(std::string_view key, T S::*member, K kind) {
  return {key, member, kind};
}

// ---- Kinds ----------------------------------------------------------------------
// Each kind has `kType` (for the method table's summaries), write() and
// read(); `kOptional` marks kinds a map may omit.

// A str of 1..max bytes.
struct Str {
  size_t max;
  static constexpr std::string_view kType = "str";
  void write(Writer& w, const std::string& v) const { w.str(v); }
  Status read(const Fields& f, std::string_view key, std::string& out) const;
};

// Human text of 0..max bytes; absent or nil reads as "".
struct Text {
  size_t max;
  static constexpr std::string_view kType = "str";
  static constexpr bool kOptional = true;
  void write(Writer& w, const std::string& v) const { w.str(v); }
  Status read(const Fields& f, std::string_view key, std::string& out) const;
};

// A handle name that valid_handle_name() accepts (proto/link/envelope.hpp).
struct HandleName {
  static constexpr std::string_view kType = "str";
  void write(Writer& w, const std::string& v) const { w.str(v); }
  Status read(const Fields& f, std::string_view key, std::string& out) const;
};

// A peer id text (proto/peer_id.hpp).
struct PeerIdText {
  static constexpr std::string_view kType = "peer id";
  void write(Writer& w, const PublicKey& v) const { w.peer_id(v); }
  Status read(const Fields& f, std::string_view key, PublicKey& out) const;
};

// The bin 32 of a key read under another name before it; reading checks
// that the two agree (identity's public_key and id).
struct KeyBytes {
  std::string_view same_as;
  static constexpr std::string_view kType = "bin";
  void write(Writer& w, const PublicKey& v) const { w.bin(v.view()); }
  Status read(const Fields& f, std::string_view key, PublicKey& out) const;
};

struct Bool {
  static constexpr std::string_view kType = "bool";
  void write(Writer& w, bool v) const { w.boolean(v); }
  Status read(const Fields& f, std::string_view key, bool& out) const;
};

// A boolean that is always written and reads as false when absent or nil.
struct Flag {
  static constexpr std::string_view kType = "bool";
  static constexpr bool kOptional = true;
  void write(Writer& w, bool v) const { w.boolean(v); }
  Status read(const Fields& f, std::string_view key, bool& out) const;
};

struct Uint {
  static constexpr std::string_view kType = "uint";
  void write(Writer& w, uint64_t v) const { w.uint(v); }
  Status read(const Fields& f, std::string_view key, uint64_t& out) const;
};

// Any finite msgpack number, written as a float 64.
struct Number {
  static constexpr std::string_view kType = "float";
  void write(Writer& w, double v) const { w.real(v); }
  Status read(const Fields& f, std::string_view key, double& out) const;
};

// The control protocol version a hello carries: another one is
// Errc::unsupported, since it may mean other keys and rules.
struct ProtocolVersion {
  static constexpr std::string_view kType = "1";
  void write(Writer& w, uint64_t v) const { w.uint(v); }
  Status read(const Fields& f, std::string_view key, uint64_t& out) const;
};

// Any one msgpack object, nil included, kept as its exact bytes; empty
// bytes are written as nil.
struct Raw {
  static constexpr std::string_view kType = "any";
  void write(Writer& w, const Bytes& v) const { w.raw(v); }
  Status read(const Fields& f, std::string_view key, Bytes& out) const;
};

// An array of at most max_items strs of 1..max_len bytes.
struct StrList {
  size_t max_items;
  size_t max_len;
  static constexpr std::string_view kType = "[str]";
  void write(Writer& w, const std::vector<std::string>& v) const { w.str_list(v); }
  Status read(const Fields& f, std::string_view key, std::vector<std::string>& out) const;
};

// status' counters: a map of names (1..64 bytes) to unsigned integers.
struct Counters {
  static constexpr std::string_view kType = "{str: uint}";
  void write(Writer& w, const std::map<std::string, uint64_t>& v) const;
  Status read(const Fields& f, std::string_view key, std::map<std::string, uint64_t>& out) const;
};

// An enum written as its name: `to` and `from` are its one string table;
// an unknown name is "unknown <what> \"x\"".
template <class E>
struct Named {
  std::string_view (*to)(E);
  std::optional<E> (*from)(std::string_view);
  size_t max;
  std::string_view what;
  static constexpr std::string_view kType = "str";
  void write(Writer& w, E v) const { w.str(to(v)); }
  Status read(const Fields& f, std::string_view key, E& out) const {
    PEERNET_TRY(std::string name, f.str(key, max));
    auto v = from(name);
    if (!v) return f.error(key, "unknown " + std::string(what) + " \"" + name + "\"");
    out = *v;
    return {};
  }
};

// A map described by S::kFields (a peer's session).
template <class S>
struct Nested {
  static constexpr std::string_view kType = "{…}";
  void write(Writer& w, const S& v) const;
  Status read(const Fields& f, std::string_view key, S& out) const;
};

// An array of at most `max` maps, each described by S::kFields (doctor's
// interfaces).
template <class S>
struct NestedList {
  size_t max;
  static constexpr std::string_view kType = "[{…}]";
  void write(Writer& w, const std::vector<S>& v) const;
  Status read(const Fields& f, std::string_view key, std::vector<S>& out) const;
};

// An optional member whose key is left out when it has no value.
template <class K>
struct Omitted {
  K inner;
  static constexpr std::string_view kType = K::kType;
  static constexpr bool kOptional = true;
  template <class T>
  static bool present(const std::optional<T>& v) {
    return v.has_value();
  }
  template <class T>
  void write(Writer& w, const std::optional<T>& v) const {
    inner.write(w, *v);
  }
  template <class T>
  Status read(const Fields& f, std::string_view key, std::optional<T>& out) const {
    if (!f.has(key)) return {};
    T v{};
    PEERNET_TRY_VOID(inner.read(f, key, v));
    out = std::move(v);
    return {};
  }
};

// An optional member whose key is always written, nil when it has no value.
template <class K>
struct Nullable : Omitted<K> {
  template <class T>
  static bool present(const std::optional<T>&) {
    return true;
  }
  template <class T>
  void write(Writer& w, const std::optional<T>& v) const {
    if (v)
      this->inner.write(w, *v);
    else
      w.nil();
  }
};

template <class K>
constexpr Omitted<K> omitted(K kind) {
  return {kind};
}
template <class K>
constexpr Nullable<K> nullable(K kind) {
  return {{kind}};
}

// A map without fields: the params of identity, the result of expose.
struct Empty {
  static constexpr auto kFields = std::tuple{};
  friend bool operator==(const Empty&, const Empty&) = default;
};

// ---- Generic encoding and decoding ---------------------------------------------

namespace detail {

template <class K>
constexpr bool is_optional_kind() {
  if constexpr (requires { K::kOptional; })
    return K::kOptional;
  else
    return false;
}

template <class S, class T, class K>
bool written(const FieldSpec<S, T, K>& fs, const S& s) {
  if (fs.when != nullptr && !fs.when(s)) return false;
  if constexpr (requires { K::present(s.*fs.member); })
    return K::present(s.*fs.member);
  else
    return true;
}

template <class S>
constexpr auto keys_of() {
  return std::apply(
      [](const auto&... fs) { return std::array<std::string_view, sizeof...(fs)>{fs.key...}; },
      S::kFields);
}
template <class S>
inline constexpr auto kKeysOf = keys_of<S>();

// The map {…} of `s`.
template <class S>
void write_map(Writer& w, const S& s) {
  uint32_t n = 0;
  std::apply([&](const auto&... fs) { ((n += written(fs, s) ? 1 : 0), ...); }, S::kFields);
  w.map(n);
  auto one = [&](const auto& fs) {
    if (!written(fs, s)) return;
    w.key(fs.key);
    fs.kind.write(w, s.*fs.member);
  };
  std::apply([&](const auto&... fs) { (one(fs), ...); }, S::kFields);
}

// Reads every field of S from an opened map, in kFields order, then S::check.
template <class S>
Status read_fields(const Fields& f, S& s) {
  Status st;
  auto one = [&](const auto& fs) {
    if (!st.ok() || (fs.when != nullptr && !fs.when(s))) return;
    st = fs.kind.read(f, fs.key, s.*fs.member);
  };
  std::apply([&](const auto&... fs) { (one(fs), ...); }, S::kFields);
  if (!st) return st;
  if constexpr (requires { S::check(s, f); }) return S::check(s, f);
  return {};
}

template <class S>
Result<S> read_map(ByteView data, std::string context, Side side) {
  PEERNET_TRY(Fields f, Fields::open(data, std::move(context), side, kKeysOf<S>));
  S s{};
  PEERNET_TRY_VOID(read_fields(f, s));
  return s;
}

// "{peer: str, handle: str, timeout?: float}", for the method table.
template <class S>
std::string summary() {
  std::string out = "{";
  std::apply(
      [&](const auto&... fs) {
        ((out += (out.size() > 1 ? ", " : "") + std::string(fs.key) +
                 (is_optional_kind<decltype(fs.kind)>() || fs.when != nullptr ? "?" : "") + ": " +
                 std::string(decltype(fs.kind)::kType)),
         ...);
      },
      S::kFields);
  return out + "}";
}

}  // namespace detail

template <class S>
void Nested<S>::write(Writer& w, const S& v) const {
  detail::write_map(w, v);
}

template <class S>
Status Nested<S>::read(const Fields& f, std::string_view key, S& out) const {
  PEERNET_TRY(ByteView map, f.map(key));
  PEERNET_TRY(out, detail::read_map<S>(map, f.context() + ": \"" + std::string(key) + "\"",
                                       f.side()));
  return {};
}

template <class S>
void NestedList<S>::write(Writer& w, const std::vector<S>& v) const {
  w.array(static_cast<uint32_t>(v.size()));
  for (const S& s : v) detail::write_map(w, s);
}

template <class S>
Status NestedList<S>::read(const Fields& f, std::string_view key, std::vector<S>& out) const {
  PEERNET_TRY(ByteView data, f.any(key));
  std::string context = f.context() + ": \"" + std::string(key) + "\"";
  PEERNET_TRY(auto elements, detail::array_elements(data, context, Errc::protocol_error));
  if (elements.size() > max) return f.error(key, "more than " + std::to_string(max) + " entries");
  out.clear();
  out.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    PEERNET_TRY(S s, detail::read_map<S>(elements[i], context + "[" + std::to_string(i) + "]", f.side()));
    out.push_back(std::move(s));
  }
  return {};
}

// A struct described by kFields as a bare map (results), or a list of them.
template <class S>
Bytes encode_map(const S& s) {
  Bytes out;
  Writer w(out);
  detail::write_map(w, s);
  return out;
}

template <class S>
Bytes encode_map(const std::vector<S>& list) {
  Bytes out;
  Writer w(out);
  w.array(static_cast<uint32_t>(list.size()));
  for (const S& s : list) detail::write_map(w, s);
  return out;
}

// As the params array [ {…} ] of a request or notification.
template <class P>
Bytes encode_params(const P& p) {
  Bytes out;
  Writer w(out);
  w.array(1);
  detail::write_map(w, p);
  return out;
}

// Params as the receiving side reads them: `context` names the method.
template <class P>
Result<P> decode_params_as(ByteView params, std::string_view context, Side side) {
  PEERNET_TRY(Fields f, Fields::open_params(params, context, side, detail::kKeysOf<P>));
  P p{};
  PEERNET_TRY_VOID(detail::read_fields(f, p));
  return p;
}

// A result map, or a list of result maps ("<context>[i]" in errors), as a
// client reads them.
template <class S>
Result<S> decode_map(ByteView data, std::string_view context) {
  return detail::read_map<S>(data, std::string(context), Side::client);
}

template <class S>
Result<std::vector<S>> decode_map_list(ByteView data, std::string_view context) {
  PEERNET_TRY(auto elements, detail::array_elements(data, context, Errc::protocol_error));
  std::vector<S> out;
  out.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    PEERNET_TRY(S s, detail::read_map<S>(elements[i],
                                         std::string(context) + "[" + std::to_string(i) + "]",
                                         Side::client));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace peernet::control
