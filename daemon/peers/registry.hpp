// The peers this daemon knows and every session it has, handshaking ones
// included; the SessionHost of all of them.
//
// It keeps the one-session-per-peer rule (protocol.md §7): when a session is
// established for a peer that already has an active one,
//
//   the old one received nothing for 1.5 ping intervals -> the newer wins
//   same initiator (both ours, or both theirs)  -> the newer wins
//   otherwise -> the one initiated by the greater key wins
//
// and a session the remote has already closed as a duplicate always loses.
// The loser gets close("duplicate") and drains: nothing more is sent on it,
// what still arrives is processed (replies go out on the winner), until the
// remote's close or end of stream. When a peer has lost its active session
// and no draining one is left, every pending call to it fails at once with
// Errc::peer_offline.
//
// Reentrancy: observers and call callbacks run user code, which may call
// back into the registry (even remove the peer). They run last, after the
// registry's state is consistent, and nothing touches the peer after them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"
#include "peers/peer.hpp"
#include "base/peer_event.hpp"
#include "proto/link/envelope.hpp"
#include "proto/keys.hpp"
#include "peers/session.hpp"
#include "store/trust_store.hpp"
#include "uv/tcp.hpp"
#include "uv/timer.hpp"

namespace peernet {

// What the registry hands up to the daemon.
struct RegistryHooks {
  std::function<void(Peer&, Call&&)> on_call;
  // `from` is the session the send arrived on (for flow control).
  std::function<void(Peer&, Session& from, Send&&)> on_send;
  // Called with the registry consistent, before observers run. Must not
  // call back into the registry's peer or session management.
  std::function<void(Peer&)> on_peer_up;
  std::function<void(Peer&)> on_peer_down;
  // The peer reported a send of ours as not delivered: `[3, 0, code,
  // handle]` (protocol.md §5.1). Runs user code.
  std::function<void(Peer&, std::string handle, std::string code)> on_send_refused;
};

// A peer's traffic since the daemon started: closed sessions plus the open ones.
struct PeerTraffic {
  uint64_t messages_in = 0, messages_out = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
};

// At most this many peer.ping round trips wait for their pong per peer.
inline constexpr size_t kMaxPendingPings = 64;

// Pairing connections (guides/protocol.md §10) run between keys that do not
// trust each other yet; the registry keeps them apart from peers and hands
// them to the pairing component (daemon/pairing/).
struct PairingHooks {
  // The nameplate of the pairing window open on this box, if any: the
  // responder's hello names it, and an untrusted initiator whose hello
  // names the same one is let in.
  std::function<std::optional<std::string>()> open_nameplate;
  // A pairing connection was accepted on both sides.
  std::function<void(Session&)> on_established;
  std::function<void(Session&, Pair&&)> on_pair;
  // The connection closed (always called, after on_established or not).
  std::function<void(Session&, const Error&)> on_closed;
};

// An untrusted key that connected to us and was refused: it "wants to
// pair". Kept for `peers --all` so that the person at this box can see the
// knock and pair back (bounded and expiring: see kMaxPairRequests).
struct PairRequest {
  PublicKey key;
  Endpoint addr;             // where it listens (its hello's port), else where it came from
  int64_t last_unix_ms = 0;  // the latest refused attempt
  uint64_t attempts = 0;
  int64_t told_unix_ms = 0;  // when observers last heard of it (peer.wants_to_pair)
};
inline constexpr size_t kMaxPairRequests = 64;
// How long shutdown() lets sessions deliver their `close` before cutting them.
inline constexpr uint64_t kStopGraceMs = 1000;
inline constexpr int64_t kPairRequestTtlMs = 10 * 60'000;
// A repeated request from the same key is told to observers
// (peer.wants_to_pair) at most this often.
inline constexpr int64_t kPairRequestEventIntervalMs = 60'000;

struct RegistryCounters {
  uint64_t handshakes_ok = 0;
  uint64_t handshakes_failed = 0;
  uint64_t pairing_sessions = 0;  // pairing connections accepted on both sides
  uint64_t bytes_in_closed = 0;  // of sessions already gone
  uint64_t bytes_out_closed = 0;
};

class Registry final : public SessionHost {
 public:
  using HandshakeDone = std::function<void(Result<PublicKey>)>;
  using Observer = std::function<void(const PeerEvent&)>;
  using CallCallback = PendingCalls::Callback;

