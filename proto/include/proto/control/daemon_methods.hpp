// The control methods about the daemon, its peers and its trust list:
// hello, identity, status, peers, trust.add, trust.remove, trust.list
// (guides/control-api.md, "Methods").
//
// Each method is described once: a params struct and a result struct, each
// listing its fields (schema.hpp), and a description in namespace `method`
// that names them with the method's name, direction and help line. The
// codec, the method table, the client's request<M>() and the daemon's
// dispatch all follow from that.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "proto/control/methods.hpp"
#include "proto/control/schema.hpp"
#include "proto/endpoint.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet::control {

namespace method {
struct Hello;
struct Identity;
struct Status;
struct Peers;
struct TrustAdd;
struct TrustRemove;
struct TrustList;
}  // namespace method

// Bounds on strings in results; lists are bounded by the message size.
inline constexpr size_t kMaxResultString = 4096;
inline constexpr size_t kMaxAddressList = 1024;

// ---- hello ----------------------------------------------------------------------

struct HelloParams {
  using Method = method::Hello;
  std::optional<std::string> client;  // free text for logs: "peernetctl 0.1.0"
  uint64_t version = kVersion;
  static constexpr auto kFields = std::tuple{
      field("version", &HelloParams::version, ProtocolVersion{}),
      field("client", &HelloParams::client, omitted(Str{kMaxClientName})),
  };
  friend bool operator==(const HelloParams&, const HelloParams&) = default;
};

struct HelloResult {
  uint64_t version = kVersion;
  std::string daemon;  // "peernetd 0.1.0"
  PublicKey id;
  bool admin = false;  // may call admin methods (trust.add, trust.remove)
  static constexpr auto kFields = std::tuple{
      field("version", &HelloResult::version, Uint{}),
      field("daemon", &HelloResult::daemon, Str{kMaxResultString}),
      field("id", &HelloResult::id, PeerIdText{}),
      field("admin", &HelloResult::admin, Bool{}),
  };
  friend bool operator==(const HelloResult&, const HelloResult&) = default;
};

// ---- identity -------------------------------------------------------------------

struct IdentityParams {
  using Method = method::Identity;
  static constexpr auto kFields = std::tuple{};
  friend bool operator==(const IdentityParams&, const IdentityParams&) = default;
};

// public_key is id's key as bin 32; a client checks that they agree.
struct IdentityResult {
  PublicKey id;
  std::string fingerprint;  // proto/peer_id.hpp fingerprint()
  // Where other boxes can dial this daemon: its listening ports on this
  // machine's non-loopback addresses (a wildcard listener expanded), for
  // `peernetctl id --qr`. Absent when there is none.
  std::optional<std::vector<std::string>> addrs = std::nullopt;
  static constexpr auto kFields = std::tuple{
      field("id", &IdentityResult::id, PeerIdText{}),
      field("fingerprint", &IdentityResult::fingerprint, Str{kMaxResultString}),
      field("public_key", &IdentityResult::id, KeyBytes{"id"}),
      field("addrs", &IdentityResult::addrs, omitted(StrList{kMaxAddressList, kMaxAddress})),
  };
  friend bool operator==(const IdentityResult&, const IdentityResult&) = default;
};

// ---- status ---------------------------------------------------------------------

struct StatusParams {
  using Method = method::Status;
  static constexpr auto kFields = std::tuple{};
  friend bool operator==(const StatusParams&, const StatusParams&) = default;
};

struct StatusResult {
  PublicKey id;
  double uptime_s = 0;
  uint64_t sessions = 0;  // established peer sessions
  uint64_t peers_online = 0;
  uint64_t peers_total = 0;                  // trusted peers
  uint64_t handles = 0;                      // handles exposed by local clients
  std::map<std::string, uint64_t> counters;  // name -> count; names 1..64 bytes
  static constexpr auto kFields = std::tuple{
      field("id", &StatusResult::id, PeerIdText{}),
      field("uptime_s", &StatusResult::uptime_s, Number{}),
      field("sessions", &StatusResult::sessions, Uint{}),
      field("peers_online", &StatusResult::peers_online, Uint{}),
      field("peers_total", &StatusResult::peers_total, Uint{}),
      field("handles", &StatusResult::handles, Uint{}),
      field("counters", &StatusResult::counters, Counters{}),
  };
  friend bool operator==(const StatusResult&, const StatusResult&) = default;
};

