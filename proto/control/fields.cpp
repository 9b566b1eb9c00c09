#include "proto/control/fields.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "proto/peer_id.hpp"

namespace peernet::control::detail {
namespace {

bool is_nil(ByteView v) { return v.size() == 1 && v[0] == 0xc0; }

// The next object of a container that check_object has accepted whole,
// starting at data[at]: only its headers are walked (MsgpackScanner),
// nothing is validated again. `at` moves past it.
ByteView next_checked(ByteView data, size_t& at) {
  ByteView rest = data.subspan(at);
  MsgpackScanner scanner(rest.size());
  // Complete: the enclosing container passed check_object.
  if (scanner.scan(rest) != MsgpackScanner::State::complete) std::abort();
  at += scanner.size();
  return rest.first(scanner.size());
}

uint64_t big_endian(ByteView v, size_t offset, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; ++i) x = (x << 8) | v[offset + i];
  return x;
}

// The scalar readers below take one complete, validated object (a value
// that check_object accepted) and return nullopt when it has another type.

std::optional<std::string_view> as_str(ByteView v) {
  MsgpackReader r(v);
  auto s = r.str("value");
  if (!s.ok()) return std::nullopt;
  return *s;
}

std::optional<bool> as_bool(ByteView v) {
  if (v[0] == 0xc2) return false;
  if (v[0] == 0xc3) return true;
  return std::nullopt;
}

bool is_negative_int(uint8_t b) { return b >= 0xe0 || (b >= 0xd0 && b <= 0xd3); }

// Every msgpack number: positive and negative integers of every width, and
// float 32 and 64, as a double (integers above 2^53 round, which no control
// number comes near).
std::optional<double> as_number(ByteView v) {
  const uint8_t b = v[0];
  if (b <= 0x7f) return double(b);
  if (b >= 0xe0) return double(static_cast<int8_t>(b));
  if (b >= 0xcc && b <= 0xcf) return double(big_endian(v, 1, size_t{1} << (b - 0xcc)));
  if (b >= 0xd0 && b <= 0xd3) {
    const size_t n = size_t{1} << (b - 0xd0);
    uint64_t raw = big_endian(v, 1, n);
    if (n < 8 && (raw >> (8 * n - 1)) != 0) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
    return double(static_cast<int64_t>(raw));
  }
  if (b == 0xca) return double(std::bit_cast<float>(static_cast<uint32_t>(big_endian(v, 1, 4))));
  if (b == 0xcb) return std::bit_cast<double>(big_endian(v, 1, 8));
  return std::nullopt;
}

std::optional<ByteView> as_bin(ByteView v) {
  const uint8_t b = v[0];
  if (b < 0xc4 || b > 0xc6) return std::nullopt;
  const size_t n = size_t{1} << (b - 0xc4);
  const size_t len = static_cast<size_t>(big_endian(v, 1, n));
  return v.subspan(1 + n, len);
}

bool is_map(uint8_t b) { return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf; }

// A key in an error message; a client's unknown key may be long, and the
// message only needs enough of it to be recognised.
std::string quoted(std::string_view key) {
  constexpr size_t kShown = 64;
  if (key.size() <= kShown) return "\"" + std::string(key) + "\"";
  return "\"" + std::string(key.substr(0, kShown)) + "\"… (" + std::to_string(key.size()) +
         " bytes)";
}

}  // namespace

// --- Fields ------------------------------------------------------------------

Result<Fields> Fields::open(ByteView data, std::string context, Side side, Keys known) {
  Fields f(std::move(context), side);
  if (data.empty()) return f.error("expected a map, found nothing");
  // One validation of the whole map bounds everything read below.
  auto size = check_object(data);
  if (!size.ok()) return f.error(size.error().message);
  if (*size != data.size())
    return f.error(std::to_string(data.size() - *size) + " bytes after the map");
  if (!is_map(data[0]))
    return f.error(std::string("expected a map, found ") + std::string(msgpack_type_name(data[0])));

  MsgpackReader header(data);
  const uint32_t n = header.map("map").value();  // checked above
  size_t at = header.offset();
  f.entries_.reserve(std::min<size_t>(n, known.size()));
  for (uint32_t i = 0; i < n; ++i) {
    if (at == data.size()) return f.error("truncated map");
    const uint8_t kb = data[at];
    MsgpackReader r(data.subspan(at));
    auto key = r.str("key");
    if (!key.ok())
      return f.error(std::string("a key is ") + std::string(msgpack_type_name(kb)) +
                     ", not a string");
    at += r.offset();
    // check_object passed for the whole map: its values need no second check.
    ByteView value = next_checked(data, at);
    bool listed = false;
    for (auto k : known) listed = listed || k == *key;
    if (!listed) {
      if (side == Side::daemon) return f.error("unknown key " + quoted(*key));
      // A client skips keys from a later daemon without remembering them, so
      // that a map of many unknown keys costs linear time.
      continue;
    }
    for (const auto& [k, v] : f.entries_)
      if (k == *key) return f.error("duplicate key " + quoted(*key));
    f.entries_.emplace_back(*key, value);
  }
  return f;
}