  Registry(uv_loop_t* loop, Logger& log, Rng& rng, const KeyPair& identity);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void set_hooks(RegistryHooks hooks) { hooks_ = std::move(hooks); }
  void set_pairing_hooks(PairingHooks hooks) { pairing_ = std::move(hooks); }
  // The refused initiators of the last kPairRequestTtlMs, newest first.
  const std::vector<PairRequest>& pair_requests();
  // Applies to sessions started from now on (and to backoff bounds).
  void configure(const SessionSettings& settings, uint16_t hello_port, uint64_t reconnect_min_ms,
                 uint64_t reconnect_max_ms);

  // ---- Peers ----
  Peer* find(const PublicKey& key);
  const Peer* find(const PublicKey& key) const;
  // Creates the peer, or updates its alias and static addresses.
  Peer& add_trusted(const TrustedPeer& tp);
  // Forgets the peer: its sessions close at once with `untrusted_peer`,
  // handshakes dialled to it are aborted, its pending calls fail.
  void remove(const PublicKey& key);
  const std::unordered_map<PublicKey, std::unique_ptr<Peer>>& peers() const { return peers_; }
  PeerState state(const Peer& p) const;
  // The dialer's attempt: offline -> connecting emits an event.
  void set_dialing(Peer& p, bool dialing);

  // ---- Sessions ----
  // Starts a session over a connected stream. `expected`: we dialled that
  // peer. On error (stopping, or the session could not be set up) the
  // stream is closed and `done` never runs; otherwise `done` (optional)
  // runs once, from a later callback, with the remote's key once
  // established or the error that ended the handshake.
  Status adopt(uv::TcpStream stream, bool initiator, std::optional<PublicKey> expected, HandshakeDone done = {});
  // Dials for pairing: the hello names `nameplate`, the responder's key is
  // accepted (untrusted) only if its hello names the same one, and the
  // connection goes to the pairing hooks, never to a peer. `done` as for
  // adopt(), with the responder's key once it accepted us.
  Status adopt_pairing(uv::TcpStream stream, std::string nameplate, HandshakeDone done);
  // An accepted connection, with the handshake deadline the listener chose
  // (peers/listener.hpp); `done` as for adopt().
  Status adopt_inbound(uv::TcpStream stream, uint64_t handshake_timeout_ms, HandshakeDone done);
  size_t session_count() const { return sessions_.size(); }
  size_t handshaking() const;
  // Inbound sessions still in their handshake (the listener's cap).
  size_t inbound_handshaking() const;
  uint64_t bytes_in() const;
  uint64_t bytes_out() const;
  const RegistryCounters& counters() const { return counters_; }

  // ---- Traffic ----
  // Errc::peer_offline without an open active session; else Session::send.
  Status send(const PublicKey& key, const Envelope& e, Session::Priority priority);
  Status send_encoded(const PublicKey& key, Bytes envelope, Session::Priority priority);
  // Session::when_writable on the peer's active session; `ready` at once
  // when it has none open.
  void when_writable(const PublicKey& key, std::function<void()> ready);
  // Sends a call on the active session and registers it (see Daemon::call).
  Status call(const PublicKey& key, std::string_view handle, ByteView args, uint64_t timeout_ms, CallCallback cb);
  // Sends the answer (Reply/ErrorReply, req_id set) to an incoming call on
  // the peer's active session, whichever session the call came on; dropped
  // (debug log) when the peer is gone. A reply too large for the peer
  // becomes a payload_too_large error.
  void answer(const PublicKey& key, Envelope answer);
  // One timed round trip: a ping with a fresh nonce on the active session,
  // completed by its pong (the round trip in ms), Errc::timeout after
  // `timeout_ms`, or Errc::peer_offline when the session closes first.
  // Errors as for send(); Errc::busy beyond kMaxPendingPings.
  using PingCallback = std::function<void(Result<double>)>;
  Status ping(const PublicKey& key, uint64_t timeout_ms, PingCallback cb);
  PeerTraffic traffic(const Peer& p) const;

