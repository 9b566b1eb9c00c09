// One TCP connection to a peer: a uv TCP stream driving a sans-IO Link
// (proto/link/link.hpp), with its timers (session_timers.hpp). A Session knows
// nothing about peers or the registry: it reports to a SessionHost.
//
// States:
//
//   handshaking ──(Link established)──> open ──close()──> closing ──> closed
//
// An open session is *confirmed* once both sides accepted it
// (protocol.md §3): the responder at once (it judged the initiator last, and
// then sends a ping), the initiator when the responder's first envelope
// arrives and is not a `close` (a `duplicate` close counts as acceptance:
// the responder keeps another session to us). Only then does the host hear
// on_session_established(); a `close` first (the responder does not trust
// us) ends the session as a failed handshake, with the remote's reason as
// the error code, so that nobody counts it as a peer that came and went.
//        │                               │                  ^
//        └──────────(error, deadline)────┴──abort()/EOF─────┴──────────> closed
//
// - open: send() queues envelopes; everything received goes to the host.
// - closing: we sent `close` (unless the remote closed first) and send
//   nothing more. A `duplicate` close drains: what still arrives is handed
//   to the host until the remote's close or end of stream (protocol.md §7).
//   Other closes only wait for the remote's end, to let our close arrive.
//   Either way the wait is bounded by the handshake timeout.
// - closed: the socket is closed.
//
// The host hears of the end from later loop callbacks, never from inside a
// call into the Session: on_session_closing() once an established session
// leaves `open`, then on_session_closed(), exactly once per session.
//
// Lifetime rule: the host owns Sessions and may destroy one only (a) inside
// on_session_closed() for that session, or (b) from outside any callback of
// that session. The session's own callbacks touch nothing after they call
// the host's on_session_closed().
//
// Write pump: send() queues into the Link; the Link's output is written at
// once when no write is in flight, else when the in-flight write completes.
// Envelopes queued meanwhile thus share Noise messages (one AEAD each), with
// no timer and no added latency when idle. All frames of one flush go out as
// one uv_write (writev).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "proto/link/envelope.hpp"
#include "proto/link/hello.hpp"
#include "proto/keys.hpp"
#include "proto/link/link.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"
#include "peers/session_timers.hpp"
#include "uv/sock_addr.hpp"
#include "uv/tcp.hpp"

namespace peernet {

class Session;

class SessionHost {
 public:
  // The handshake learned the remote's static key (the Link's RemoteCheck:
  // the initiator before revealing itself, the responder at the end). An
  // error rejects the remote; the session then closes. A dialled session
  // must refuse any key but expected().
  virtual Status on_session_check(Session& s, const PublicKey& remote, const Hello& hello) = 0;
  // The handshake completed and both sides accepted the session (see
  // "confirmed" above); the session is open.
  virtual void on_session_established(Session& s) = 0;
  // A call, reply, error, send or close envelope arrived, or a pong that
  // answers no keepalive ping of the session's own (pings and the
  // keepalive's pongs are the session's business).
  virtual void on_session_envelope(Session& s, Envelope&& e) = 0;
  // An established session stopped being open (it closes, for any reason,
  // host-initiated included); runs at most once, before on_session_closed.
  virtual void on_session_closing(Session& s) = 0;
  // The session is closed; runs exactly once per session.
  virtual void on_session_closed(Session& s, const Error& why) = 0;

 protected:
  ~SessionHost() = default;
};

struct SessionSettings {
  size_t max_envelope = kDefaultMaxEnvelope;
  size_t write_queue_limit = 4u << 20;
  uint64_t rekey_after_messages = 1'000'000;
  SessionTimerSettings timers;
};

struct SessionCounters {
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t envelopes_in = 0, envelopes_out = 0;
};

class Session final : private SessionTimerEvents {
 public:
  enum class State { handshaking, open, closing, closed };
  // How send() treats the write-queue limit: `work` (call, send) is refused
  // with Errc::busy at the limit; `stream` (a local client's streamed send)
  // with Errc::busy at half the limit, so that a stream never takes the
  // room calls and answered sends need, and its client waits
  // (when_writable) instead of dropping; `answer` (reply, error, pong,
  // close) is queued up to kControlQueueFactor times the limit, beyond
  // which the session closes with `busy`.
  enum class Priority { work, stream, answer };

  struct Params {
    uint64_t id = 0;  // for logs and lookups; unique per daemon
    bool initiator = false;
    std::optional<PublicKey> expected;  // dialled this peer (the host refuses any other key)
    const KeyPair* local = nullptr;     // must outlive the session
    Hello hello;
    SessionSettings settings;
  };

  // Takes over a connected stream. Nothing happens until start().
  static Result<std::unique_ptr<Session>> create(uv_loop_t* loop, uv::TcpStream stream, Params params,
                                                 SessionHost& host, Rng& rng, Logger& log);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts reading, arms the handshake deadline and, as initiator, writes
  // message 1. On error the session is closed (the host hears of it).
  void start();

  // Errc::closed unless open; Errc::busy / payload_too_large as above.
  Status send(const Envelope& e, Priority priority);
  // The same for an envelope already encoded (and valid).
  Status send_encoded(Bytes envelope, Priority priority);
  // Graceful close with `reason` (a code, protocol.md §5.2). Only the first
  // close or abort counts.
  void close(std::string_view reason, std::string_view message = {});
  // Close the socket now.
  void abort(Error why);

