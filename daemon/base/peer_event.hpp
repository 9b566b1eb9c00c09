// The events observers receive (Daemon::subscribe). Part of the Daemon's
// public API; its own header so the registry can emit them without
// depending on the facade. Peer states, event kinds and close reasons are
// shared with the control protocol (proto/peer_state.hpp).
#pragma once

#include <string>
#include <vector>

#include "proto/keys.hpp"
#include "proto/peer_state.hpp"

namespace peernet {

// What observers hear about peers. One event per transition, in order.
struct PeerEvent {
  using Kind = PeerEventKind;
  Kind kind;
  PublicKey key;
  std::string name;     // the trusted alias, empty when none
  std::string address;  // up: the session's remote address "ip:port"
  std::string reason;   // down: the close reason ("timeout", "shutdown", ...)
  std::vector<std::string> addrs;  // discovered: where it was seen, "ip:port"
};

}  // namespace peernet
