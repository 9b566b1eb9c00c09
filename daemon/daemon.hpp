// The daemon core: one peernetd on one libuv loop (ARCHITECTURE.md).
//
// Owns the config, the identity, the trust list, the peer registry, the
// listeners, the dialer and the local handles. The control server and the
// tests drive it through this API only; everything runs on the loop thread
// and no method may be called from another thread.
//
// Completion contract (ARCHITECTURE.md, "Invariants"): an asynchronous method that
// returns an error never invokes its callback; otherwise the callback runs
// exactly once, later, on the loop — never from inside the call that
// started it. Destroying the Daemon cancels everything silently: callbacks
// still pending are dropped without running (whoever destroys it knows).
// After destruction the loop must run once more so libuv can free the
// closed handles.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "discovery/discovery.hpp"
#include "proto/endpoint.hpp"
#include "handles/table.hpp"
#include "base/log.hpp"
#include "base/peer_event.hpp"
#include "proto/bytes.hpp"
#include "proto/control/daemon_methods.hpp"
#include "proto/control/operator_methods.hpp"
#include "proto/keys.hpp"
#include "proto/control/pair_methods.hpp"
#include "proto/result.hpp"
#include "store/trust_store.hpp"

namespace peernet {

// A known peer and its active session, as peers() reports them: the very
// structs the control protocol's `peers` result encodes, with the
// daemon-only detail (learned addresses, session counters) as extra
// members the encoder leaves out.
using PeerInfo = control::PeerInfo;
using SessionInfo = control::SessionInfo;

// Counters since the daemon started.
struct DaemonStatus {
  double uptime_s = 0;
  size_t peers_trusted = 0;
  size_t peers_online = 0;
  size_t sessions = 0;            // open TCP sessions, handshaking and draining included
  size_t handshakes_pending = 0;  // sessions still in their handshake
  uint64_t handshakes_ok = 0;
  uint64_t handshakes_failed = 0;  // includes untrusted keys and deadlines
  uint64_t calls_in = 0, calls_out = 0;
  uint64_t sends_in = 0, sends_out = 0;
  uint64_t sends_dropped = 0;  // send() refused: offline, busy, too large
  uint64_t sends_refused = 0;  // reported by the peer: no such handle (protocol.md §5.1)
  uint64_t sends_refusals_sent = 0;  // sends of peers to handles we do not expose to them, reported back
  uint64_t bytes_in = 0, bytes_out = 0;  // TCP payload bytes, all sessions
  uint64_t pairing_windows = 0;          // pairing windows opened
  uint64_t pairing_paired = 0;           // peers paired by code, either side
  uint64_t pairing_attempts_failed = 0;  // failed attempts against our windows
  uint64_t pairing_joins_failed = 0;
  size_t handles = 0;                    // exposed local handles
  std::vector<Endpoint> listening;       // bound listener addresses (real ports)
  // Connections refused before authentication (peers/listener.hpp).
  uint64_t handshakes_refused_full = 0;
  uint64_t handshakes_refused_per_address = 0;
  uint64_t handshakes_refused_rate = 0;
  uint64_t handshakes_dropped_early = 0;
  uint64_t accept_failed = 0;
  uint64_t calls_in_duplicate = 0;  // calls refused for reusing a request id in flight
};

class Daemon {
 public:
  // Result bytes of a successful call (one msgpack object), or the error:
  // the remote's error code when it is a known Errc name, else
  // Errc::handler_failed with the remote code in the message; Errc::timeout;
  // Errc::peer_offline when the last session to the peer closed;
  // Errc::cancelled when the daemon stops.
  using CallCallback = std::function<void(Result<Bytes>)>;
  // The key of the peer the new session reached, or why it failed.
  using ConnectCallback = std::function<void(Result<PublicKey>)>;
  using DoneCallback = std::function<void()>;
  using Observer = std::function<void(const PeerEvent&)>;
  using SubscriptionId = uint64_t;

  // Loads (or creates) <state_dir>/identity.key and loads
  // <state_dir>/trust.toml; starts nothing. `log` must outlive the Daemon.
  static Result<std::unique_ptr<Daemon>> create(uv_loop_t* loop, Config config, Logger& log);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Binds the listeners (an error if any fails; nothing is left bound), then
  // creates a peer per trusted key and dials those with addresses. Once only.
  Status start();

  // Graceful stop: refuses new work, fails pending calls with
  // Errc::cancelled, sends `close` "shutdown" on every session, closes the
  // listeners and timers. `done` (optional) runs exactly once, later, when
  // every session is closed (a peer that does not read is cut off after
  // the handshake timeout). Calling it again is harmless: each `done`
  // passed runs once, when the stop completes.
  void stop(DoneCallback done = {});

  // SIGHUP: re-reads the trust list from disk and applies `config`. The
  // command handles and the admin grant are exposed again from it
  // (command_handles.hpp): a revoked grant holds from the next call. Peers
  // no longer trusted lose their sessions at once (`untrusted_peer`) and
  // their pending calls fail; new peers are dialled; changed addresses are
  // used from the next dial; sessions of still-trusted peers are untouched.
  // Values that need a restart (network.listen, network.tcp_user_timeout,
  // daemon.state_dir, control.*) are logged and ignored; the others apply
  // to sessions started from now on (the log level at once). An unreadable trust file is an error and changes
  // nothing.
  Status reload(Config config);

