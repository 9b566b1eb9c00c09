// The control methods for an operator's view of the daemon: peer.show
// (everything about one peer), peer.ping (one timed round trip over its
// session), metrics (the Prometheus/OpenMetrics text) and doctor (listen and
// discovery facts for troubleshooting).
// guides/control-api.md, "Methods"; daemon_methods.hpp says how a method is
// described.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "proto/control/daemon_methods.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/schema.hpp"

namespace peernet::control {

namespace method {
struct PeerShow;
struct PeerPing;
struct Metrics;
struct Doctor;
}  // namespace method

// ---- peer.show ------------------------------------------------------------------

struct PeerShowParams {
  using Method = method::PeerShow;
  std::string peer;  // id, unique id prefix or alias; trusted peers only
  static constexpr auto kFields = std::tuple{field("peer", &PeerShowParams::peer, Str{kMaxPeerName})};
  friend bool operator==(const PeerShowParams&, const PeerShowParams&) = default;
};

// A peer's addresses by where they came from, each "host:port" in one form
// (an IPv4-mapped IPv6 host is shown as IPv4) and only once over the three
// lists, every one a listening port that can be dialled.
struct PeerAddresses {
  std::vector<std::string> static_addrs;  // the trust list's
  std::vector<std::string> learned;       // where it was reached, dialled back or connected to
  std::vector<std::string> discovered;    // seen on the LAN (mDNS, broadcast)
  static constexpr auto kFields = std::tuple{
      field("static", &PeerAddresses::static_addrs, StrList{kMaxAddressList, kMaxAddress}),
      field("learned", &PeerAddresses::learned, StrList{kMaxAddressList, kMaxAddress}),
      field("discovered", &PeerAddresses::discovered, StrList{kMaxAddressList, kMaxAddress}),
  };
  friend bool operator==(const PeerAddresses&, const PeerAddresses&) = default;
};

struct PeerShowResult {
  PublicKey id;
  std::string fingerprint;
  std::optional<std::string> name;  // alias
  std::optional<std::string> host;  // the host name it announces on the LAN, when seen
  PeerState state = PeerState::offline;
  std::optional<double> since;  // Unix seconds when `state` was entered
  PeerAddresses addrs;
  std::optional<SessionInfo> session;  // the active session
  std::optional<double> rtt_ms;
  std::optional<double> last_seen;
  std::optional<double> last_handshake;  // Unix seconds of the last completed handshake
  std::optional<std::string> last_close_reason;
  std::optional<double> last_close;      // Unix seconds of that close
  std::map<std::string, uint64_t> counters;  // since the daemon started (names: control-api.md)
  static constexpr auto kFields = std::tuple{
      field("id", &PeerShowResult::id, PeerIdText{}),
      field("fingerprint", &PeerShowResult::fingerprint, Str{kMaxResultString}),
      field("name", &PeerShowResult::name, nullable(Str{kMaxResultString})),
      field("host", &PeerShowResult::host, nullable(Str{kMaxResultString})),
      field("state", &PeerShowResult::state, Named<PeerState>{to_string, peer_state_from_string, 32, "state"}),
      field("since", &PeerShowResult::since, nullable(Number{})),
      field("addrs", &PeerShowResult::addrs, Nested<PeerAddresses>{}),
      field("session", &PeerShowResult::session, nullable(Nested<SessionInfo>{})),
      field("rtt_ms", &PeerShowResult::rtt_ms, nullable(Number{})),
      field("last_seen", &PeerShowResult::last_seen, nullable(Number{})),
      field("last_handshake", &PeerShowResult::last_handshake, nullable(Number{})),
      field("last_close_reason", &PeerShowResult::last_close_reason, nullable(Str{kMaxCode})),
      field("last_close", &PeerShowResult::last_close, nullable(Number{})),
      field("counters", &PeerShowResult::counters, Counters{}),
  };
  friend bool operator==(const PeerShowResult&, const PeerShowResult&) = default;
};

// ---- peer.ping ------------------------------------------------------------------

inline constexpr double kMaxPingTimeout = 60;

struct PeerPingParams {
  using Method = method::PeerPing;
  std::string peer;
  std::optional<double> timeout;  // seconds, (0, 60]; nullopt: 5
  static constexpr auto kFields = std::tuple{
      field("peer", &PeerPingParams::peer, Str{kMaxPeerName}),
      field("timeout", &PeerPingParams::timeout, omitted(Number{})),
  };
  friend bool operator==(const PeerPingParams&, const PeerPingParams&) = default;
};

struct PeerPingResult {
  PublicKey id;
  double rtt_ms = 0;
  std::string remote;  // the session's remote address, as `peers` shows it
  static constexpr auto kFields = std::tuple{
      field("id", &PeerPingResult::id, PeerIdText{}),
      field("rtt_ms", &PeerPingResult::rtt_ms, Number{}),
      field("remote", &PeerPingResult::remote, Str{kMaxAddress}),
  };
  friend bool operator==(const PeerPingResult&, const PeerPingResult&) = default;
};

// ---- metrics --------------------------------------------------------------------

// The metrics text is bounded by the per-peer cap (metrics.max_peers).
inline constexpr size_t kMaxMetricsText = 16u << 20;

struct MetricsParams {
  using Method = method::Metrics;
  bool openmetrics = false;  // OpenMetrics 1.0 text; else Prometheus text 0.0.4
  static constexpr auto kFields = std::tuple{field("openmetrics", &MetricsParams::openmetrics, Flag{})};
  friend bool operator==(const MetricsParams&, const MetricsParams&) = default;
};

struct MetricsResult {
  std::string text;
  std::string content_type;
  static constexpr auto kFields = std::tuple{
      field("text", &MetricsResult::text, Text{kMaxMetricsText}),
      field("content_type", &MetricsResult::content_type, Str{kMaxResultString}),
  };
  friend bool operator==(const MetricsResult&, const MetricsResult&) = default;
};

// ---- doctor -------------------------------------------------------------------

// The daemon's side of `peernetctl doctor`: what it listens on and what
// discovery does, per interface. The probing and the firewall reading are
// peernetctl's own.
inline constexpr size_t kMaxDoctorInterfaces = 1024;

struct DoctorParams {
  using Method = method::Doctor;
  static constexpr auto kFields = std::tuple{};
  friend bool operator==(const DoctorParams&, const DoctorParams&) = default;
};

struct DoctorInterface {
  std::string name;
  bool used = false;  // discovery sends and listens on it
  // Why not: "down", "loopback", "point-to-point", "no multicast",
  // "not in discovery.interfaces"; nullopt when used.
  std::optional<std::string> excluded;
  std::vector<std::string> ipv4, ipv6;
  bool mdns_ipv4 = false;  // 224.0.0.251 joined on it
  bool mdns_ipv6 = false;  // ff02::fb joined on it
  static constexpr auto kFields = std::tuple{
      field("name", &DoctorInterface::name, Str{kMaxResultString}),
      field("used", &DoctorInterface::used, Bool{}),
      field("excluded", &DoctorInterface::excluded, nullable(Str{kMaxResultString})),
      field("ipv4", &DoctorInterface::ipv4, StrList{kMaxAddressList, kMaxAddress}),
      field("ipv6", &DoctorInterface::ipv6, StrList{kMaxAddressList, kMaxAddress}),
      field("mdns_ipv4", &DoctorInterface::mdns_ipv4, Bool{}),
      field("mdns_ipv6", &DoctorInterface::mdns_ipv6, Bool{}),
  };
  friend bool operator==(const DoctorInterface&, const DoctorInterface&) = default;
};

struct DoctorResult {
  uint64_t pid = 0;
  std::vector<std::string> listen;     // network.listen as configured
  std::vector<std::string> listening;  // the bound listeners, real ports
  bool mdns = false;                   // discovery.mdns
  bool mdns_running = false;
  bool broadcast = false;  // discovery.broadcast
  bool broadcast_running = false;
  uint64_t broadcast_port = 0;
  std::vector<std::string> only;  // discovery.interfaces; empty: every suitable one
  std::vector<DoctorInterface> interfaces;
  static constexpr auto kFields = std::tuple{
      field("pid", &DoctorResult::pid, Uint{}),
      field("listen", &DoctorResult::listen, StrList{kMaxAddressList, kMaxAddress}),
      field("listening", &DoctorResult::listening, StrList{kMaxAddressList, kMaxAddress}),
      field("mdns", &DoctorResult::mdns, Bool{}),
      field("mdns_running", &DoctorResult::mdns_running, Bool{}),
      field("broadcast", &DoctorResult::broadcast, Bool{}),
      field("broadcast_running", &DoctorResult::broadcast_running, Bool{}),
      field("broadcast_port", &DoctorResult::broadcast_port, Uint{}),
      field("interfaces_only", &DoctorResult::only, StrList{kMaxAddressList, kMaxResultString}),
      field("interfaces", &DoctorResult::interfaces, NestedList<DoctorInterface>{kMaxDoctorInterfaces}),
  };
  friend bool operator==(const DoctorResult&, const DoctorResult&) = default;
};

// ---- the descriptions -----------------------------------------------------------

namespace method {

struct PeerShow : ClientRequest<PeerShowParams, PeerShowResult> {
  static constexpr std::string_view kName = "peer.show";
  static constexpr std::string_view kHelp =
      "everything about one trusted peer: addresses, session, round trip, counters";
};
struct PeerPing : ClientRequest<PeerPingParams, PeerPingResult> {
  static constexpr std::string_view kName = "peer.ping";
  static constexpr std::string_view kHelp = "one timed round trip (ping, pong) over a peer's session";
};
struct Metrics : ClientRequest<MetricsParams, MetricsResult> {
  static constexpr std::string_view kName = "metrics";
  static constexpr std::string_view kHelp = "daemon and per-peer metrics as Prometheus or OpenMetrics text";
};

struct Doctor : ClientRequest<DoctorParams, DoctorResult> {
  static constexpr std::string_view kName = "doctor";
  static constexpr std::string_view kHelp =
      "listen addresses, discovery settings, interfaces and mDNS group memberships, for troubleshooting";
};

inline constexpr std::string_view kPeerShow = PeerShow::kName;
inline constexpr std::string_view kPeerPing = PeerPing::kName;
inline constexpr std::string_view kMetrics = Metrics::kName;
inline constexpr std::string_view kDoctor = Doctor::kName;

}  // namespace method

using OperatorMethods = std::tuple<method::PeerShow, method::PeerPing, method::Metrics, method::Doctor>;

}  // namespace peernet::control
