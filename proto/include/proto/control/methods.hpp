// The control protocol's vocabulary: its version, size limit, method and
// event names, and the method table (guides/control-api.md).
//
// The control socket speaks msgpack-RPC (proto/control/rpc.hpp) in both directions.
// A client sends requests to the daemon; the daemon sends a client requests
// (handle.call) and notifications (handle.send, peer events). Every params is
// an array of exactly one map of named parameters:
//
//     [0, 7, "call", [{"peer": "laptop", "handle": "echo", "args": [1, 2]}]]
//     [1, 7, nil, [1, 2]]
//     [1, 8, {"code": "peer_offline", "message": "..."}, nil]
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proto/link/record.hpp"
#include "proto/control/rpc.hpp"

namespace peernet::control {

// The control protocol version a hello exchanges. Version 1 may gain result
// keys and methods; clients ignore result keys they do not know.
inline constexpr uint64_t kVersion = 1;

// A control message carries at most one envelope's args or result plus the
// RPC and params framing around it, which 64 KiB bounds with room to spare.
inline constexpr size_t kMessageOverhead = 64 * 1024;
constexpr size_t max_message(size_t max_envelope) { return max_envelope + kMessageOverhead; }
inline constexpr size_t kDefaultMaxMessage = max_message(kDefaultMaxEnvelope);

// Bounds on params (bytes of a string, entries of a list). Handle names
// follow the peer protocol (kMaxHandleName, valid_handle_name).
inline constexpr size_t kMaxPeerName = 128;       // a peer id (63), prefix or alias
inline constexpr size_t kMaxAlias = 64;           // trust.add name (syntax: the trust store's)
inline constexpr size_t kMaxAddress = 300;        // "host:port"
inline constexpr size_t kMaxAddresses = 16;       // trust.add addrs
inline constexpr size_t kMaxAllow = 256;          // expose allow
inline constexpr size_t kMaxClientName = 128;     // hello client
inline constexpr size_t kMaxErrorMessage = 4096;  // error "message" a client sends
inline constexpr double kMaxTimeout = 3600;       // call timeout, seconds

// Method names. A client sends the first group to the daemon; the daemon
// sends the second to clients.
namespace method {
inline constexpr std::string_view kHello = "hello";
inline constexpr std::string_view kIdentity = "identity";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kPeers = "peers";
inline constexpr std::string_view kTrustAdd = "trust.add";
inline constexpr std::string_view kTrustRemove = "trust.remove";
inline constexpr std::string_view kTrustList = "trust.list";
inline constexpr std::string_view kExpose = "expose";
inline constexpr std::string_view kUnexpose = "unexpose";
inline constexpr std::string_view kCall = "call";
inline constexpr std::string_view kSend = "send";
inline constexpr std::string_view kSubscribe = "subscribe";
inline constexpr std::string_view kConnect = "connect";

inline constexpr std::string_view kHandleCall = "handle.call";
inline constexpr std::string_view kHandleSend = "handle.send";
inline constexpr std::string_view kPeerUp = "peer.up";
inline constexpr std::string_view kPeerDown = "peer.down";
inline constexpr std::string_view kPeerConnecting = "peer.connecting";
inline constexpr std::string_view kPeerDiscovered = "peer.discovered";
}  // namespace method

// Who sends a method.
enum class Direction : uint8_t { to_daemon, to_client };

struct MethodInfo {
  std::string_view name;
  Direction direction;
  RpcType type;             // request or notification
  bool admin;               // only an admin client may call it (to_daemon only)
  std::string_view params;  // one-line summary of the params map
  std::string_view result;  // one-line summary of the result (requests only)
  std::string_view help;    // one line, for peernetctl and the guide
};

// Every method of the protocol, client-to-daemon methods first.
std::span<const MethodInfo> methods();
// A method by name and direction; nullptr when there is none. The server
// looks up requests with Direction::to_daemon (an unknown one is answered
// with Errc::unsupported), a client looks up what the daemon sends.
const MethodInfo* find_method(std::string_view name, Direction direction);

// Peer events a client can subscribe to; each is also the method name of
// its notification.
enum class PeerEventKind : uint8_t { up, down, connecting, discovered };
inline constexpr size_t kPeerEventKinds = 4;
std::string_view to_string(PeerEventKind kind);  // "peer.up", ...
std::optional<PeerEventKind> peer_event_from_string(std::string_view name);

// A peer's connection state as `peers` reports it.
enum class PeerState : uint8_t { offline, connecting, online };
std::string_view to_string(PeerState state);  // "offline", ...
std::optional<PeerState> peer_state_from_string(std::string_view name);

// A request carrying `params`: P is any params struct with a kMethod and an
// encode_params overload (control_params.hpp for client requests,
// control_events.hpp for HandleCall).
template <class P>
RpcRequest make_request(uint32_t msgid, const P& params) {
  return RpcRequest{msgid, std::string(P::kMethod), encode_params(params)};
}

}  // namespace peernet::control