  // Calls `handle` on `peer`. Returns an error (and never calls back):
  // Errc::peer_offline when the peer has no active session,
  // Errc::busy when its session's write queue is full,
  // Errc::payload_too_large when the call exceeds session.max_envelope,
  // Errc::bad_request for an invalid handle name or args that are not one
  // msgpack object (empty args mean nil), Errc::closed after stop().
  // Otherwise `cb` runs exactly once (see CallCallback). `timeout_s` <= 0
  // means session.call_timeout.
  Status call(const PublicKey& peer, std::string_view handle, ByteView args, double timeout_s,
              CallCallback cb);

  // Fire-and-forget. Ok means "handed to a live session to that peer";
  // an error says why it was dropped: Errc::peer_offline, Errc::busy,
  // Errc::payload_too_large, Errc::bad_request, Errc::closed.
  Status send(const PublicKey& peer, std::string handle, Bytes args);
  // A local client's streamed send (control-api.md, "Streaming sends"):
  // as send(), except that a session with half its write queue in use
  // answers Errc::busy without counting a drop; the caller then waits for
  // when_writable() and tries the same send again, so a stream is slowed
  // down, never dropped, by a slow link.
  // The handle and args are not consumed, so that the caller can try again;
  // the caller has checked them (a valid handle name, args exactly one
  // msgpack object within MsgpackLimits): the control connection does as
  // it reads them.
  Status send_streamed(const PublicKey& peer, std::string_view handle, ByteView args);
  // Runs `ready` (from a later loop callback or at once) when the peer's
  // active session has room again, or when it has none.
  void when_writable(const PublicKey& peer, std::function<void()> ready);
  // A peer reported a send of ours as not delivered (no such handle, or
  // one it does not expose to us: it does not say which). Observers run
  // once per report; ids as for subscribe().
  using RefusedObserver = std::function<void(const PublicKey& peer, const std::string& handle, const std::string& code)>;
  SubscriptionId subscribe_refused(RefusedObserver observer);
  void unsubscribe_refused(SubscriptionId id);

  // One timed round trip over the peer's active session (Registry::ping):
  // Errc::peer_offline, Errc::busy, Errc::closed, or `cb` later with the
  // round trip in ms, Errc::timeout or Errc::peer_offline.
  using PingCallback = std::function<void(Result<double>)>;
  Status ping(const PublicKey& peer, double timeout_s, PingCallback cb);

  // Everything about one trusted peer (Errc::no_such_peer otherwise), and
  // the same for every trusted peer, sorted by key.
  Result<control::PeerShowResult> show(const PublicKey& peer) const;
  std::vector<control::PeerShowResult> show_all() const;

  // Local handles (handles.hpp for the errors). release_owner() is what the
  // control server calls when a client disconnects.
  Status expose(std::string name, OwnerId owner, std::shared_ptr<Handler> handler,
                std::vector<PublicKey> allow = {});
  Status unexpose(std::string_view name, OwnerId owner);
  size_t release_owner(OwnerId owner);
  std::vector<HandleInfo> handles() const;

  // Adds or updates a trusted peer and saves trust.toml atomically (on a
  // save error nothing changes). A new peer with addresses is dialled.
  // Errc::bad_request for our own key or a bad alias, Errc::exists for an
  // alias taken by another peer, Errc::io_error when saving fails.
  Status trust_add(TrustedPeer peer);
  // Removes the peer and saves; its sessions close at once with
  // `untrusted_peer` and its pending calls fail with Errc::peer_offline.
  // Errc::no_such_peer when it was not trusted.
  Status trust_remove(const PublicKey& key);
  // The trust list (also for resolving peer names: TrustStore::resolve).
  const TrustStore& trust() const;
  // Changes whenever trust() is replaced (a change, a reload): what caches
  // of trust lookups compare.
  uint64_t trust_generation() const;

  // Pairing by code (pairing/pairing.hpp, guides/protocol.md §10). The
  // window and the joins belong to `owner` (a control connection) and end
  // with release_owner(). Completion contract as for call().
  using PairDone = std::function<void(Result<control::PairedResult>)>;
  Result<control::PairOpenResult> pair_open(OwnerId owner, std::optional<double> window_s,
                                            std::optional<std::string> alias);
  Status pair_wait(OwnerId owner, PairDone done);
  Status pair_join(OwnerId owner, const control::PairJoinParams& params, PairDone done);

  // Dials `to` whoever answers; the answering key must be trusted.
  // Returns Errc::bad_request for port 0, Errc::closed after stop().
  // Otherwise `cb` runs exactly once: the peer's key when the handshake
  // completed, or Errc::untrusted_peer, Errc::timeout, Errc::io_error, ...
  // The address becomes one of the peer's learned addresses.
  Status connect(const Endpoint& to, ConnectCallback cb);

  // Where mDNS and the broadcast beacon report what they find; tests feed
  // candidates here directly. The rules are in discovery.hpp.
  Discovery& discovery();
  // What the network monitor calls after a change (see DiscoveryHub).
  void network_changed();
  // The mDNS instance name in use, empty when mDNS is off.
  std::string mdns_instance() const;
  // Listeners, discovery settings and interfaces (control method doctor).
  control::DoctorResult doctor() const;

  // A snapshot of every known peer, sorted by key: the trusted ones, then
  // (trusted = false) the discovered ones that are not trusted.
  std::vector<PeerInfo> peers() const;
  const PublicKey& identity() const;
  DaemonStatus status() const;
  const Config& config() const;

  // `observer` runs for every PeerEvent until unsubscribe(). Observers may
  // call into the Daemon and may unsubscribe (themselves or others) while
  // running. Ids are never reused.
  SubscriptionId subscribe(Observer observer);
  void unsubscribe(SubscriptionId id);

 private:
  struct Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace peernet