Result<Fields> Fields::open_params(ByteView params, std::string_view method, Side side,
                                   Keys known) {
  const Errc errc = side == Side::daemon ? Errc::bad_request : Errc::protocol_error;
  const std::string context(method);
  auto shape_error = [&](std::string found) {
    return make_error(errc, context + ": params must be an array holding one map, found " + found);
  };
  if (params.empty()) return shape_error("nothing");
  MsgpackReader r(params);
  auto n = r.array("params");
  if (!n.ok()) return shape_error(std::string(msgpack_type_name(params[0])));
  if (*n != 1) return shape_error("an array of " + std::to_string(*n));
  return open(params.subspan(r.offset()), context, side, known);
}

std::optional<ByteView> Fields::find(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return v;
  return std::nullopt;
}

bool Fields::has(std::string_view key) const {
  auto v = find(key);
  return v && !is_nil(*v);
}

Result<ByteView> Fields::require(std::string_view key) const {
  auto v = find(key);
  if (!v) return error("missing " + quoted(key));
  return *v;
}

Error Fields::error(std::string_view problem) const {
  return make_error(errc(), context_ + ": " + std::string(problem));
}

Error Fields::error(std::string_view key, std::string_view problem) const {
  return make_error(errc(), context_ + ": " + quoted(key) + ": " + std::string(problem));
}

Error Fields::mismatch(std::string_view key, std::string_view expected, ByteView found) const {
  return error(key, "expected " + std::string(expected) + ", found " +
                        std::string(msgpack_type_name(found[0])));
}

Result<std::string> Fields::str(std::string_view key, size_t max) const {
  PEERNET_TRY(ByteView v, require(key));
  auto s = as_str(v);
  if (!s) return mismatch(key, "a string", v);
  if (s->empty() || s->size() > max)
    return error(key, std::to_string(s->size()) + " bytes, not 1.." + std::to_string(max));
  return std::string(*s);
}