  // Stops reading from the peer (a local handler is congested, see
  // handles.hpp); returns a callback that resumes reading if the session
  // still exists, or an empty function if reading was already paused or
  // the session is closed. Envelopes of the chunk being read are still
  // delivered.
  std::function<void()> pause_reading();

  // Bytes queued and not yet written by the kernel: the Link's queue plus
  // the stream's write queue.
  size_t queued_bytes() const;

  // Runs `ready` once the queue is down to a quarter of the limit, or the
  // session leaves `open` (a send then fails as for any closed session).
  // Called from inside the session's own callbacks: `ready` must only
  // schedule work, not send or destroy sessions.
  void when_writable(std::function<void()> ready);

  uint64_t id() const { return params_.id; }
  State state() const { return state_; }
  bool open() const { return state_ == State::open; }
  bool initiator() const { return params_.initiator; }
  // Whether the remote sent `close` (it sends nothing more).
  bool remote_closed() const { return remote_closed_; }
  // Whether the remote's close or end of stream arrived: it read what we
  // sent before our own close.
  bool remote_done() const { return remote_done_; }
  const std::string& remote_close_reason() const { return remote_close_reason_; }
  // Whether envelopes that arrive while closing still reach the host.
  bool draining() const { return draining_; }
  // Set once the handshake learned it.
  const std::optional<PublicKey>& remote() const { return link_.remote_static(); }
  const std::optional<PublicKey>& expected() const { return params_.expected; }
  // The remote's hello (its listening port), once established.
  const std::optional<Hello>& hello() const { return link_.remote_hello(); }
  const SockAddr& remote_address() const { return remote_addr_; }
  const SockAddr& local_address() const { return local_addr_; }
  const SessionCounters& counters() const { return counters_; }
  uint64_t created_at_ms() const { return created_at_ms_; }
  uint64_t established_at_ms() const { return established_at_ms_; }
  std::optional<double> rtt_ms() const { return rtt_ms_; }
  // uv_now() of the last bytes received.
  uint64_t last_received_ms() const { return timers_.last_received_ms(); }
  // The reason the session closed or is closing: ours, the remote's, or the
  // Errc name of the error that ended it. Empty while open.
  const std::string& close_reason() const { return close_reason_; }
  // The Noise handshake hash h, once the handshake is done: what a pairing
  // exchange binds its code to (protocol.md §10.3).
  Bytes handshake_hash() const { return link_.handshake_hash(); }
  // Both sides accepted the session (see the top of this file).
  bool confirmed() const { return confirmed_; }
  // "session 7 127.0.0.1:4242" for logs.
  std::string describe() const;

 private:
  Status check_room(Priority priority);
  void queued_one();
  Status start_reading();
  void resume_reading();
  void on_read(ByteView data);
  void on_eof();
  void dispatch(Envelope&& e);
  // Both sides accepted the session: arm its timers and tell the host.
  void confirm();
  void flush();
  void on_write_done(Status status);
  void maybe_finish_close();
  void finish();
  void fail(Error why);
  void leave_open();
  void wake_writers();
  void deliver_notifications();
  Session(uv_loop_t* loop, uv::TcpStream stream, Params params, Link link, SessionHost& host, Rng& rng,
          Logger& log);

  // SessionTimerEvents
  void on_deadline_expired() override;
  void on_ping_due() override;
  void on_peer_dead() override;
  void on_rekey_due() override;

  uv_loop_t* loop_;
  uv::TcpStream stream_;
  Params params_;
  SessionHost& host_;
  Rng& rng_;
  Logger& log_;
  Link link_;
  RemoteCheck check_;
  SessionTimers timers_;
  uv::Timer notify_;  // delivers on_session_closing/closed from a fresh callback
  uv::Timer flush_timer_;  // flushes what send() queued, once per loop iteration
  SockAddr remote_addr_;
  SockAddr local_addr_;

  // Points at this session until it is destroyed: what pause_reading()'s
  // callback checks.
  std::shared_ptr<Session*> self_;
  bool paused_ = false;
  std::vector<std::function<void()>> writable_waiters_;  // when_writable()
  State state_ = State::handshaking;
  bool write_in_flight_ = false;
  bool shutdown_started_ = false;
  bool shutdown_done_ = false;
  bool remote_done_ = false;  // the remote's close or end of stream arrived
  bool remote_closed_ = false;
  bool draining_ = false;
  bool rejected_ = false;  // the remote's key failed the check
  bool confirmed_ = false;  // both sides accepted the session (see the top)
  bool closing_pending_ = false;
  bool closed_notified_ = false;
  std::string remote_close_reason_;
  std::string close_reason_;
  std::optional<Error> close_error_;

  SessionCounters counters_;
  uint64_t created_at_ms_ = 0;
  uint64_t established_at_ms_ = 0;
  std::optional<uint64_t> ping_nonce_;
  uint64_t ping_sent_ns_ = 0;
  std::optional<double> rtt_ms_;
};

std::string_view to_string(Session::State s);

}  // namespace peernet
