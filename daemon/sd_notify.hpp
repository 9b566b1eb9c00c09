// The systemd notification protocol (sd_notify(3)), spoken directly: one
// AF_UNIX datagram of newline-separated VAR=value assignments to the socket
// named by $NOTIFY_SOCKET. It is small enough that linking libsystemd for it
// would cost more than it saves, and it works the same without systemd:
// when $NOTIFY_SOCKET is unset every call is a successful no-op.
//
// $NOTIFY_SOCKET is a file-system path ("/run/systemd/notify") or an
// abstract socket name written with a leading '@'. Other forms (systemd 254's
// "vsock:") are refused with Errc::unsupported.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace peernet {

// The variables systemd passes to a Type=notify service, read once.
struct NotifyEnvironment {
  std::optional<std::string> notify_socket;  // $NOTIFY_SOCKET
  std::optional<std::string> watchdog_usec;  // $WATCHDOG_USEC
  std::optional<std::string> watchdog_pid;   // $WATCHDOG_PID
  pid_t pid = 0;                             // our own pid
};

// Reads the variables and getpid(). With `unset`, removes them from the
// environment too, so programs the daemon starts later do not talk to
// systemd on its behalf (sd_notify's unset_environment). Call it before any
// thread that might read the environment exists.
NotifyEnvironment read_notify_environment(bool unset);

// The watchdog timeout systemd enforces (WatchdogSec=), in microseconds;
// nullopt when there is none for this process: WATCHDOG_USEC unset, zero or
// malformed, or WATCHDOG_PID naming another process (the variables were
// inherited from a parent).
std::optional<uint64_t> watchdog_interval(const NotifyEnvironment& env);

// How often to send WATCHDOG=1 for a timeout of `interval_usec`: half of
// it, as sd_watchdog_enabled(3) recommends, so one late ping is not fatal.
// Never below 1 ms.
uint64_t watchdog_ping_interval_ms(uint64_t interval_usec);

class Notifier {
 public:
  Notifier() = default;  // disabled: every call is a no-op
  // Sends to `socket` ('/' path or '@' abstract name); an empty string
  // disables. A malformed address fails at the first send.
  explicit Notifier(std::string socket) : socket_(std::move(socket)) {}
  static Notifier from(const NotifyEnvironment& env) {
    return Notifier(env.notify_socket.value_or(""));
  }

  bool enabled() const { return !socket_.empty(); }

  // READY=1: startup finished (or a reload did).
  Status ready();
  // STATUS=<text>: one line shown by `systemctl status`; newlines become
  // spaces, since they would start another assignment.
  Status status(std::string_view text);
  // STOPPING=1: a graceful shutdown began.
  Status stopping();
  // RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC now>: a reload began;
  // READY=1 ends it. systemd >= 253 requires the timestamp (to match the
  // reload to its request); older versions ignore it.
  Status reloading();
  // WATCHDOG=1: the event loop is alive.
  Status watchdog();

  // Sends `message` as one datagram ("A=1\nB=2"). Errc::io_error when the
  // socket is unreachable, Errc::unsupported for an unknown address form.
  Status send(std::string_view message);

 private:
  std::string socket_;
};

}  // namespace peernet
