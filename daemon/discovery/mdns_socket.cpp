#include "discovery/mdns_socket.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "proto/dns/mdns.hpp"

namespace peernet {
namespace {

// Above the largest mDNS packet (RFC 6762 §17): a larger one arrives truncated.
constexpr size_t kRecvBuffer = 9216;
// Datagrams read per readable event, so that a flood cannot starve the loop.
constexpr int kMaxPerWakeup = 64;

Error sys_error(std::string_view what) {
  return make_error(Errc::io_error, std::string(what) + ": " + ::strerror(errno));
}

Status opt(int fd, int level, int name, int value, std::string_view what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return sys_error(what);
  return {};
}

Result<int> open_socket(int family, uint16_t port) {
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error(family == AF_INET ? "IPv4 UDP socket" : "IPv6 UDP socket");
  auto fail = [fd](Error e) -> Result<int> {
    ::close(fd);
    return e;
  };
  if (auto st = opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"); !st) return fail(st.error());
  if (family == AF_INET) {
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    at.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
      return fail(sys_error("bind 0.0.0.0:" + std::to_string(port)));
    for (auto [name, value, what] : {std::tuple{IP_PKTINFO, 1, "IP_PKTINFO"}, {IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL"},
                                     {IP_TTL, 255, "IP_TTL"}, {IP_MULTICAST_LOOP, 1, "IP_MULTICAST_LOOP"}})
      if (auto st = opt(fd, IPPROTO_IP, name, value, what); !st) return fail(st.error());
    // Only the groups joined here, not every group any socket joined.
    (void)opt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
  } else {
    if (auto st = opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY"); !st) return fail(st.error());
    sockaddr_in6 at{};
    at.sin6_family = AF_INET6;
    at.sin6_port = htons(port);
    at.sin6_addr = in6addr_any;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
      return fail(sys_error("bind [::]:" + std::to_string(port)));
    for (auto [name, value, what] :
         {std::tuple{IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"}, {IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS"},
          {IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS"}, {IPV6_MULTICAST_LOOP, 1, "IPV6_MULTICAST_LOOP"}})
      if (auto st = opt(fd, IPPROTO_IPV6, name, value, what); !st) return fail(st.error());
    (void)opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL");
  }
  return fd;
}

std::string family_name(int family) { return family == AF_INET ? "IPv4" : "IPv6"; }

}  // namespace

Status MdnsSocket::open(uv_loop_t* loop, uint16_t port, RecvCallback cb) {
  close();
  port_ = port;
  cb_ = std::move(cb);
  for (int family : {AF_INET, AF_INET6}) {
    std::string& why = family == AF_INET ? why_v4_ : why_v6_;
    uv::Poll& poll = family == AF_INET ? v4_ : v6_;
    auto fd = open_socket(family, port);
    if (!fd) {
      why = fd.error().describe();
      continue;
    }
    auto p = uv::Poll::create(loop, *fd);
    if (!p) {
      why = p.error().describe();
      continue;
    }
    poll = std::move(*p);
    if (auto st = poll.start_readable([this, &poll](Status st) {
          if (st) drain(poll.fd());
        });
        !st) {
      why = st.error().describe();
      poll.close();
    }
  }
  if (!v4_.is_open() && !v6_.is_open())
    return make_error(Errc::io_error, "UDP port " + std::to_string(port) + ": " + why_v4_ + "; " + why_v6_);
  return {};
}

void MdnsSocket::close() {
  v4_.close();
  v6_.close();
  why_v4_.clear();
  why_v6_.clear();
}

void MdnsSocket::drain(int fd) {
  std::array<uint8_t, kRecvBuffer> buffer;
  alignas(cmsghdr) std::array<char, 256> control;
  for (int n = 0; n < kMaxPerWakeup; ++n) {
    sockaddr_storage from{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr m{};
    m.msg_name = &from;
    m.msg_namelen = sizeof from;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    ssize_t got = ::recvmsg(fd, &m, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or a transient error (ICMP) on a datagram socket
    }
    if ((m.msg_flags & MSG_TRUNC) != 0) continue;
    uint32_t interface = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        ::memcpy(&info, CMSG_DATA(c), sizeof info);
        interface = static_cast<uint32_t>(info.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        ::memcpy(&info, CMSG_DATA(c), sizeof info);
        interface = info.ipi6_ifindex;
      }
    }
    auto addr = SockAddr::from_raw(reinterpret_cast<const sockaddr*>(&from), m.msg_namelen);
    if (!addr || !cb_) continue;
    // The callback may close us: nothing of `this` is used after it.
    RecvCallback cb = cb_;
    bool open_before = v4_.is_open() || v6_.is_open();
    cb(ByteView(buffer.data(), static_cast<size_t>(got)), *addr, interface);
    if (!open_before || (!v4_.is_open() && !v6_.is_open())) return;
  }
}

Status MdnsSocket::join(int family, uint32_t index) {
  std::string what = "join " + std::string(family == AF_INET ? kMdnsGroupV4 : kMdnsGroupV6) + " on interface " +
                     std::to_string(index);
  if (family == AF_INET) {
    if (!v4_.is_open()) return make_error(Errc::closed, what + ": no IPv4 socket");
    ip_mreqn r{};
    inet_pton(AF_INET, std::string(kMdnsGroupV4).c_str(), &r.imr_multiaddr);
    r.imr_ifindex = static_cast<int>(index);
    if (::setsockopt(v4_.fd(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &r, sizeof r) != 0 && errno != EADDRINUSE)
      return sys_error(what);
    return {};
  }
  if (!v6_.is_open()) return make_error(Errc::closed, what + ": no IPv6 socket");
  ipv6_mreq r{};
  inet_pton(AF_INET6, std::string(kMdnsGroupV6).c_str(), &r.ipv6mr_multiaddr);
  r.ipv6mr_interface = index;
  if (::setsockopt(v6_.fd(), IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &r, sizeof r) != 0 && errno != EADDRINUSE)
    return sys_error(what);
  return {};
}

Status MdnsSocket::leave(int family, uint32_t index) {
  std::string what = "leave the " + family_name(family) + " group on interface " + std::to_string(index);
  if (family == AF_INET) {
    if (!v4_.is_open()) return {};
    ip_mreqn r{};
    inet_pton(AF_INET, std::string(kMdnsGroupV4).c_str(), &r.imr_multiaddr);
    r.imr_ifindex = static_cast<int>(index);
    if (::setsockopt(v4_.fd(), IPPROTO_IP, IP_DROP_MEMBERSHIP, &r, sizeof r) != 0) return sys_error(what);
    return {};
  }
  if (!v6_.is_open()) return {};
  ipv6_mreq r{};
  inet_pton(AF_INET6, std::string(kMdnsGroupV6).c_str(), &r.ipv6mr_multiaddr);
  r.ipv6mr_interface = index;
  if (::setsockopt(v6_.fd(), IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &r, sizeof r) != 0) return sys_error(what);
  return {};
}

Status MdnsSocket::send_multicast(int family, uint32_t index, ByteView data) {
  std::string what = "send to the " + family_name(family) + " group on interface " + std::to_string(index);
  if (family == AF_INET) {
    if (!v4_.is_open()) return make_error(Errc::closed, what + ": no IPv4 socket");
    ip_mreqn r{};
    r.imr_ifindex = static_cast<int>(index);
    if (::setsockopt(v4_.fd(), IPPROTO_IP, IP_MULTICAST_IF, &r, sizeof r) != 0) return sys_error(what);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    inet_pton(AF_INET, std::string(kMdnsGroupV4).c_str(), &to.sin_addr);
    if (::sendto(v4_.fd(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
      return sys_error(what);
    return {};
  }
  if (!v6_.is_open()) return make_error(Errc::closed, what + ": no IPv6 socket");
  int i = static_cast<int>(index);
  if (::setsockopt(v6_.fd(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &i, sizeof i) != 0) return sys_error(what);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(port_);
  to.sin6_scope_id = index;
  inet_pton(AF_INET6, std::string(kMdnsGroupV6).c_str(), &to.sin6_addr);
  if (::sendto(v6_.fd(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return sys_error(what);
  return {};
}

Status MdnsSocket::send_to(const SockAddr& to, ByteView data) {
  const uv::Poll& p = to.family() == AF_INET ? v4_ : v6_;
  if (!p.is_open()) return make_error(Errc::closed, "send to " + to.to_string() + ": no socket of that family");
  if (::sendto(p.fd(), data.data(), data.size(), 0, to.get(), to.size()) < 0)
    return sys_error("send to " + to.to_string());
  return {};
}

}  // namespace peernet
