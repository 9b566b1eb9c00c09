#include "json/json_msgpack.hpp"

// msgpack-cxx headers use size_t and the fixed-width types without
// including their headers.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "proto/msgpack_check.hpp"

namespace peernet {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Error too_deep() {
  return make_error(Errc::bad_request,
                    "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

// ---- JSON text -> JSON ----

// Builds the tree from the parser's events. nlohmann's own builder finds an
// object's key by scanning the keys before it (ordered_json keeps them in a
// vector), which is quadratic; here each open object has a hash table of its
// keys. Stopping at the depth limit keeps a hostile "[[[[…" from building
// (and later recursively destroying) a deep tree.
class Builder final : public nlohmann::json_sax<json> {
 public:
  json root;
  bool too_deep = false;
  std::string error;

  bool null() override { return add(nullptr), true; }
  bool boolean(bool v) override { return add(v), true; }
  bool number_integer(number_integer_t v) override { return add(v), true; }
  bool number_unsigned(number_unsigned_t v) override { return add(v), true; }
  bool number_float(number_float_t v, const string_t&) override { return add(v), true; }
  bool string(string_t& v) override { return add(std::move(v)), true; }
  bool binary(binary_t& v) override { return add(json::binary(std::move(v))), true; }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    open_.back().key = std::move(k);
    return true;
  }
  bool end_object() override { return open_.pop_back(), true; }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return open_.pop_back(), true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

 private:
  struct Open {
    json* value;  // points into its parent, which grows only after it closes
    std::unordered_map<std::string, size_t> keys;  // object key -> position
    std::string key;                               // the key of the next value
  };

  // Places `v` in the innermost open container (or as the root) and returns
  // where it now is. A key written twice keeps its first place and its last
  // value, as nlohmann's parser does.
  json* add(json&& v) {
    if (open_.empty()) {
      root = std::move(v);
      return &root;
    }
    Open& top = open_.back();
    if (top.value->is_array()) {
      auto& array = top.value->get_ref<json::array_t&>();
      array.push_back(std::move(v));
      return &array.back();
    }
    auto& object = top.value->get_ref<json::object_t&>();
    auto [at, fresh] = top.keys.try_emplace(top.key, object.size());
    if (fresh) {
      object.emplace_back(std::move(top.key), std::move(v));
      return &object.back().second;
    }
    json& slot = (object.begin() + static_cast<std::ptrdiff_t>(at->second))->second;
    slot = std::move(v);
    return &slot;
  }

  bool open(json&& container) {
    if (open_.size() >= kMaxJsonDepth) {
      too_deep = true;
      return false;
    }
    json* at = add(std::move(container));
    open_.push_back({at, {}, {}});
    return true;
  }

  std::vector<Open> open_;
};

// ---- JSON -> msgpack ----

class Packer {
 public:
  explicit Packer(Bytes& out) : sink_{&out}, pk_(sink_) {}

  Status pack(const json& v, size_t depth) {
    switch (v.type()) {
      case json::value_t::null: pk_.pack_nil(); return {};
      case json::value_t::boolean: v.get<bool>() ? pk_.pack_true() : pk_.pack_false(); return {};
      case json::value_t::number_integer: pk_.pack_int64(v.get<int64_t>()); return {};
      case json::value_t::number_unsigned: pk_.pack_uint64(v.get<uint64_t>()); return {};
      case json::value_t::number_float: return pack_float64(v.get<double>());
      case json::value_t::string: {
        const auto& s = v.get_ref<const std::string&>();
        pk_.pack_str(static_cast<uint32_t>(s.size()));
        pk_.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
        return {};
      }
      case json::value_t::array:
        if (depth >= kMaxJsonDepth) return too_deep();
        pk_.pack_array(static_cast<uint32_t>(v.size()));
        for (const auto& e : v) PEERNET_TRY_VOID(pack(e, depth + 1));
        return {};
      case json::value_t::object:
        if (depth >= kMaxJsonDepth) return too_deep();
        if (v.contains("$bin") && v.size() == 1) return pack_bin(v["$bin"]);
        if (v.contains("$ext") && v.contains("$data") && v.size() == 2) return pack_ext(v);
        pk_.pack_map(static_cast<uint32_t>(v.size()));
        for (const auto& [key, value] : v.items()) {
          pk_.pack_str(static_cast<uint32_t>(key.size()));
          pk_.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
          PEERNET_TRY_VOID(pack(value, depth + 1));
        }
        return {};
      case json::value_t::binary:
      case json::value_t::discarded:
        break;
    }
    return make_error(Errc::bad_request, "a JSON value msgpack cannot hold");
  }

 private:
  // msgpack-c's pack_double writes integral values as integers; JSON's 1.0
  // is meant as a float, so float 64 is written by hand (0xcb, big-endian).
  Status pack_float64(double d) {
    auto bits = std::bit_cast<uint64_t>(d);
    sink_.out->push_back(0xcb);
    for (int shift = 56; shift >= 0; shift -= 8)
      sink_.out->push_back(static_cast<uint8_t>(bits >> shift));
    return {};
  }

