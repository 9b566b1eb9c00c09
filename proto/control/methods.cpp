// The method table and request decoding, both made from the descriptions
// listed in ClientMethods and ClientBoundMethods (codec.hpp).
#include "proto/control/methods.hpp"

#include <array>
#include <string>
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
    if constexpr (M::kType == RpcType::request) result = text.emplace_back(summary_of<typename M::Result>());
    rows.push_back(MethodInfo{M::kName, M::kDirection, M::kType, M::kAdmin, params, result, M::kHelp});
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

// ---- The few rules that span fields, or need more than a kind -------------------

Status CallParams::check(const CallParams& p, const Fields& f) {
  if (p.timeout && !(*p.timeout > 0 && *p.timeout <= kMaxTimeout))
    return f.error("timeout", format_number(*p.timeout) + " seconds is not in (0, " +
                                  format_number(kMaxTimeout) + "]");
  return {};
}

void EventNames::write(Writer& w, const std::vector<PeerEventKind>& v) const {
  w.array(static_cast<uint32_t>(v.size()));
  for (PeerEventKind e : v) w.str(to_string(e));
}

Status EventNames::read(const Fields& f, std::string_view key,
                        std::vector<PeerEventKind>& out) const {
  // The longest event name bounds each entry.
  PEERNET_TRY(auto names, f.str_list(key, kMaxSubscribeEvents, 64));
  out.clear();
  for (const std::string& name : names) {
    auto kind = peer_event_from_string(name);
    if (!kind) {
      std::string known;
      for (std::string_view n : kPeerEventNames) known += (known.empty() ? "" : ", ") + std::string(n);
      return f.error(key, "unknown event \"" + name + "\" (" + known + ")");
    }
    out.push_back(*kind);
  }
  return {};
}

bool is_drop_reason(Errc code) {
  return code == Errc::peer_offline || code == Errc::busy || code == Errc::payload_too_large;
}

SendResult SendResult::from(const Status& status) {
  if (status.ok()) return SendResult{};
  return SendResult{false, status.error().code, status.error().message};
}

}  // namespace peernet::control
