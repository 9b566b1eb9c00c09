// The session layer's constants, in one place, so that the timing rules can
// be reviewed together (the shape of wireguard-go's device/constants.go). Tunables that operators may change live in
// config.hpp; these are the fixed ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/peer_state.hpp"

namespace peernet {

// ---- Protocol (guides/protocol.md) ----

// Close reasons (§5.2) are shared with the control protocol's peer.down:
// proto/peer_state.hpp.

// ---- Implementation ----

// A new handshake from a peer replaces its established session, whatever
// the tie-break says, when nothing arrived on that session for this many
// ping intervals (protocol.md §7): the peer changed address and the old
// session is dead, it just has not timed out yet. 1.5 intervals is past
// the ping the peer must have sent meanwhile, plus its round trip.
inline constexpr double kStaleSessionPings = 1.5;

// Replies, errors and pongs answer work the peer already gave us, so they
// are not refused at the write-queue limit; up to this multiple of it they
// are queued, beyond it the peer is not reading and the session is closed
// with `busy` (design: a peer that does not read cannot grow us).
inline constexpr size_t kControlQueueFactor = 2;

// Addresses learned from inbound connections, per peer, most recent first.
// A peer that roams keeps a few recent ones; a hostile one cannot grow us.
inline constexpr size_t kMaxLearnedAddresses = 4;

// How long a session waits for its handles to settle after a graceful
// close before it is cut: the handshake timeout (protocol.md §7 bounds the
// draining of a duplicate by it), so there is one deadline to configure.

// The dialer never retries a whole round of addresses sooner than this,
// even when the jittered backoff draws 0: a peer that accepts and closes at
// once must not make us spin.
inline constexpr uint64_t kMinRedialMs = 100;

// A peer that refused us with `untrusted_peer` does not trust this daemon:
// dialling it again soon only fills its log. It is redialled after 5
// minutes, doubling up to 1 hour, each delay drawn between half and all of
// its bound; a new sighting of it, a reload or pairing starts over
// (protocol.md §8).
inline constexpr uint64_t kRefusedRedialMinMs = 5 * 60'000;
inline constexpr uint64_t kRefusedRedialMaxMs = 60 * 60'000;

}  // namespace peernet
