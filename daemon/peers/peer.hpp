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

// What happened with one peer since the daemon started: kept across its
// reconnects (not across restarts, nor once it is no longer trusted).
// Messages and bytes of sessions still open are added when read
// (Registry::traffic()).
struct PeerCounters {
  uint64_t messages_in_closed = 0, messages_out_closed = 0;  // envelopes of closed sessions
  uint64_t bytes_in_closed = 0, bytes_out_closed = 0;        // TCP bytes of closed sessions
  uint64_t calls_in = 0;       // calls it made to us
  uint64_t calls_out = 0;      // calls we made to it (handed to a session)
  uint64_t call_errors = 0;    // of ours that ended with an error or were refused at once
  uint64_t sends_in = 0;       // sends it made to us
  uint64_t sends_out = 0;      // sends handed to a session
  uint64_t sends_dropped = 0;  // sends to it dropped at once (offline, busy, too large)
  uint64_t sends_refused = 0;  // sends it reported as not delivered (no such handle)
  uint64_t handshakes_ok = 0;
  uint64_t handshakes_failed = 0;  // dials to it, or its connections, that did not come up
  uint64_t pings = 0;              // peer.ping round trips answered
};

class Peer {
 public:
  Peer(uv_loop_t* loop, const PublicKey& key) : key(key), calls(loop), pings(loop) {}
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Where to dial: the static addresses first (an operator wrote them),
  // then the learned ones, without duplicates.
  std::vector<Endpoint> dial_addresses() const;
  // Remembers where the peer was reached or dialled back from (`discovered`:
  // seen on the LAN), in its normalized form; most recent first, at most
  // kMaxLearnedAddresses.
  void learn_address(const Endpoint& ep, bool discovered = false);
  // Whether a learned address came from discovery.
  bool was_discovered(const Endpoint& ep) const;
  // Whether some session may still deliver replies: the active one, or one
  // draining after a tie-break.
  bool has_live_session() const;
  // "peer(ABCD…WXYZ)", with the alias when there is one: "peer(ABCD…WXYZ) \"laptop\"".
  std::string tag() const;

  const PublicKey key;
  std::string name;  // trusted alias, empty when none
  std::string host;  // the mDNS instance name it announces (carries its host name), empty when not seen
  bool trusted = true;
  std::vector<Endpoint> static_addrs;
  std::vector<Endpoint> learned_addrs;
  std::vector<Endpoint> discovered_addrs;  // those of learned_addrs seen by discovery

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

  PeerCounters counters;
  std::optional<int64_t> last_handshake_unix_ms;  // the last handshake that completed
  std::optional<std::string> last_close_reason;   // of its last active session, kept when up again
  std::optional<int64_t> last_close_unix_ms;
  // Round trips of peer.ping waiting for their pong, keyed by the ping's
  // nonce (protocol.md §5.1); they fail with the peer's last session.
  PendingCalls pings;
};

}  // namespace peernet
