#include "discovery/netmon.hpp"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "discovery/interfaces.hpp"
#include "uv/poll.hpp"
#include "uv/timer.hpp"

namespace peernet {
namespace {

// Runs `on_change` once, kNetworkDebounceMs after the last poke.
class Debouncer {
 public:
  Debouncer(uv_loop_t* loop, std::function<void()> on_change) : timer_(loop), on_change_(std::move(on_change)) {}
  void poke() {
    (void)timer_.start(kNetworkDebounceMs, 0, [this] { on_change_(); });
  }

 private:
  uv::Timer timer_;
  std::function<void()> on_change_;
};

class NetlinkMonitor final : public NetworkMonitor {
 public:
  NetlinkMonitor(uv_loop_t* loop, Logger& log, uv::Poll poll, std::function<void()> on_change)
      : log_(log), poll_(std::move(poll)), debounce_(loop, std::move(on_change)) {}
  std::string_view kind() const override { return "netlink"; }

  Status start() {
    return poll_.start_readable([this](Status st) {
      if (!st) return log_.debug("netlink: " + st.error().describe());
      drain();
    });
  }

 private:
  void drain() {
    std::array<uint8_t, 16384> buf;
    // Bounded: a burst larger than this many datagrams is picked up by
    // the next readable callback.
    for (int i = 0; i < 64; ++i) {
      ssize_t n = ::recv(poll_.fd(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ENOBUFS) {  // the kernel dropped messages: assume a change
        debounce_.poke();
        continue;
      }
      if (n <= 0) return;
      auto count = count_netlink_changes(ByteView(buf.data(), static_cast<size_t>(n)));
      if (!count) {
        log_.debug("netlink: " + count.error().message + ", ignoring");
        continue;
      }
      if (*count > 0) debounce_.poke();
    }
  }

  Logger& log_;
  uv::Poll poll_;
  Debouncer debounce_;
};

class PollMonitor final : public NetworkMonitor {
 public:
  PollMonitor(uv_loop_t* loop, Logger& log, std::function<void()> on_change)
      : log_(log), timer_(loop), debounce_(loop, std::move(on_change)) {}
  std::string_view kind() const override { return "poll"; }

  void start(uint64_t interval_ms) {
    if (auto now = list_interfaces()) last_ = std::move(*now);
    (void)timer_.start(interval_ms, interval_ms, [this] {
      auto now = list_interfaces();
      if (!now) return log_.debug("network poll: " + now.error().describe());
      if (*now == last_) return;
      last_ = std::move(*now);
      debounce_.poke();
    });
  }

 private:
  Logger& log_;
  uv::Timer timer_;
  Debouncer debounce_;
  std::vector<NetInterface> last_;
};

Result<uv::Poll> open_netlink(uv_loop_t* loop) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return make_error(Errc::io_error, std::string("netlink socket: ") + ::strerror(errno));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(Errc::io_error, std::string("netlink bind: ") + ::strerror(err));
  }
  return uv::Poll::create(loop, fd);
}

}  // namespace

Result<size_t> count_netlink_changes(ByteView d) {
  size_t count = 0;
  size_t off = 0;
  while (d.size() - off >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, d.data() + off, sizeof h);  // the buffer may be unaligned
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > d.size() - off)
      return make_error(Errc::protocol_error, "netlink message of length " + std::to_string(h.nlmsg_len) +
                                                  " at offset " + std::to_string(off) + " of " +
                                                  std::to_string(d.size()));
    switch (h.nlmsg_type) {
      case RTM_NEWLINK:
      case RTM_DELLINK:
      case RTM_NEWADDR:
      case RTM_DELADDR:
        ++count;
        break;
      default:
        break;
    }
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (off > d.size()) break;  // the last message's padding may be cut
  }
  return count;
}

std::unique_ptr<NetworkMonitor> start_network_monitor(uv_loop_t* loop, Logger& log, std::string_view mode,
                                                      uint64_t poll_interval_ms, std::function<void()> on_change) {
  if (mode == "netlink") {
    auto poll = open_netlink(loop);
    if (poll) {
      auto m = std::make_unique<NetlinkMonitor>(loop, log, std::move(*poll), on_change);
      if (auto st = m->start(); st)
        return m;
      else
        log.warning("network monitor: " + st.error().describe() + ", polling instead");
    } else {
      log.warning("network monitor: " + poll.error().describe() + ", polling instead");
    }
  }
  auto m = std::make_unique<PollMonitor>(loop, log, std::move(on_change));
  m->start(poll_interval_ms);
  return m;
}

}  // namespace peernet
