// Peer states and the events observers receive (Daemon::subscribe). Part of
// the Daemon's public API; its own header so the registry can emit them
// without depending on the facade.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/keys.hpp"

namespace peernet {

enum class PeerState { offline, connecting, online };
std::string_view to_string(PeerState s);  // "offline", "connecting", "online"

// What observers hear about peers. One event per transition, in order.
struct PeerEvent {
  enum class Kind {
    connecting,  // we started dialling a peer that has no session
    up,          // the peer got its (first) active session: now online
    down,        // its last session closed: now offline (reason says why)
    discovered,  // seen on the LAN, new or at new addresses (discovery.hpp)
  };
  Kind kind;
  PublicKey key;
  std::string name;     // the trusted alias, empty when none
  std::string address;  // up: the session's remote address "ip:port"
  std::string reason;   // down: the close reason code ("timeout", "shutdown", ...)
  std::vector<std::string> addrs;  // discovered: where it was seen, "ip:port"
};
std::string_view to_string(PeerEvent::Kind k);  // "connecting", "up", "down", "discovered"

}  // namespace peernet
