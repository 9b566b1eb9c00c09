// Outgoing connections: redialling trusted peers, and connect() to an
// address on request.
//
// A peer is dialled while it is trusted, has addresses and has no active
// session. One attempt at a time per peer: a round tries its addresses in
// order (static first, then learned; host names resolved by the uv
// resolver), each until TCP connects and the handshake ends; the session
// expects that peer's key, so any other key is refused before we reveal
// ourselves. When a round fails, the next waits for the peer's backoff
// (session_timers.hpp: full jitter, reset by an established session).
//
//   idle ──schedule──> waiting ──timer──> [resolving] -> connecting -> handshaking ──ok──> idle
//                         ^                    └────────── next address <─┘ fail
//                         └──────────── round failed (no address left)
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "proto/endpoint.hpp"
#include "base/log.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"
#include "peers/registry.hpp"
#include "uv/sock_addr.hpp"
#include "uv/resolver.hpp"
#include "uv/tcp.hpp"
#include "uv/timer.hpp"

namespace peernet {

class Dialer {
 public:
  using ConnectCallback = std::function<void(Result<PublicKey>)>;

  Dialer(uv_loop_t* loop, Logger& log, Rng& rng, Registry& registry);
  ~Dialer();
  Dialer(const Dialer&) = delete;
  Dialer& operator=(const Dialer&) = delete;

  // `connect_timeout_ms` bounds a TCP connect (a SYN into the void).
  void configure(const uv::TcpOptions& options, uint64_t connect_timeout_ms);

  // Dial the peer after its backoff delay (at once with `immediately`),
  // unless it is online, already being dialled, untrusted or has no address.
  void schedule(const PublicKey& key, bool immediately);
  // A new address or a network change: resets the peer's backoff and,
  // if it is waiting for its next round, starts that round now (a round
  // under way goes on). Same conditions as schedule().
  void redial_now(const PublicKey& key);
  // The peer is online: stop waiting or connecting. A handshake under way
  // finishes; the registry's tie-break keeps one session.
  void peer_online(const PublicKey& key);
  // The peer is no longer trusted (or gone): drop its attempt.
  void forget(const PublicKey& key);

  // Dial `to`, whoever answers (it must still be trusted). Errc::bad_request
  // for port 0, Errc::closed after stop(). Otherwise `cb` runs exactly once,
  // later (uv.hpp's contract).
  Status connect(const Endpoint& to, ConnectCallback cb);
  // The same for a pairing connection to the box whose window has
  // `nameplate` (Registry::adopt_pairing); `cb` gets its key once it
  // accepted us.
  Status connect_pairing(const Endpoint& to, std::string nameplate, ConnectCallback cb);

  // Cancels everything; pending connect() callbacks get Errc::cancelled.
  void stop();

 private:
  struct Dial;
  struct Request;

  void begin_round(Dial& d);
  void next_target(Dial& d);
  // connect() and connect_pairing(): `pairing` names the nameplate.
  Status start_request(const Endpoint& to, std::optional<std::string> pairing, ConnectCallback cb);
  void on_connected(const PublicKey& key, uint64_t generation, Status st);
  void on_handshake(const PublicKey& key, uint64_t generation, Result<PublicKey> r);
  void round_failed(Dial& d);
  void cancel(Dial& d);

  void request_next(Request& r);
  void request_done(uint64_t id, Result<PublicKey> result);

  uv_loop_t* loop_;
  Logger& log_;
  Rng& rng_;
  Registry& registry_;
  uv::TcpOptions options_;
  uint64_t connect_timeout_ms_ = 10'000;
  bool stopped_ = false;
  uint64_t next_generation_ = 1;
  std::unordered_map<PublicKey, std::unique_ptr<Dial>> dials_;
  std::map<uint64_t, std::unique_ptr<Request>> requests_;
  uint64_t next_request_ = 1;
};

}  // namespace peernet
