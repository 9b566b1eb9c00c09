#include "service.hpp"

#include <utility>

namespace peernet {

Service::Options Service::Options::from_environment() {
  NotifyEnvironment env = read_notify_environment(/*unset=*/true);
  Options o;
  o.notifier = Notifier::from(env);
  o.watchdog_usec = watchdog_interval(env);
  return o;
}

Service::Reload::~Reload() {
  if (service_ == nullptr || service_->stopping_) return;
  service_->check(service_->options_.notifier.ready(), "READY=1");
  service_->send_status();
}

std::unique_ptr<Service> Service::create(uv_loop_t* loop, Daemon& daemon, Logger& log,
                                         Options options) {
  std::unique_ptr<Service> s(new Service(loop, daemon, log, std::move(options)));
  Service* self = s.get();
  s->subscription_ = daemon.subscribe([self](const PeerEvent&) { self->update_status(); });
  return s;
}

Service::Service(uv_loop_t* loop, Daemon& daemon, Logger& log, Options options)
    : loop_(loop),
      daemon_(daemon),
      log_(log),
      options_(std::move(options)),
      status_timer_(loop),
      watchdog_timer_(loop) {}

Service::~Service() {
  if (subscription_) daemon_.unsubscribe(*subscription_);
}

void Service::ready() {
  if (stopping_) return;
  send_status();
  check(options_.notifier.ready(), "READY=1");
  if (!options_.notifier.enabled()) return;
  log_.info("told the service manager we are ready");
  if (options_.watchdog_usec && !watchdog_timer_.active()) {
    uint64_t every = watchdog_ping_interval_ms(*options_.watchdog_usec);
    log_.info("watchdog: pinging the service manager every " + std::to_string(every) + " ms");
    // The ping comes from the loop itself, so a loop that is stuck stops
    // pinging and systemd restarts us. The same tick refreshes the status
    // for changes no peer event announces (trust list edits).
    check(watchdog_timer_.start(every, every,
                                [this] {
                                  check(options_.notifier.watchdog(), "WATCHDOG=1");
                                  update_status();
                                }),
          "watchdog timer");
  }
}

Service::Reload Service::reloading() {
  if (stopping_) return Reload(nullptr);
  check(options_.notifier.reloading(), "RELOADING=1");
  check(options_.notifier.status("reloading"), "STATUS=");
  last_status_.clear();  // so the status after the reload is sent
  return Reload(this);
}

void Service::stopping() {
  if (stopping_) return;
  stopping_ = true;
  check(options_.notifier.stopping(), "STOPPING=1");
  check(options_.notifier.status("stopping"), "STATUS=");
  // systemd stops watching once the unit is deactivating, and the loop
  // must be free to end when the daemon's own shutdown finishes.
  status_timer_.close();
  watchdog_timer_.close();
  if (subscription_) daemon_.unsubscribe(*std::exchange(subscription_, std::nullopt));
}

std::string Service::status_text(const DaemonStatus& s) {
  if (s.peers_trusted == 0) return "no trusted peers yet";
  return std::to_string(s.peers_online) + " of " + std::to_string(s.peers_trusted) +
         " trusted peers online";
}

// Sends now when the last status is old enough, else once, later, when it
// is: bursts of events collapse into one update that reflects the latest.
void Service::update_status() {
  if (stopping_ || !options_.notifier.enabled() || status_timer_.active()) return;
  uint64_t now = uv_now(loop_);
  uint64_t due = last_status_ms_ ? *last_status_ms_ + options_.status_interval_ms : now;
  if (due <= now) return send_status();
  check(status_timer_.start(due - now, 0, [this] { send_status(); }), "status timer");
}

void Service::send_status() {
  if (stopping_ || !options_.notifier.enabled()) return;
  std::string text = status_text(daemon_.status());
  if (text == last_status_) return;
  last_status_ = text;
  last_status_ms_ = uv_now(loop_);
  check(options_.notifier.status(text), "STATUS=");
}

// A notification that cannot be delivered does not stop the daemon; the
// first failure is a warning, repeats (every watchdog tick) only debug.
void Service::check(Status st, const char* what) {
  if (st) return;
  LogLevel level = warned_ ? LogLevel::debug : LogLevel::warning;
  warned_ = true;
  (void)log_.fail(std::move(st).error(), std::string("service manager notification ") + what +
                                             ", ignoring",
                  level);
}

}  // namespace peernet
