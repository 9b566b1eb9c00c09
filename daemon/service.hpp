// What the service manager hears from peernetd: readiness, a one-line
// status, reloads, shutdown and watchdog pings (systemd Type=notify, over
// sd_notify.hpp). Without $NOTIFY_SOCKET all of it is a quiet no-op, so
// main uses it unconditionally.
//
// The status line ("2 of 3 trusted peers online") follows peer events, at
// most once per `status_interval_ms`: a flapping network must not turn into
// a datagram storm towards PID 1. The pending update, if any, is one
// one-shot timer; the only repeating timer is the watchdog's, and it exists
// only when systemd asked for one (WatchdogSec=).
//
// Called on the loop thread only. The Daemon must outlive the Service.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "daemon.hpp"
#include "base/log.hpp"
#include "sd_notify.hpp"
#include "uv/timer.hpp"

namespace peernet {

class Service {
 public:
  struct Options {
    Notifier notifier;
    std::optional<uint64_t> watchdog_usec;  // systemd's WatchdogSec=, if any
    uint64_t status_interval_ms = 1000;

    // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, which are then
    // removed from the environment (read_notify_environment).
    static Options from_environment();
  };

  // Ends a reload when it goes out of scope: READY=1 and a fresh status,
  // whatever path the reload took.
  class [[nodiscard]] Reload {
   public:
    explicit Reload(Service* s) : service_(s) {}
    Reload(Reload&& o) noexcept : service_(o.service_) { o.service_ = nullptr; }
    Reload(const Reload&) = delete;
    Reload& operator=(const Reload&) = delete;
    Reload& operator=(Reload&&) = delete;
    ~Reload();

   private:
    Service* service_;
  };

  // Subscribes to the daemon's peer events; sends nothing yet.
  static std::unique_ptr<Service> create(uv_loop_t* loop, Daemon& daemon, Logger& log,
                                         Options options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Call once the daemon serves (listeners and control socket up): the
  // status, READY=1, and the watchdog starts.
  void ready();
  // Call at the start of a reload (SIGHUP); keep the result until it ends.
  Reload reloading();
  // Call when a graceful stop begins: STOPPING=1. Stops the timers and the
  // subscription, so the Service keeps the loop alive no longer. Idempotent.
  void stopping();

  // The status line for the daemon's current state.
  static std::string status_text(const DaemonStatus& status);

 private:
  Service(uv_loop_t* loop, Daemon& daemon, Logger& log, Options options);
  void update_status();
  void send_status();
  void check(Status st, const char* what);

  uv_loop_t* loop_;
  Daemon& daemon_;
  Logger& log_;
  Options options_;
  std::optional<Daemon::SubscriptionId> subscription_;
  uv::Timer status_timer_;    // one-shot: a throttled status update
  uv::Timer watchdog_timer_;  // repeating: WATCHDOG=1
  std::string last_status_;
  std::optional<uint64_t> last_status_ms_;  // uv_now() of the last STATUS sent
  bool stopping_ = false;
  bool warned_ = false;
};

}  // namespace peernet
