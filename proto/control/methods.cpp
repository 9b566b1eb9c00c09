// The method table and request decoding, both made from the descriptions
// listed in ClientMethods and ClientBoundMethods (codec.hpp).
#include "proto/control/methods.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "proto/control/codec.hpp"
#include "proto/units.hpp"

namespace peernet::control {
namespace {

template <class T>
std::string summary_of() {
  if constexpr (std::is_same_v<T, Bytes>)
    return "any";
  else if constexpr (detail::IsList<T>::value)
    return "[" + detail::summary<typename T::value_type>() + "]";
  else
    return detail::summary<T>();
}

// The table and the text its summaries point into, made once.
struct Table {
  std::vector<std::string> text;
  std::vector<MethodInfo> rows;

  template <class M>
  void add() {
    // Reserved below, so that the views into `text` stay valid.
    const std::string& params = text.emplace_back(summary_of<typename M::Params>());
    std::string_view result;
    if constexpr (M::kType == RpcType::request)
      result = text.emplace_back(summary_of<typename M::Result>());
    rows.push_back(
        MethodInfo{M::kName, M::kDirection, M::kType, M::kAdmin, params, result, M::kHelp});
  }

  Table() {
    text.reserve(2 * std::tuple_size_v<AllMethods>);
    std::apply([this](auto... m) { (add<decltype(m)>(), ...); }, AllMethods{});
  }
};

const Table& table() {
  static const Table t;
  return t;
}

using Decoder = Result<RequestParams> (*)(ByteView);

struct Route {
  std::string_view method;
  Decoder decode;
};

template <class M>
constexpr Route route() {
  return {M::kName, [](ByteView b) -> Result<RequestParams> {
            PEERNET_TRY(auto p, decode_params<typename M::Params>(b));
            return RequestParams(std::move(p));
          }};
}

constexpr auto kRoutes =
    std::apply([](auto... m) { return std::array{route<decltype(m)>()...}; }, ClientMethods{});

}  // namespace

std::span<const MethodInfo> methods() { return table().rows; }

const MethodInfo* find_method(std::string_view name, Direction direction) {
  for (const auto& m : table().rows)
    if (m.name == name && m.direction == direction) return &m;
  return nullptr;
}

Result<RequestParams> decode_request_params(std::string_view method, ByteView params) {
  for (const auto& r : kRoutes)
    if (r.method == method) return r.decode(params);
  std::string shown(method.substr(0, 64));
  return make_error(Errc::unsupported, "no method \"" + shown + "\"");
}

namespace {

// A call's or a flush's timeout: 0 < timeout <= kMaxTimeout.
bool valid_timeout(double t) { return t > 0 && t <= kMaxTimeout; }

Status check_timeout(const std::optional<double>& timeout, const Fields& f) {
  if (timeout && !valid_timeout(*timeout))
    return f.error("timeout", format_number(*timeout) + " seconds is not in (0, " +
                                  format_number(kMaxTimeout) + "]");
  return {};
}

}  // namespace

Status CallParams::check(const CallParams& p, const Fields& f) { return check_timeout(p.timeout, f); }

namespace {

// The peer, handle and args of a send's or a call's params, read in place
// with the checks of SendParams' and CallParams' decoders. `outside`: the
// msgpack objects of the params other than the args, which the general
// decoder counts against the limits with them; the params array and the
// map are the two levels above the args.
class TargetFields {
 public:
  TargetFields(const MsgpackLimits& limits, uint32_t outside) : inner_(limits) {
    usable_ = inner_.max_depth >= 3 && inner_.max_objects > outside;
    if (!usable_) return;
    inner_.max_depth -= 2;
    inner_.max_objects -= outside;
  }
  // The value of `key` if it is one of the three and not seen yet: true
  // when it was read and is valid, false otherwise; nullopt for any other key.
  std::optional<bool> read(MsgpackReader& r, std::string_view key) {
    if (key == "peer" && !has_peer_) {
      auto s = r.str("peer");
      if (!s || s->empty() || s->size() > kMaxPeerName) return false;
      peer = *s;
      return has_peer_ = true;
    }
    if (key == "handle" && !has_handle_) {
      auto s = r.str("handle");
      if (!s || !valid_handle_name(*s)) return false;
      handle = *s;
      return has_handle_ = true;
    }
    if (key == "args" && !has_args_) {
      auto o = r.object("args", inner_);
      if (!o) return false;
      args = *o;
      return has_args_ = true;
    }
    return std::nullopt;
  }
  bool usable() const { return usable_; }
  bool complete() const { return has_peer_ && has_handle_ && has_args_; }

  std::string_view peer;
  std::string_view handle;
  ByteView args;

