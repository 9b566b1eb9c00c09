// Timer policy of a session, and the per-peer reconnect backoff: the one
// place that decides when anything happens by the clock, so that the
// liveness, rekey and reconnect rules can be read and tested together
// (the shape of wireguard-go's device/timers.go). The session calls the hooks below when the
// named event happens; the timers call back through SessionTimerEvents.
//
//   connection opened ──> handshake deadline ──(expired)──> abort: timeout
//   handshake complete ─> ping every ping_interval (RTT from the pong)
//                         dead-peer: nothing received for dead_after ─> close: timeout
//                         rekey every rekey_after (protocol.md §6)
//   session closing ───> only the close deadline (the handshake timeout)
//   session closed ────> nothing
//
// Idle cost: no timer fires more often than its configured interval, and
// nothing is re-armed per packet: on_data_received() only stores the time;
// the dead-peer timer looks at it when it fires and re-arms itself for the
// remainder.
#pragma once

#include <uv.h>

#include <cstdint>

#include "proto/rng.hpp"
#include "uv/timer.hpp"

namespace peernet {

struct SessionTimerSettings {
  uint64_t handshake_timeout_ms = 10'000;
  uint64_t ping_interval_ms = 15'000;
  uint64_t dead_after_ms = 45'000;
  uint64_t rekey_after_ms = 3'600'000;
};

class SessionTimerEvents {
 public:
  // The handshake, or a close that waits for the remote, took too long.
  virtual void on_deadline_expired() = 0;
  virtual void on_ping_due() = 0;
  // Nothing was received for dead_after.
  virtual void on_peer_dead() = 0;
  virtual void on_rekey_due() = 0;

 protected:
  ~SessionTimerEvents() = default;
};

class SessionTimers {
 public:
  SessionTimers(uv_loop_t* loop, const SessionTimerSettings& settings, SessionTimerEvents& events);

  // Call after the TCP connection is open and before the handshake starts.
  void on_connection_opened();
  // Call after the handshake completed (the session is established).
  void on_handshake_complete();
  // Call after bytes arrived from the peer. Cheap: stores the time only.
  void on_data_received() { last_received_ms_ = uv_now(loop_); }
  // Call after bytes were handed to the socket. Cheap: stores the time only.
  void on_data_sent() { last_sent_ms_ = uv_now(loop_); }
  // Call after the session started closing (it sent close or heard the
  // remote's close and waits for the end): stops the periodic timers and
  // arms one deadline, so a close never waits forever.
  void on_session_closing();
  // Call after the session is closed: stops everything.
  void on_session_closed();

  uint64_t last_received_ms() const { return last_received_ms_; }
  uint64_t last_sent_ms() const { return last_sent_ms_; }

 private:
  void arm_dead_peer(uint64_t in_ms);

  uv_loop_t* loop_;
  SessionTimerSettings settings_;
  SessionTimerEvents& events_;
  uv::Timer deadline_;  // handshake, then close
  uv::Timer ping_;
  uv::Timer dead_;
  uv::Timer rekey_;
  uint64_t last_received_ms_ = 0;
  uint64_t last_sent_ms_ = 0;
};

// Reconnect delays with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): delay = random(0, min(cap, min_delay * 2^attempt)).
// Full jitter spreads the redials of many peers that lost the same network
// instead of synchronising them.
class ReconnectBackoff {
 public:
  ReconnectBackoff(uint64_t min_ms = 1000, uint64_t max_ms = 60'000) : min_ms_(min_ms), max_ms_(max_ms) {}

  // The delay before the next attempt; counts the attempt.
  uint64_t next_delay_ms(Rng& rng);
  // Call after a session was established, or the network changed.
  void reset() { attempt_ = 0; }
  void set_bounds(uint64_t min_ms, uint64_t max_ms) {
    min_ms_ = min_ms;
    max_ms_ = max_ms;
  }
  uint32_t attempts() const { return attempt_; }
  // The upper bound the next delay is drawn below.
  uint64_t ceiling_ms() const;

 private:
  uint64_t min_ms_;
  uint64_t max_ms_;
  uint32_t attempt_ = 0;
};

}  // namespace peernet
