// Pairing by code on this box (guides/protocol.md §10): the window a host
// opens, and the joins that look for one.
//
//   host:    open() ──> window (code, deadline, attempts) ──> paired / closed
//   joiner:  join(code) ──> each box announcing the nameplate (or `addr`)
//            ──> pairing connection ──> exchange ──> paired / next box / failed
//
// The registry hands pairing connections here (PairingHooks); each runs a
// proto::pairing::Exchange. Success trusts the other key (through
// Hooks::trust, which also dials it as a normal peer) and closes the
// pairing connection with `paired`.
//
// A window belongs to the control connection that opened it (its owner)
// and closes with it. Attempts: a connection counts as one once the joiner
// sent its CPace element; every attempt that does not end in `paired` is a
// failed one, and max_attempts of those close the window, so an attacker
// gets that many online guesses per window and none offline.
//
// Completion contract as everywhere (ARCHITECTURE.md): wait() and join()
// either return an error and never call back, or call back exactly once,
// later, on the loop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "peers/dialer.hpp"
#include "peers/registry.hpp"
#include "proto/control/pair_methods.hpp"
#include "proto/endpoint.hpp"
#include "proto/keys.hpp"
#include "proto/pairing/code.hpp"
#include "proto/pairing/exchange.hpp"
#include "proto/rng.hpp"
#include "uv/timer.hpp"

namespace peernet {

struct PairingSettings {
  double window_s = 120;            // how long a window stays open by default
  uint32_t max_attempts = 5;        // failed attempts that close a window
  double find_s = 5;                // how long a join looks for the host on the LAN
};

struct PairingCounters {
  uint64_t windows_opened = 0;
  uint64_t paired = 0;
  uint64_t attempts_failed = 0;  // on this box as host
  uint64_t joins_failed = 0;
};

class Pairing {
 public:
  using Done = std::function<void(Result<control::PairedResult>)>;
  struct Hooks {
    // Trusts `key` under `alias` (or, when empty, a name made from
    // `host_name`), learns `addr` for it when set, dials it; returns the
    // alias it got.
    std::function<Result<std::string>(const PublicKey& key, const std::optional<std::string>& alias,
                                      const std::string& host_name, const std::optional<Endpoint>& addr)>
        trust;
    // Where boxes announcing `nameplate` were seen (DiscoveryHub).
    std::function<std::vector<Endpoint>(std::string_view nameplate)> find_hosts;
    // The open window's nameplate changed (announce it, or stop).
    std::function<void(std::optional<std::string>)> announce;
  };

  Pairing(uv_loop_t* loop, Logger& log, Rng& rng, Registry& registry, Dialer& dialer, const KeyPair& identity,
          std::string host_name, Hooks hooks);
  ~Pairing();
  Pairing(const Pairing&) = delete;
  Pairing& operator=(const Pairing&) = delete;

  void configure(const PairingSettings& settings) { settings_ = settings; }
  const PairingCounters& counters() const { return counters_; }

  // ---- host ----
  // Opens a window for `owner`. Errc::exists when one is open already.
  Result<control::PairOpenResult> open(uint64_t owner, std::optional<double> window_s,
                                       std::optional<std::string> alias);
  // Calls back when `owner`'s window ends. Errc::bad_request when it has none.
  Status wait(uint64_t owner, Done done);
  // `owner` went away: its window closes, its joins are abandoned.
  void release(uint64_t owner);
  std::optional<std::string> open_nameplate() const;

  // ---- joiner ----
  Status join(uint64_t owner, const control::PairJoinParams& params, Done done);

  // Answers everything pending with Errc::cancelled; the daemon stops.
  void stop();

 private:
  struct Window;
  struct Join;
  struct Connection;

  void on_established(Session& s);
  void on_pair(Session& s, Pair&& m);
  void on_closed(Session& s, const Error& why);
  void paired(Connection& c, Session& s, const std::string& their_name);
  void attempt_failed(const std::string& why);
  void close_window(Result<control::PairedResult> outcome);
  void join_next(uint64_t join_id);
  void join_done(uint64_t join_id, Result<control::PairedResult> outcome);
  control::PairedResult result_for(const PublicKey& key, const std::string& alias) const;

  uv_loop_t* loop_;
  Logger& log_;
  Rng& rng_;
  Registry& registry_;
  Dialer& dialer_;
  const KeyPair& identity_;
  std::string host_name_;
  Hooks hooks_;
  PairingSettings settings_;
  PairingCounters counters_;
  std::unique_ptr<Window> window_;
  std::map<uint64_t, std::unique_ptr<Join>> joins_;
  uint64_t next_join_ = 1;
  std::map<uint64_t, Connection> connections_;  // by session id
  bool stopped_ = false;
};

}  // namespace peernet
