// The TCP listeners of the peer protocol (config network.listen), and the
// limits on connections before authentication (protocol.md §3). An
// unauthenticated connection is cheap for an attacker and costs us a
// handshake slot, so one source must not be able to hold them all. Every
// new connection passes, in order:
//
//   1. a token bucket per source (network.handshake_rate per second, burst
//      network.handshake_burst), as WireGuard rate-limits handshake
//      initiations per source;
//   2. a cap on the source's connections still in their handshake
//      (network.max_pending_per_address);
//   3. random early drop as the global cap nears, OpenSSH's MaxStartups
//      start:rate:full: with `pending` connections in their handshake,
//      below early_drop_start none is dropped, from there one is dropped
//      with probability rate% growing linearly to 100 % at
//      max_pending_handshakes (full), where all are refused.
//
// A source is an IPv4 address, or the /64 an IPv6 address is in (one
// host usually owns a whole /64). A refused connection is closed at once,
// before any byte is read. The handshake deadline of an admitted one
// shrinks under pressure: network.handshake_timeout while fewer than
// early_drop_start are pending, falling linearly to
// network.handshake_timeout_min at the cap, so that held slots turn over
// faster when they are scarce.
//
// Each refusal is counted by kind; each offending source is logged at info
// at most once per kRefusalLogIntervalMs, and failed accepts (EMFILE) the
// same way. The per-source tables are bounded: entries of idle sources are
// swept as they fill up.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"
#include "proto/endpoint.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"
#include "uv/sock_addr.hpp"
#include "uv/tcp.hpp"

namespace peernet {

struct ListenerLimits {
  uint32_t max_pending = 64;              // network.max_pending_handshakes
  uint32_t max_pending_per_source = 8;    // network.max_pending_per_address
  uint32_t rate = 20;                     // network.handshake_rate, per second
  uint32_t burst = 5;                     // network.handshake_burst
  uint32_t early_drop_start = 32;         // network.early_drop_start (at most max_pending)
  uint32_t early_drop_rate = 30;          // network.early_drop_rate, percent
  uint64_t handshake_timeout_ms = 10'000;
  uint64_t handshake_timeout_min_ms = 2'000;
};

struct ListenerCounters {
  uint64_t refused_full = 0;        // the global cap
  uint64_t refused_per_source = 0;  // the source's cap
  uint64_t refused_rate = 0;        // the source's token bucket
  uint64_t dropped_early = 0;       // random early drop
  uint64_t accept_failed = 0;       // accept() itself failed (EMFILE, ...)
};

// One log line per source per interval.
inline constexpr uint64_t kRefusalLogIntervalMs = 60'000;
// Sources remembered (buckets, pending counts, log times) before a sweep.
inline constexpr size_t kMaxTrackedSources = 4096;

class Listener {
 public:
  // What the listener decided for an admitted connection: its source (to
  // hand back to handshake_ended()) and its handshake deadline.
  struct Admission {
    std::string source;
    uint64_t handshake_timeout_ms = 0;
  };
  using AcceptCallback = std::function<void(uv::TcpStream, Admission)>;
  using PendingCount = std::function<size_t()>;

  // `pending` counts inbound connections in their handshake, all sources.
  Listener(uv_loop_t* loop, Logger& log, Rng& rng, AcceptCallback on_accept, PendingCount pending)
      : loop_(loop), log_(log), rng_(rng), on_accept_(std::move(on_accept)), pending_(std::move(pending)) {}

  // Binds every endpoint; on any failure none stays bound.
  Status listen(const std::vector<Endpoint>& at, const uv::TcpOptions& options);
  void close();

  void set_limits(const ListenerLimits& limits) { limits_ = limits; }
  const ListenerLimits& limits() const { return limits_; }
  // An admitted connection's handshake ended (established or failed).
  void handshake_ended(const std::string& source);

  // The bound addresses, with the ports the kernel picked.
  std::vector<Endpoint> addresses() const;
  // The port to announce in our hello: the first listener's, 0 without one.
  uint16_t port() const;
  const ListenerCounters& counters() const { return counters_; }
  // Connections refused or dropped since start, all kinds.
  uint64_t refused() const {
    return counters_.refused_full + counters_.refused_per_source + counters_.refused_rate + counters_.dropped_early;
  }

  // The source a peer address counts under: the IPv4 address (also of a
  // v4-mapped IPv6 address), or "PREFIX::/64" of an IPv6 address.
  static std::string source_of(const SockAddr& addr);
  // The early-drop probability for a new connection with `pending` in
  // their handshake (0 below early_drop_start, 1 at the cap), and the
  // handshake deadline it gets if admitted.
  static double drop_probability(const ListenerLimits& limits, size_t pending);
  static uint64_t handshake_deadline_ms(const ListenerLimits& limits, size_t pending);

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t at_ms = 0;
  };
  void on_accept(Result<uv::TcpStream> r);
  bool take_token(const std::string& source, uint64_t now);
  void refuse(const std::string& source, uint64_t& counter, const std::string& why);
  void sweep(uint64_t now);

  uv_loop_t* loop_;
  Logger& log_;
  Rng& rng_;
  AcceptCallback on_accept_;
  PendingCount pending_;
  ListenerLimits limits_;
  std::vector<uv::TcpListener> listeners_;
  std::unordered_map<std::string, uint32_t> pending_by_source_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, uint64_t> logged_at_;  // source -> uv_now of its last log line
  uint64_t accept_failed_logged_at_ = 0;
  bool accept_failed_logged_ = false;
  ListenerCounters counters_;
};

}  // namespace peernet
