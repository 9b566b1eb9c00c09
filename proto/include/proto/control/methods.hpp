// The control protocol's vocabulary: its version, size limits, the shape of
// a method description, and the method table (guides/control-api.md).
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
#include "proto/peer_state.hpp"
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

// Who sends a method.
enum class Direction : uint8_t { to_daemon, to_client };

// A method as the method table lists it (peernetctl's help, the guide's
// sections). `params` and `result` are one-line summaries made from the
// field descriptors.
struct MethodInfo {
  std::string_view name;
  Direction direction;
  RpcType type;             // request or notification
  bool admin;               // only an admin client may call it (to_daemon only)
  std::string_view params;  // "{peer: str, handle: str, timeout?: float}"
  std::string_view result;  // requests only; "" for a notification
  std::string_view help;    // one line, for peernetctl and the guide
};

// What a method description derives from. A description is a struct in
// namespace `method` (daemon_methods.hpp, handle_methods.hpp,
// session_methods.hpp, events.hpp) with kName and kHelp, deriving from one
// of these; Params and Result are structs described by kFields
// (schema.hpp), std::vector of such a struct (a list), or Bytes (a msgpack
// object relayed as is).
template <class P, class R, bool Admin = false>
struct ClientRequest {
  static constexpr Direction kDirection = Direction::to_daemon;
  static constexpr RpcType kType = RpcType::request;
  static constexpr bool kAdmin = Admin;
  using Params = P;
  using Result = R;
};
template <class P, class R>
using AdminRequest = ClientRequest<P, R, true>;

template <class P, class R>
struct DaemonRequest {
  static constexpr Direction kDirection = Direction::to_client;
  static constexpr RpcType kType = RpcType::request;
  static constexpr bool kAdmin = false;
  using Params = P;
  using Result = R;
};

template <class P>
struct DaemonNotification {
  static constexpr Direction kDirection = Direction::to_client;
  static constexpr RpcType kType = RpcType::notification;
  static constexpr bool kAdmin = false;
  using Params = P;
};

// Every method of the protocol, client-to-daemon methods first.
std::span<const MethodInfo> methods();
// A method by name and direction; nullptr when there is none. The server
// looks up requests with Direction::to_daemon (an unknown one is answered
// with Errc::unsupported), a client looks up what the daemon sends.
const MethodInfo* find_method(std::string_view name, Direction direction);

// Peer states and events are the daemon's and the protocol's alike
// (proto/peer_state.hpp); peer.* notifications are named after the events.
using peernet::PeerEventKind;
using peernet::PeerState;
using peernet::kPeerEventKinds;
using peernet::peer_event_from_string;
using peernet::peer_state_from_string;
using peernet::to_string;

}  // namespace peernet::control