 private:
  MsgpackLimits inner_;
  bool usable_ = false;
  bool has_peer_ = false, has_handle_ = false, has_args_ = false;
};

}  // namespace

std::optional<SendView> read_streamed_send_at(ByteView input, const MsgpackLimits& limits, size_t& length) {
  // The fixed start: fixarray 3, 2, fixstr "send", fixarray 1.
  static constexpr uint8_t kHead[] = {0x93, 0x02, 0xa4, 's', 'e', 'n', 'd', 0x91};
  if (input.size() < sizeof kHead + 1 || !std::equal(std::begin(kHead), std::end(kHead), input.begin()))
    return std::nullopt;
  MsgpackReader r(input.subspan(sizeof kHead));
  auto n = r.map("params");
  if (!n || *n != 3) return std::nullopt;
  // Around the args: the params array, the map, three keys, peer and handle.
  TargetFields f(limits, 7);
  if (!f.usable()) return std::nullopt;
  for (int i = 0; i < 3; ++i) {
    auto key = r.str("key");
    if (!key) return std::nullopt;
    auto read = f.read(r, *key);
    if (!read || !*read) return std::nullopt;
  }
  if (!f.complete()) return std::nullopt;
  length = sizeof kHead + r.offset();
  return SendView{f.peer, f.handle, f.args};
}

std::optional<SendView> read_streamed_send(ByteView message, const MsgpackLimits& limits) {
  size_t length = 0;
  auto v = read_streamed_send_at(message, limits, length);
  if (!v || length != message.size()) return std::nullopt;
  return v;
}

namespace {

// A finite msgpack number as Number{} reads it (float 64 or 32, or a
// non-negative integer), else nullopt.
std::optional<double> read_number(MsgpackReader& r, ByteView data) {
  size_t at = r.offset();
  if (at >= data.size()) return std::nullopt;
  const uint8_t b = data[at];
  double v = 0;
  if (b == 0xcb || b == 0xca) {
    size_t n = b == 0xcb ? 8 : 4;
    if (data.size() - at < 1 + n) return std::nullopt;
    uint64_t bits = 0;
    for (size_t i = 0; i < n; ++i) bits = (bits << 8) | data[at + 1 + i];
    if (n == 8) {
      std::memcpy(&v, &bits, 8);
    } else {
      uint32_t b32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b32, 4);
      v = f;
    }
    if (!std::isfinite(v)) return std::nullopt;
    if (!r.object("number", {}).ok()) return std::nullopt;  // moves past it
    return v;
  }
  if (b <= 0x7f || b == 0xcc || b == 0xcd || b == 0xce || b == 0xcf) {
    auto u = r.uint("number");
    if (!u) return std::nullopt;
    return static_cast<double>(*u);
  }
  return std::nullopt;
}

}  // namespace

std::optional<CallView> read_call_request(ByteView message, const MsgpackLimits& limits) {
  // fixarray 4, 0, then the msgid.
  if (message.size() < 16 || message[0] != 0x94 || message[1] != 0x00) return std::nullopt;
  MsgpackReader r(message.subspan(2));
  ByteView rest = message.subspan(2);
  auto id = r.uint("msgid");
  if (!id || *id > UINT32_MAX) return std::nullopt;
  auto method = r.str("method");
  if (!method || *method != "call") return std::nullopt;
  auto one = r.array("params");
  if (!one || *one != 1) return std::nullopt;
  auto n = r.map("params");
  if (!n || (*n != 3 && *n != 4)) return std::nullopt;
  CallView v;
  v.msgid = static_cast<uint32_t>(*id);
  // Around the args: the params array, the map, up to four keys, peer,
  // handle and timeout.
  TargetFields f(limits, 9);
  if (!f.usable()) return std::nullopt;
  for (uint32_t i = 0; i < *n; ++i) {
    auto key = r.str("key");
    if (!key) return std::nullopt;
    if (auto read = f.read(r, *key)) {
      if (!*read) return std::nullopt;
    } else if (*key == "timeout" && !v.timeout) {
      auto t = read_number(r, rest);
      if (!t || !valid_timeout(*t)) return std::nullopt;
      v.timeout = *t;
    } else {
      return std::nullopt;
    }
  }
  if (!f.complete() || !r.at_end()) return std::nullopt;
  v.peer = f.peer;
  v.handle = f.handle;
  v.args = f.args;
  return v;
}

Status SendFlushParams::check(const SendFlushParams& p, const Fields& f) { return check_timeout(p.timeout, f); }

}  // namespace peernet::control

namespace peernet::control {

Status PairOpenParams::check(const PairOpenParams& p, const Fields& f) {
  if (p.window && !(*p.window > 0 && *p.window <= kMaxPairWindow))
    return f.error("window", format_number(*p.window) + " seconds is not in (0, " +
                                 format_number(kMaxPairWindow) + "]");
  return {};
}

}  // namespace peernet::control
