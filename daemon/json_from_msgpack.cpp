#include "json_from_msgpack.hpp"

#include <cmath>
#include <cstring>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include "proto/msgpack_check.hpp"

namespace peernet {
namespace {

using nlohmann::json;

// The protocol's nesting limit (guides/protocol.md §5.3); both directions
// recurse, so it also bounds the stack.
constexpr size_t kMaxDepth = 32;

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const char* data, size_t size) {
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    uint32_t v = uint32_t{p[i]} << 16;
    if (i + 1 < size) v |= uint32_t{p[i + 1]} << 8;
    if (i + 2 < size) v |= p[i + 2];
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < size ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < size ? kBase64[v & 63] : '=';
  }
  return out;
}

// RFC 4648 base64, with or without padding.
Result<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = c == '\0' ? nullptr : std::strchr(kBase64, c);
    if (at == nullptr) return make_error(Errc::bad_request, "invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return make_error(Errc::bad_request, "invalid base64 length");
  return out;
}

// ---- msgpack -> JSON ----

json to_json(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return std::isfinite(o.via.f64) ? json(o.via.f64) : json(nullptr);
    case msgpack::type::STR: return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN: return json{{"$bin", base64_encode(o.via.bin.ptr, o.via.bin.size)}};
    case msgpack::type::EXT:
      return json{{"$ext", o.via.ext.type()}, {"$data", base64_encode(o.via.ext.data(), o.via.ext.size)}};
    case msgpack::type::ARRAY: {
      json a = json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i) a.push_back(to_json(o.via.array.ptr[i]));
      return a;
    }
    case msgpack::type::MAP: {
      json m = json::object();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object_kv& kv = o.via.map.ptr[i];
        std::string key = kv.key.type == msgpack::type::STR
                              ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                              : to_json(kv.key).dump(-1, ' ', false, json::error_handler_t::replace);
        if (!m.contains(key)) m[key] = to_json(kv.val);
      }
      return m;
    }
  }
  return nullptr;
}

// ---- JSON -> msgpack ----

// Validates the text and its depth without building anything, so that the
// tree built afterwards (and the recursion over it) stays shallow.
struct DepthCheck final : nlohmann::json_sax<json> {
  size_t depth = 0;
  bool too_deep = false;
  std::string error;

  bool open() {
    too_deep = ++depth > kMaxDepth;
    return !too_deep;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return --depth, true; }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return --depth, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }
};

using Packer = msgpack::packer<BytesSink>;

Status pack_special(const json& v, Packer& pk);

Status pack_json(const json& v, Packer& pk) {
  switch (v.type()) {
    case json::value_t::null: pk.pack_nil(); return {};
    case json::value_t::boolean: v.get<bool>() ? pk.pack_true() : pk.pack_false(); return {};
    case json::value_t::number_integer: pk.pack_int64(v.get<int64_t>()); return {};
    case json::value_t::number_unsigned: pk.pack_uint64(v.get<uint64_t>()); return {};
    case json::value_t::number_float: pk.pack_double(v.get<double>()); return {};
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      pk.pack_str(static_cast<uint32_t>(s.size()));
      pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
      return {};
    }
    case json::value_t::array:
      pk.pack_array(static_cast<uint32_t>(v.size()));
      for (const json& e : v) PEERNET_TRY_VOID(pack_json(e, pk));
      return {};
    case json::value_t::object: {
      if (v.contains("$bin") || v.contains("$ext")) return pack_special(v, pk);
      pk.pack_map(static_cast<uint32_t>(v.size()));
      for (const auto& [key, value] : v.items()) {
        pk.pack_str(static_cast<uint32_t>(key.size()));
        pk.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
        PEERNET_TRY_VOID(pack_json(value, pk));
      }
      return {};
    }
    default: return make_error(Errc::bad_request, "unsupported JSON value");
  }
}

// {"$bin": "<base64>"} and {"$ext": T, "$data": "<base64>"}; any other
// object with those keys is an ordinary map.
Status pack_special(const json& v, Packer& pk) {
  auto base64_of = [&](const char* key) -> Result<std::string> {
    const json& d = v.at(key);
    if (!d.is_string()) return make_error(Errc::bad_request, std::string(key) + " must be a base64 string");
    return base64_decode(d.get_ref<const std::string&>());
  };
  if (v.size() == 1 && v.contains("$bin")) {
    PEERNET_TRY(std::string bytes, base64_of("$bin"));
    pk.pack_bin(static_cast<uint32_t>(bytes.size()));
    pk.pack_bin_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
    return {};
  }
  if (v.size() == 2 && v.contains("$ext") && v.contains("$data")) {
    const json& t = v.at("$ext");
    if (!t.is_number_integer() || t.get<int64_t>() < -128 || t.get<int64_t>() > 127)
      return make_error(Errc::bad_request, "$ext must be an integer from -128 to 127");
    PEERNET_TRY(std::string bytes, base64_of("$data"));
    pk.pack_ext(bytes.size(), static_cast<int8_t>(t.get<int64_t>()));
    pk.pack_ext_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
    return {};
  }
  pk.pack_map(static_cast<uint32_t>(v.size()));
  for (const auto& [key, value] : v.items()) {
    pk.pack_str(static_cast<uint32_t>(key.size()));
    pk.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
    PEERNET_TRY_VOID(pack_json(value, pk));
  }
  return {};
}

}  // namespace

Result<std::string> json_from_msgpack(ByteView data) {
  static const Bytes kNil{0xc0};
  if (data.empty()) data = kNil;
  auto size = check_object(data);
  if (!size || *size != data.size())
    return make_error(Errc::bad_request,
                      "not one msgpack object" + (size ? std::string() : ": " + size.error().message));
  try {
    msgpack::object_handle h = msgpack::unpack(reinterpret_cast<const char*>(data.data()), data.size());
    return to_json(h.get()).dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return make_error(Errc::bad_request, std::string("msgpack: ") + e.what());
  }
}

Result<Bytes> msgpack_from_json(std::string_view text) {
  DepthCheck check;
  if (!json::sax_parse(text, &check)) {
    if (check.too_deep) return make_error(Errc::bad_request, "JSON nested deeper than 32 levels");
    return make_error(Errc::bad_request, "invalid JSON: " + check.error);
  }
  Bytes out;
  try {
    json value = json::parse(text);
    BytesSink sink{&out};
    Packer pk(sink);
    PEERNET_TRY_VOID(pack_json(value, pk));
  } catch (const std::exception& e) {
    return make_error(Errc::bad_request, std::string("JSON: ") + e.what());
  }
  if (auto st = check_object(out); !st)
    return make_error(Errc::bad_request, "JSON beyond the protocol's limits: " + st.error().message);
  return out;
}

}  // namespace peernet
