// The two UDP sockets of mDNS (RFC 6762 §11, §15): 0.0.0.0:5353 and
// [::]:5353 (IPV6_V6ONLY), each with SO_REUSEADDR so that avahi or another
// responder shares the port. Every datagram received comes with the index
// of the interface it arrived on (IP_PKTINFO, IPV6_RECVPKTINFO), so that a
// query is answered with that interface's addresses and a link-local
// address is kept with its interface. Multicast goes out on one interface
// at a time (IP_MULTICAST_IF / IPV6_MULTICAST_IF set before each send),
// with TTL / hop limit 255 and loopback on, so that tools on this host see
// us; the groups are joined per interface by index (224.0.0.251 on those
// with an IPv4 address, ff02::fb on those with an IPv6 one).
//
// Either family may be missing (a kernel without IPv6, a port taken by a
// responder that does not share it): open() fails only when neither opens.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "proto/bytes.hpp"
#include "proto/result.hpp"
#include "uv/poll.hpp"
#include "uv/sock_addr.hpp"

namespace peernet {

class MdnsSocket {
 public:
  // One datagram, its source and the index of the interface it arrived on
  // (0 when the kernel did not say). `data` is valid during the call only.
  using RecvCallback = std::function<void(ByteView data, const SockAddr& from, uint32_t interface)>;

  MdnsSocket() = default;
  MdnsSocket(const MdnsSocket&) = delete;
  MdnsSocket& operator=(const MdnsSocket&) = delete;

  // Opens and binds both families on `port`; why_no_ipv4() / why_no_ipv6()
  // say why a family did not open (empty when it did).
  Status open(uv_loop_t* loop, uint16_t port, RecvCallback cb);
  bool has_ipv4() const { return v4_.is_open(); }
  bool has_ipv6() const { return v6_.is_open(); }
  const std::string& why_no_ipv4() const { return why_v4_; }
  const std::string& why_no_ipv6() const { return why_v6_; }

  // Joins or leaves the family's group on interface `index`.
  Status join(int family, uint32_t index);
  Status leave(int family, uint32_t index);
  // Sends to the family's group on interface `index`.
  Status send_multicast(int family, uint32_t index, ByteView data);
  // Sends to one address (its family's socket; a link-local IPv6 address
  // carries its scope).
  Status send_to(const SockAddr& to, ByteView data);

  void close();

 private:
  void drain(int fd);

  uint16_t port_ = 0;
  RecvCallback cb_;
  uv::Poll v4_, v6_;
  std::string why_v4_, why_v6_;
};

}  // namespace peernet
