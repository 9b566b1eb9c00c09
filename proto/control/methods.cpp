#include "proto/control/methods.hpp"

#include <array>

namespace peernet::control {
namespace {

using enum Direction;
constexpr RpcType kRequest = RpcType::request;
constexpr RpcType kNotification = RpcType::notification;

// The one list of methods. guides/control-api.md has a section per entry and
// a test checks that it does; peernetctl prints `help` lines from here.
constexpr std::array kMethods = {
    MethodInfo{method::kHello, to_daemon, kRequest, false, "{version: 1, client?: str}",
               "{version, daemon, id, admin}",
               "agree on the protocol version; learn whether this client is admin"},
    MethodInfo{method::kIdentity, to_daemon, kRequest, false, "{}", "{id, fingerprint, public_key}",
               "this daemon's peer id, fingerprint and public key"},
    MethodInfo{method::kStatus, to_daemon, kRequest, false, "{}",
               "{id, uptime_s, sessions, peers_online, peers_total, handles, counters}",
               "uptime, session and peer counts, and counters"},
    MethodInfo{method::kPeers, to_daemon, kRequest, false, "{all?: bool}",
               "[{id, name, state, trusted, addrs, last_seen, rtt_ms, since, session}]",
               "known peers with state, addresses, last seen and round-trip time"},
    MethodInfo{method::kTrustAdd, to_daemon, kRequest, true, "{id, name?: str, addrs?: [str]}",
               "{id}", "trust a peer (pairing), or update its alias and addresses"},
    MethodInfo{method::kTrustRemove, to_daemon, kRequest, true, "{peer}", "{}",
               "stop trusting a peer and close its session"},
    MethodInfo{method::kTrustList, to_daemon, kRequest, false, "{}", "[{id, name, addrs}]",
               "the trust list"},
    MethodInfo{method::kExpose, to_daemon, kRequest, false, "{handle, allow?: [peer]}", "{}",
               "make a handle callable by peers, while this connection lasts"},
    MethodInfo{method::kUnexpose, to_daemon, kRequest, false, "{handle}", "{}",
               "withdraw a handle this connection exposed"},
    MethodInfo{method::kCall, to_daemon, kRequest, false, "{peer, handle, args, timeout?: float}",
               "the remote handler's result", "call a peer's handle and wait for its answer"},
    MethodInfo{method::kSend, to_daemon, kRequest, false, "{peer, handle, args}",
               "{delivered, reason?, message?}",
               "fire-and-forget to a peer's handle; says whether it left or why it was dropped"},
    MethodInfo{method::kSubscribe, to_daemon, kRequest, false, "{events?: [str]}", "{}",
               "choose which peer events this connection receives"},
    MethodInfo{method::kConnect, to_daemon, kRequest, false, "{addr}", "{id}",
               "dial an address now; the peer there must be trusted"},

    MethodInfo{method::kHandleCall, to_client, kRequest, false, "{peer, peer_name, handle, args}",
               "the handler's result", "a peer called a handle this connection exposed"},
    MethodInfo{method::kHandleSend, to_client, kNotification, false,
               "{peer, peer_name, handle, args}", "",
               "a peer sent to a handle this connection exposed"},
    MethodInfo{method::kPeerUp, to_client, kNotification, false, "{id, name}", "",
               "a session to a peer is established"},
    MethodInfo{method::kPeerDown, to_client, kNotification, false, "{id, name, reason, message}",
               "", "a peer's last session closed"},
    MethodInfo{method::kPeerConnecting, to_client, kNotification, false, "{id, name, addrs}", "",
               "the daemon is dialling a peer"},
    MethodInfo{method::kPeerDiscovered, to_client, kNotification, false, "{id, name, addrs}", "",
               "a peer was found on the network"},
};

// Indexed by the enum's value.
constexpr std::array<std::string_view, kPeerEventKinds> kEventNames = {
    method::kPeerUp, method::kPeerDown, method::kPeerConnecting, method::kPeerDiscovered};
static_assert(kEventNames.size() == static_cast<size_t>(PeerEventKind::discovered) + 1);

constexpr std::array<std::string_view, 3> kStateNames = {"offline", "connecting", "online"};
static_assert(kStateNames.size() == static_cast<size_t>(PeerState::online) + 1);

}  // namespace

std::span<const MethodInfo> methods() { return kMethods; }

const MethodInfo* find_method(std::string_view name, Direction direction) {
  for (const auto& m : kMethods)
    if (m.name == name && m.direction == direction) return &m;
  return nullptr;
}

std::string_view to_string(PeerEventKind kind) { return kEventNames[static_cast<size_t>(kind)]; }

std::optional<PeerEventKind> peer_event_from_string(std::string_view name) {
  for (size_t i = 0; i < kEventNames.size(); ++i)
    if (kEventNames[i] == name) return static_cast<PeerEventKind>(i);
  return std::nullopt;
}

std::string_view to_string(PeerState state) { return kStateNames[static_cast<size_t>(state)]; }

std::optional<PeerState> peer_state_from_string(std::string_view name) {
  for (size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == name) return static_cast<PeerState>(i);
  return std::nullopt;
}

}  // namespace peernet::control
