// A peer as both the daemon and the control protocol speak of it: its
// connection state, the events about it, and why its session closed. Each
// has one string table here, so that the daemon's logs, the `peers` result
// and the peer.* notifications name things the same way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peernet {

// A peer's connection state.
enum class PeerState : uint8_t { offline, connecting, online };
inline constexpr std::array<std::string_view, 3> kPeerStateNames = {"offline", "connecting",
                                                                    "online"};
constexpr std::string_view to_string(PeerState s) {
  return kPeerStateNames[static_cast<size_t>(s)];
}
std::optional<PeerState> peer_state_from_string(std::string_view name);

// What happens to a peer, one event per transition. Each kind's name is
// also the method of its control notification.
enum class PeerEventKind : uint8_t {
  up,          // the peer got its (first) active session: now online
  down,        // its last session closed: now offline (a close reason says why)
  connecting,  // we started dialling a peer that has no session
  discovered,  // seen on the LAN, new or at new addresses
  wants_to_pair,  // an untrusted peer dialled us and was refused: it wants to pair
};
inline constexpr size_t kPeerEventKinds = 5;
inline constexpr std::array<std::string_view, kPeerEventKinds> kPeerEventNames = {
    "peer.up", "peer.down", "peer.connecting", "peer.discovered", "peer.wants_to_pair"};
constexpr std::string_view to_string(PeerEventKind k) {
  return kPeerEventNames[static_cast<size_t>(k)];
}
std::optional<PeerEventKind> peer_event_from_string(std::string_view name);

// Close reasons (guides/protocol.md §5.2). Every other reason a session
// closes with is an Errc name (proto/result.hpp).
inline constexpr std::string_view kReasonShutdown = "shutdown";
inline constexpr std::string_view kReasonUntrusted = "untrusted_peer";
inline constexpr std::string_view kReasonDuplicate = "duplicate";
inline constexpr std::string_view kReasonTimeout = "timeout";
inline constexpr std::string_view kReasonBusy = "busy";
inline constexpr std::string_view kReasonNetworkChanged = "network_changed";
inline constexpr std::string_view kReasonClosed = "closed";
inline constexpr std::string_view kReasonProtocolError = "protocol_error";
// The local program the connection served (a pairing join or window) ended
// it or went away.
inline constexpr std::string_view kReasonCancelled = "cancelled";
// Ends a pairing connection (§10): the exchange succeeded, or it failed.
inline constexpr std::string_view kReasonPaired = "paired";
inline constexpr std::string_view kReasonPairingFailed = "pairing_failed";

// A human line for a peer whose last session closed with `reason`.
std::string down_message(std::string_view reason);

}  // namespace peernet
