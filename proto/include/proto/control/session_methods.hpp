// The control methods about this connection's view of peers: subscribe
// (which peer events it receives) and connect (dial an address now).
// guides/control-api.md, "Methods"; daemon_methods.hpp says how a method is
// described.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "proto/control/daemon_methods.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/schema.hpp"

namespace peernet::control {

namespace method {
struct Subscribe;
struct Connect;
}  // namespace method

inline constexpr size_t kMaxSubscribeEvents = 16;

// A list of peer event names ("peer.up", ...), each counted once by the
// receiver.
struct EventNames {
  static constexpr std::string_view kType = "[str]";
  void write(Writer& w, const std::vector<PeerEventKind>& v) const {
    w.array(static_cast<uint32_t>(v.size()));
    for (PeerEventKind e : v) w.str(to_string(e));
  }
  Status read(const Fields& f, std::string_view key, std::vector<PeerEventKind>& out) const {
    // The longest event name bounds each entry.
    PEERNET_TRY(auto names, f.str_list(key, kMaxSubscribeEvents, 64));
    out.clear();
    for (const std::string& name : names) {
      auto kind = peer_event_from_string(name);
      if (!kind) {
        std::string known;
        for (std::string_view n : kPeerEventNames)
          known += (known.empty() ? "" : ", ") + std::string(n);
        return f.error(key, "unknown event \"" + name + "\" (" + known + ")");
      }
      out.push_back(*kind);
    }
    return {};
  }
};

struct SubscribeParams {
  using Method = method::Subscribe;
  // Replaces this connection's subscription. nullopt: every event; an empty
  // list: none. Repeated names count once.
  std::optional<std::vector<PeerEventKind>> events;
  static constexpr auto kFields =
      std::tuple{field("events", &SubscribeParams::events, omitted(EventNames{}))};
  friend bool operator==(const SubscribeParams&, const SubscribeParams&) = default;
};

struct ConnectParams {
  using Method = method::Connect;
  std::string addr;  // "host:port"
  static constexpr auto kFields = std::tuple{field("addr", &ConnectParams::addr, Str{kMaxAddress})};
  friend bool operator==(const ConnectParams&, const ConnectParams&) = default;
};

namespace method {

struct Subscribe : ClientRequest<SubscribeParams, Empty> {
  static constexpr std::string_view kName = "subscribe";
  static constexpr std::string_view kHelp = "choose which peer events this connection receives";
};
struct Connect : ClientRequest<ConnectParams, IdResult> {
  static constexpr std::string_view kName = "connect";
  static constexpr std::string_view kHelp = "dial an address now; the peer there must be trusted";
};

inline constexpr std::string_view kSubscribe = Subscribe::kName;
inline constexpr std::string_view kConnect = Connect::kName;

}  // namespace method

using SessionMethods = std::tuple<method::Subscribe, method::Connect>;

}  // namespace peernet::control