Result<std::optional<std::string>> Fields::opt_str(std::string_view key, size_t max) const {
  if (!has(key)) return std::optional<std::string>();
  PEERNET_TRY(auto s, str(key, max));
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<std::string>> Fields::opt_text(std::string_view key, size_t max) const {
  if (!has(key)) return std::optional<std::string>();
  ByteView v = *find(key);
  auto s = as_str(v);
  if (!s) return mismatch(key, "a string", v);
  if (s->size() > max)
    return error(key,
                 std::to_string(s->size()) + " bytes exceed the limit of " + std::to_string(max));
  return std::optional<std::string>(*s);
}

Result<bool> Fields::boolean(std::string_view key) const {
  PEERNET_TRY(ByteView v, require(key));
  auto b = as_bool(v);
  if (!b) return mismatch(key, "a boolean", v);
  return *b;
}

Result<std::optional<bool>> Fields::opt_boolean(std::string_view key) const {
  if (!has(key)) return std::optional<bool>();
  PEERNET_TRY(bool b, boolean(key));
  return std::optional<bool>(b);
}

Result<uint64_t> Fields::uint(std::string_view key) const {
  PEERNET_TRY(ByteView v, require(key));
  MsgpackReader r(v);
  auto u = r.uint("value");
  if (u.ok()) return *u;
  if (is_negative_int(v[0]))
    return error(key, "expected an unsigned integer, found a negative one");
  return mismatch(key, "an unsigned integer", v);
}

Result<double> Fields::number(std::string_view key) const {
  PEERNET_TRY(ByteView v, require(key));
  auto d = as_number(v);
  if (!d) return mismatch(key, "a number", v);
  if (!std::isfinite(*d)) return error(key, "expected a finite number");
  return *d;
}

Result<std::optional<double>> Fields::opt_number(std::string_view key) const {
  if (!has(key)) return std::optional<double>();
  PEERNET_TRY(double d, number(key));
  return std::optional<double>(d);
}

Result<Bytes> Fields::bin(std::string_view key) const {
  PEERNET_TRY(ByteView v, require(key));
  auto b = as_bin(v);
  if (!b) return mismatch(key, "binary", v);
  return Bytes(b->begin(), b->end());
}

Result<ByteView> Fields::any(std::string_view key) const { return require(key); }

Result<ByteView> Fields::map(std::string_view key) const {
  PEERNET_TRY(ByteView v, require(key));
  if (!is_map(v[0])) return mismatch(key, "a map", v);
  return v;
}

Result<std::optional<ByteView>> Fields::opt_map(std::string_view key) const {
  if (!has(key)) return std::optional<ByteView>();
  PEERNET_TRY(ByteView v, map(key));
  return std::optional<ByteView>(v);
}

Result<std::vector<std::string>> Fields::str_list(std::string_view key, size_t max_items,
                                                  size_t max_len) const {
  PEERNET_TRY(ByteView v, require(key));
  MsgpackReader r(v);
  auto n = r.array("value");
  if (!n.ok()) return mismatch(key, "an array of strings", v);
  if (*n > max_items)
    return error(key,
                 std::to_string(*n) + " entries exceed the limit of " + std::to_string(max_items));
  std::vector<std::string> out;
  out.reserve(*n);
  auto item_error = [&](uint32_t i, const std::string& problem) {
    return make_error(errc(),
                      context_ + ": " + quoted(key) + "[" + std::to_string(i) + "]: " + problem);
  };
  for (uint32_t i = 0; i < *n; ++i) {
    ByteView e = r.object("element", {}).value();  // the map was validated whole
    auto s = as_str(e);
    if (!s)
      return item_error(i, "expected a string, found " + std::string(msgpack_type_name(e[0])));
    if (s->empty() || s->size() > max_len)
      return item_error(i, std::to_string(s->size()) + " bytes, not 1.." + std::to_string(max_len));
    out.emplace_back(*s);
  }
  return out;
}

Result<std::optional<std::vector<std::string>>> Fields::opt_str_list(std::string_view key,
                                                                     size_t max_items,
                                                                     size_t max_len) const {
  using List = std::optional<std::vector<std::string>>;
  if (!has(key)) return List();
  PEERNET_TRY(auto list, str_list(key, max_items, max_len));
  return List(std::move(list));
}

Result<PublicKey> Fields::peer_id(std::string_view key) const {
  PEERNET_TRY(ByteView v, require(key));
  auto s = as_str(v);
  if (!s) return mismatch(key, "a peer id string", v);
  auto parsed = parse_peer_id(*s);
  if (!parsed.ok()) {
    Error e = error(key, parsed.error().message);
    if (side_ == Side::daemon) e.code = Errc::bad_peer_id;
    return e;
  }
  return *parsed;
}

Result<Fields> open_element(ByteView data, std::string_view context, size_t index, Side side,
                            Keys known) {
  return Fields::open(data, std::string(context) + "[" + std::to_string(index) + "]", side, known);
}

Result<std::vector<ByteView>> array_elements(ByteView data, std::string_view context, Errc errc) {
  auto fail = [&](std::string problem) {
    return make_error(errc, std::string(context) + ": " + problem);
  };
  if (data.empty()) return fail("expected an array, found nothing");
  auto size = check_object(data);
  if (!size.ok()) return fail(size.error().message);
  if (*size != data.size())
    return fail(std::to_string(data.size() - *size) + " bytes after the array");
  MsgpackReader r(data);
  auto n = r.array("array");
  if (!n.ok()) return fail("expected an array, found " + std::string(msgpack_type_name(data[0])));
  std::vector<ByteView> out;
  out.reserve(*n);
  for (uint32_t i = 0; i < *n; ++i) out.push_back(r.object("element", {}).value());
  return out;
}

// --- Writer ------------------------------------------------------------------

// Always a float 64 (0xcb). msgpack-c's pack_double writes a whole number
// as an integer, which would make a key's msgpack type depend on its value;
// readers in other languages then see 5 where they expect 5.0.
void Writer::real(double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  out_->push_back(0xcb);
  for (int shift = 56; shift >= 0; shift -= 8) out_->push_back(static_cast<uint8_t>(bits >> shift));
}

void Writer::raw(ByteView b) {
  if (b.empty())
    w_.nil();
  else
    w_.raw(b);
}

void Writer::peer_id(const PublicKey& key) { w_.str(peer_id_text_view(key)); }

void Writer::opt_str(const std::optional<std::string>& s) {
  if (s)
    w_.str(*s);
  else
    w_.nil();
}

void Writer::opt_real(const std::optional<double>& v) {
  if (v)
    real(*v);
  else
    w_.nil();
}

void Writer::str_list(const std::vector<std::string>& list) {
  w_.array(static_cast<uint32_t>(list.size()));
  for (const auto& s : list) w_.str(s);
}

Writer params_writer(Bytes& out, uint32_t count) {
  Writer w(out);
  w.array(1).map(count);
  return w;
}

}  // namespace peernet::control::detail