  Status pack_bin(const json& text) {
    if (!text.is_string()) return make_error(Errc::bad_request, "\"$bin\" must be a base64 string");
    auto bytes = base64_decode(text.get_ref<const std::string&>());
    if (!bytes) return make_error(Errc::bad_request, "\"$bin\": " + bytes.error().message);
    pk_.pack_bin(static_cast<uint32_t>(bytes->size()));
    pk_.pack_bin_body(reinterpret_cast<const char*>(bytes->data()),
                      static_cast<uint32_t>(bytes->size()));
    return {};
  }

  Status pack_ext(const json& v) {
    const json& type = v["$ext"];
    // Negative types are the msgpack spec's own: json_to_msgpack() checks
    // the result as the daemon checks what it receives, which refuses the
    // reserved ones and takes -1 only as a well-formed timestamp.
    if (!type.is_number_integer() || type.get<int64_t>() < -128 || type.get<int64_t>() > 127)
      return make_error(Errc::bad_request, "\"$ext\" must be an integer from -128 to 127");
    if (!v["$data"].is_string())
      return make_error(Errc::bad_request, "\"$data\" must be a base64 string");
    auto bytes = base64_decode(v["$data"].get_ref<const std::string&>());
    if (!bytes) return make_error(Errc::bad_request, "\"$data\": " + bytes.error().message);
    pk_.pack_ext(bytes->size(), static_cast<int8_t>(type.get<int64_t>()));
    pk_.pack_ext_body(reinterpret_cast<const char*>(bytes->data()),
                      static_cast<uint32_t>(bytes->size()));
    return {};
  }

  BytesSink sink_;
  msgpack::packer<BytesSink> pk_;
};

// ---- msgpack -> JSON ----

ByteView view_of(const char* p, uint32_t n) { return {reinterpret_cast<const uint8_t*>(p), n}; }

// Precondition: `o` passed check_object(), so its depth is bounded.
json to_json(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      // JSON has no NaN or infinity.
      if (!std::isfinite(o.via.f64)) return nullptr;
      return o.via.f64;
    case msgpack::type::STR: return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN:
      return json{{"$bin", base64_encode(view_of(o.via.bin.ptr, o.via.bin.size))}};
    case msgpack::type::EXT:
      return json{{"$ext", o.via.ext.type()},
                  {"$data", base64_encode(view_of(o.via.ext.data(), o.via.ext.size))}};
    case msgpack::type::ARRAY: {
      json a = json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i) a.push_back(to_json(o.via.array.ptr[i]));
      return a;
    }
    case msgpack::type::MAP: {
      // Appended in msgpack order; `seen` finds a repeated key in constant
      // time (ordered_json's own lookup scans). The views point into
      // `object`, which never reallocates after the reserve.
      json m = json::object();
      auto& object = m.get_ref<json::object_t&>();
      object.reserve(o.via.map.size);
      std::unordered_set<std::string_view> seen;
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string key = kv.key.type == msgpack::type::STR
                              ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                              : dump_json(to_json(kv.key));
        if (seen.contains(key)) continue;  // the first wins
        object.emplace_back(std::move(key), to_json(kv.val));
        seen.insert(object.back().first);
      }
      return m;
    }
  }
  return nullptr;
}

int base64_value(char c) {
  auto pos = kBase64.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

Result<json> parse_json(std::string_view text) {
  Builder builder;
  if (json::sax_parse(text, &builder)) return std::move(builder.root);
  if (builder.too_deep) return too_deep();
  // The message is "[json.exception.parse_error.101] parse error at line 1, …".
  std::string what = builder.error;
  if (auto pos = what.find("] "); pos != std::string::npos) what.erase(0, pos + 2);
  return make_error(Errc::bad_request, "invalid JSON: " + what);
}

Result<Bytes> json_to_msgpack(const json& value) {
  Bytes out;
  Packer p(out);
  PEERNET_TRY_VOID(p.pack(value, 0));
  // What the daemon would refuse is refused here, with the reason.
  if (auto size = check_object(out); !size)
    return make_error(Errc::bad_request, "beyond the protocol's msgpack limits: " + size.error().message);
  return out;
}

Result<Bytes> json_text_to_msgpack(std::string_view text) {
  PEERNET_TRY(json value, parse_json(text));
  return json_to_msgpack(value);
}

Result<json> msgpack_to_json(ByteView data) {
  if (data.empty()) return json(nullptr);
  MsgpackLimits limits;
  limits.max_depth = kMaxJsonDepth;
  PEERNET_TRY(size_t size, check_object(data, limits));
  if (size != data.size())
    return make_error(Errc::protocol_error, "trailing bytes after a msgpack object");
  try {
    auto handle = msgpack::unpack(reinterpret_cast<const char*>(data.data()), data.size());
    return to_json(handle.get());
  } catch (const std::exception& e) {
    return make_error(Errc::protocol_error, std::string("msgpack: ") + e.what());
  }
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string base64_encode(ByteView data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int shift : {18, 12, 6, 0}) out += kBase64[(n >> shift) & 63];
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{data[i]} << 16;
    if (rest == 2) n |= uint32_t{data[i + 1]} << 8;
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += rest == 2 ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return make_error(Errc::bad_request, "not base64: bad length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int v = base64_value(text[i]);
    if (v < 0)
      return make_error(Errc::bad_request,
                        "not base64: invalid character at offset " + std::to_string(i));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero, so that each byte string has one encoding.
  if (acc != 0) return make_error(Errc::bad_request, "not base64: non-zero padding bits");
  return out;
}

}  // namespace peernet
