// One peer we know by key: a trusted one from the trust list (later also
// discovered ones). Plain state, owned by the Registry, which keeps the
// invariants:
//
// - `active` is the one session new envelopes go out on; the peer is
//   online iff it has one (design: exactly one per peer, protocol.md §7);
// - `sessions` are the established sessions not yet closed: the active one
//   and those closing or draining after a tie-break;
// - `calls` are our outgoing calls to it, matched per peer (§5.1): they
//   fail together when its last live session is gone.
#pragma once

#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/endpoint.hpp"
#include "base/constants.hpp"
#include "peers/pending_calls.hpp"
#include "proto/keys.hpp"
#include "peers/session.hpp"
#include "peers/session_timers.hpp"

namespace peernet {

class Peer {
 public:
  Peer(uv_loop_t* loop, const PublicKey& key) : key(key), calls(loop) {}
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Where to dial: the static addresses first (an operator wrote them),
  // then the learned ones, without duplicates.
  std::vector<Endpoint> dial_addresses() const;
  // Remembers where the peer was reached or dialled back from; most recent
  // first, at most kMaxLearnedAddresses.
  void learn_address(const Endpoint& ep);
  // Whether some session may still deliver replies: the active one, or one
  // draining after a tie-break.
  bool has_live_session() const;
  // "peer(ABCD…WXYZ)", with the alias when there is one: "peer(ABCD…WXYZ) \"laptop\"".
  std::string tag() const;

  const PublicKey key;
  std::string name;  // trusted alias, empty when none
  bool trusted = true;
  std::vector<Endpoint> static_addrs;
  std::vector<Endpoint> learned_addrs;

  Session* active = nullptr;
  std::vector<Session*> sessions;
  bool dialing = false;  // the dialer has an attempt under way

  PendingCalls calls;
  ReconnectBackoff backoff;
  // The peer refused our last dial with `untrusted_peer`: it does not trust
  // us, so the dialer uses the slow schedule of refused_backoff until a
  // session comes up or something resets it (constants.hpp).
  bool refused_us = false;
  ReconnectBackoff refused_backoff{kRefusedRedialMinMs, kRefusedRedialMaxMs};
  // Why the last session or dial ended, for `peers`; cleared when it is up.
  std::optional<std::string> last_error;

  std::optional<int64_t> last_seen_unix_ms;  // set when it goes offline
  std::optional<int64_t> since_unix_ms;      // when it entered its current state
  std::optional<double> rtt_ms;              // the latest measurement
};

}  // namespace peernet