  // After a network change: closes every session (handshaking ones
  // aborted) whose local address is not in `local_addresses` with
  // `network_changed`, rather than waiting for its liveness deadline.
  // Loopback sessions are kept. Returns how many were closed.
  size_t close_sessions_not_on(const std::vector<std::string>& local_addresses);

  // ---- Events ----
  uint64_t subscribe(Observer observer);
  void unsubscribe(uint64_t id);
  // Sends `ev` to the observers (for events the registry does not make
  // itself, such as discovered). Runs user code.
  void publish(const PeerEvent& ev) { emit(ev); }

  // Closes every session (`shutdown`), fails pending calls with
  // Errc::cancelled and refuses new sessions. `done` runs once every
  // session has closed, synchronously when none is open. A session whose
  // peer does not take its close (it stopped reading, or never ends its
  // side) is cut after kStopGraceMs, so that stopping never waits on a peer.
  void shutdown(std::function<void()> done);

  // SessionHost
  Status on_session_check(Session& s, const PublicKey& remote, const Hello& hello) override;
  void on_session_established(Session& s) override;
  void on_session_envelope(Session& s, Envelope&& e) override;
  void on_session_closing(Session& s) override;
  void on_session_closed(Session& s, const Error& why) override;

 private:
  struct Entry {
    std::unique_ptr<Session> session;
    HandshakeDone done;
    bool established = false;
    // A pairing connection: the nameplate our hello names (initiator), or
    // the one the initiator's hello matched (responder).
    std::optional<std::string> pairing;
  };
  Entry* entry_of(const Session& s);
  Status adopt_session(uv::TcpStream stream, bool initiator, std::optional<PublicKey> expected,
                       std::optional<std::string> pairing, HandshakeDone done, uint64_t handshake_timeout_ms = 0);

  Peer* peer_of(Session& s);
  bool new_session_wins(const Session& fresh, const Session& old) const;
  void activate(Peer& p, Session& s);
  void deactivate(Peer& p, std::string_view reason);
  void on_remote_close(Peer& p, Session& s, const Close& c);
  void complete_call(Peer& p, uint64_t req_id, Result<Bytes> result);
  void emit(const PeerEvent& ev);

  uv_loop_t* loop_;
  Logger& log_;
  Rng& rng_;
  const KeyPair& identity_;
  RegistryHooks hooks_;
  PairingHooks pairing_;
  std::vector<PairRequest> requests_;
  void remember_request(const PublicKey& key, const Session& s, const Hello& hello);
  SessionSettings settings_;
  uint16_t hello_port_ = 0;
  uint64_t reconnect_min_ms_ = 1000;
  uint64_t reconnect_max_ms_ = 60'000;

  std::unordered_map<PublicKey, std::unique_ptr<Peer>> peers_;
  std::unordered_map<uint64_t, Entry> sessions_;
  uint64_t next_session_id_ = 1;
  std::map<uint64_t, Observer> observers_;
  uint64_t next_observer_id_ = 1;
  RegistryCounters counters_;
  bool stopping_ = false;
  std::function<void()> stop_done_;
  uv::Timer stop_timer_;  // cuts the sessions still closing kStopGraceMs into shutdown()
  // Failed inbound handshakes are logged at info once per interval per address.
  struct PreauthLog {
    uint64_t at_ms = 0;
    uint64_t suppressed = 0;
  };
  static constexpr uint64_t kPreauthLogIntervalMs = 60'000;
  static constexpr size_t kMaxPreauthLogSources = 1024;
  std::unordered_map<std::string, PreauthLog> preauth_logged_;
  void log_preauth_failure(const Session& s, const Error& why);
};

}  // namespace peernet
