#include "sd_notify.hpp"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>

#include "base/fd.hpp"

namespace peernet {
namespace {

std::optional<std::string> take_env(const char* name, bool unset) {
  const char* v = ::getenv(name);
  if (v == nullptr) return std::nullopt;
  std::string value(v);
  if (unset) ::unsetenv(name);
  return value;
}

// A decimal number with nothing around it (systemd writes them that way).
std::optional<uint64_t> parse_u64(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return n;
}

Error socket_error(const std::string& socket, int err) {
  return make_error(Errc::io_error, "notify socket \"" + socket + "\": " + ::strerror(err));
}

}  // namespace

NotifyEnvironment read_notify_environment(bool unset) {
  NotifyEnvironment env;
  env.notify_socket = take_env("NOTIFY_SOCKET", unset);
  env.watchdog_usec = take_env("WATCHDOG_USEC", unset);
  env.watchdog_pid = take_env("WATCHDOG_PID", unset);
  env.pid = ::getpid();
  return env;
}

std::optional<uint64_t> watchdog_interval(const NotifyEnvironment& env) {
  auto usec = parse_u64(env.watchdog_usec);
  if (!usec || *usec == 0) return std::nullopt;
  // Without WATCHDOG_PID the watchdog is ours (sd_watchdog_enabled(3)).
  if (env.watchdog_pid) {
    auto pid = parse_u64(env.watchdog_pid);
    if (!pid || *pid != static_cast<uint64_t>(env.pid)) return std::nullopt;
  }
  return usec;
}

uint64_t watchdog_ping_interval_ms(uint64_t interval_usec) {
  uint64_t ms = interval_usec / 2 / 1000;
  return ms == 0 ? 1 : ms;
}

Status Notifier::ready() { return send("READY=1"); }

Status Notifier::status(std::string_view text) {
  std::string msg = "STATUS=";
  for (char c : text) msg += (c == '\n' || c == '\r') ? ' ' : c;
  return send(msg);
}

Status Notifier::stopping() { return send("STOPPING=1"); }

Status Notifier::reloading() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

Status Notifier::watchdog() { return send("WATCHDOG=1"); }

Status Notifier::send(std::string_view message) {
  if (socket_.empty()) return {};

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // A path needs its terminating NUL inside sun_path; an abstract name is
  // exactly the bytes after the leading NUL, so its length is the address
  // length and it may use every byte.
  size_t room = socket_[0] == '@' ? sizeof addr.sun_path : sizeof addr.sun_path - 1;
  if (socket_.size() > room || (socket_[0] != '/' && socket_[0] != '@'))
    return make_error(Errc::unsupported, "notify socket \"" + socket_ +
                                             "\": not an absolute path or '@' abstract name that fits "
                                             "a Unix socket address");
  ::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@')
    addr.sun_path[0] = '\0';
  else
    len += 1;

  Fd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return socket_error(socket_, errno);
  // A blocking send, as libsystemd's: PID 1 drains its notify socket at
  // once (with a receive buffer of megabytes), so this does not stall the
  // loop in practice, and a dropped READY=1 would fail the whole start.
  // MSG_NOSIGNAL: a vanished receiver is an error, not a SIGPIPE.
  ssize_t n;
  do {
    n = ::sendto(s.get(), message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return socket_error(socket_, errno);
  if (static_cast<size_t>(n) != message.size())
    return make_error(Errc::io_error, "notify socket \"" + socket_ + "\": short datagram");
  return {};
}

}  // namespace peernet