// ---- peers ----------------------------------------------------------------------

struct PeersParams {
  using Method = method::Peers;
  bool all = false;  // also list discovered peers that are not trusted
  static constexpr auto kFields = std::tuple{field("all", &PeersParams::all, Flag{})};
  friend bool operator==(const PeersParams&, const PeersParams&) = default;
};

// A peer's active session. The daemon's Daemon::peers() fills every member;
// the protocol carries the first two.
struct SessionInfo {
  bool initiator = false;  // this daemon dialled
  // "host:port" where the other end can be dialled: for a session it
  // accepted, its source address with the port its hello announced.
  std::string remote;
  // Daemon-side detail, not sent.
  std::string local = {};          // "ip:port" of this end
  std::string remote_socket = {};  // "ip:port" of the other end's socket (an accepted session: its source port)
  double age_s = 0;   // since the handshake completed
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t envelopes_in = 0, envelopes_out = 0;
  static constexpr auto kFields = std::tuple{
      field("initiator", &SessionInfo::initiator, Bool{}),
      field("remote", &SessionInfo::remote, Str{kMaxAddress}),
  };
  friend bool operator==(const SessionInfo&, const SessionInfo&) = default;
};

// A known peer: what `peers` reports, and what Daemon::peers() returns.
struct PeerInfo {
  PublicKey id;
  std::optional<std::string> name;  // alias; nullopt when none
  PeerState state = PeerState::offline;
  bool trusted = false;
  std::vector<std::string> addrs;      // static then learned, each once, "host:port"
  std::optional<double> last_seen;     // Unix seconds; nullopt: never
  std::optional<double> rtt_ms;        // last ping's round trip; nullopt: none yet
  std::optional<double> since;         // Unix seconds when `state` was entered
  std::optional<SessionInfo> session;  // the active session, when online
  std::optional<std::string> fingerprint = std::nullopt;  // proto/peer_id.hpp fingerprint() of id
  // Why its last session or dial ended ("timeout", "untrusted_peer": it
  // does not trust us, ...); nullopt while online or when nothing failed.
  std::optional<std::string> last_error = std::nullopt;
  // Untrusted peers only: the name it announces itself by on the LAN (its
  // mDNS instance name, which carries its host name), and when it last
  // tried to connect to us and was refused (Unix seconds): it "wants to
  // pair" (`peernetctl pair PREFIX` on this side completes that).
  std::optional<std::string> host = std::nullopt;
  std::optional<double> wants_to_pair = std::nullopt;
  // Daemon-side detail, not sent: the addresses learned from inbound
  // connections, connect() and discovery, newest first.
  std::vector<Endpoint> learned_addrs = {};
  static constexpr auto kFields = std::tuple{
      field("id", &PeerInfo::id, PeerIdText{}),
      field("name", &PeerInfo::name, nullable(Str{kMaxResultString})),
      field("state", &PeerInfo::state,
            Named<PeerState>{to_string, peer_state_from_string, 32, "state"}),
      field("trusted", &PeerInfo::trusted, Bool{}),
      field("addrs", &PeerInfo::addrs, StrList{kMaxAddressList, kMaxAddress}),
      field("last_seen", &PeerInfo::last_seen, nullable(Number{})),
      field("rtt_ms", &PeerInfo::rtt_ms, nullable(Number{})),
      field("since", &PeerInfo::since, nullable(Number{})),
      field("session", &PeerInfo::session, nullable(Nested<SessionInfo>{})),
      field("fingerprint", &PeerInfo::fingerprint, omitted(Str{kMaxResultString})),
      field("last_error", &PeerInfo::last_error, omitted(Str{kMaxResultString})),
      field("host", &PeerInfo::host, omitted(Str{kMaxResultString})),
      field("wants_to_pair", &PeerInfo::wants_to_pair, omitted(Number{})),
  };
  friend bool operator==(const PeerInfo&, const PeerInfo&) = default;
};

// ---- trust.add, trust.remove, trust.list ----------------------------------------

struct TrustAddParams {
  using Method = method::TrustAdd;
  PublicKey id;
  std::optional<std::string> name;                // nullopt: keep (new peer: none)
  std::optional<std::vector<std::string>> addrs;  // nullopt: keep (new peer: none)
  static constexpr auto kFields = std::tuple{
      field("id", &TrustAddParams::id, PeerIdText{}),
      field("name", &TrustAddParams::name, omitted(Str{kMaxAlias})),
      field("addrs", &TrustAddParams::addrs, omitted(StrList{kMaxAddresses, kMaxAddress})),
  };
  friend bool operator==(const TrustAddParams&, const TrustAddParams&) = default;
};

// trust.add and connect answer the peer's id.
struct IdResult {
  PublicKey id;
  static constexpr auto kFields = std::tuple{field("id", &IdResult::id, PeerIdText{})};
  friend bool operator==(const IdResult&, const IdResult&) = default;
};

struct TrustRemoveParams {
  using Method = method::TrustRemove;
  std::string peer;
  static constexpr auto kFields =
      std::tuple{field("peer", &TrustRemoveParams::peer, Str{kMaxPeerName})};
  friend bool operator==(const TrustRemoveParams&, const TrustRemoveParams&) = default;
};

struct TrustListParams {
  using Method = method::TrustList;
  static constexpr auto kFields = std::tuple{};
  friend bool operator==(const TrustListParams&, const TrustListParams&) = default;
};

struct TrustEntry {
  PublicKey id;
  std::optional<std::string> name;
  std::vector<std::string> addrs;
  static constexpr auto kFields = std::tuple{
      field("id", &TrustEntry::id, PeerIdText{}),
      field("name", &TrustEntry::name, nullable(Str{kMaxResultString})),
      field("addrs", &TrustEntry::addrs, StrList{kMaxAddressList, kMaxAddress}),
  };
  friend bool operator==(const TrustEntry&, const TrustEntry&) = default;
};

// ---- the descriptions -----------------------------------------------------------

namespace method {

struct Hello : ClientRequest<HelloParams, HelloResult> {
  static constexpr std::string_view kName = "hello";
  static constexpr std::string_view kHelp =
      "agree on the protocol version; learn whether this client is admin";
};
struct Identity : ClientRequest<IdentityParams, IdentityResult> {
  static constexpr std::string_view kName = "identity";
  static constexpr std::string_view kHelp = "this daemon's peer id, fingerprint and public key";
};
struct Status : ClientRequest<StatusParams, StatusResult> {
  static constexpr std::string_view kName = "status";
  static constexpr std::string_view kHelp = "uptime, session and peer counts, and counters";
};
struct Peers : ClientRequest<PeersParams, std::vector<PeerInfo>> {
  static constexpr std::string_view kName = "peers";
  static constexpr std::string_view kHelp =
      "known peers with state, addresses, last seen and round-trip time";
};
struct TrustAdd : AdminRequest<TrustAddParams, IdResult> {
  static constexpr std::string_view kName = "trust.add";
  static constexpr std::string_view kHelp =
      "trust a peer (pairing), or update its alias and addresses";
};
struct TrustRemove : AdminRequest<TrustRemoveParams, Empty> {
  static constexpr std::string_view kName = "trust.remove";
  static constexpr std::string_view kHelp = "stop trusting a peer and close its session";
};
struct TrustList : ClientRequest<TrustListParams, std::vector<TrustEntry>> {
  static constexpr std::string_view kName = "trust.list";
  static constexpr std::string_view kHelp = "the trust list";
};

// Names for callers that need only the string.
inline constexpr std::string_view kHello = Hello::kName;
inline constexpr std::string_view kIdentity = Identity::kName;
inline constexpr std::string_view kStatus = Status::kName;
inline constexpr std::string_view kPeers = Peers::kName;
inline constexpr std::string_view kTrustAdd = TrustAdd::kName;
inline constexpr std::string_view kTrustRemove = TrustRemove::kName;
inline constexpr std::string_view kTrustList = TrustList::kName;

}  // namespace method

// In the method table's order.
using DaemonMethods = std::tuple<method::Hello, method::Identity, method::Status, method::Peers,
                                 method::TrustAdd, method::TrustRemove, method::TrustList>;

}  // namespace peernet::control
