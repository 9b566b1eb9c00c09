// A resolved IPv4 or IPv6 socket address, as libuv takes and returns them.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/endpoint.hpp"
#include "proto/result.hpp"

namespace peernet {

class SockAddr {
 public:
  SockAddr() = default;

  // From an IP literal (an IPv6 scope may be an interface name or index).
  // Errc::bad_request for a host name, a bad literal or an unknown interface.
  static Result<SockAddr> from_ip(std::string_view host, uint16_t port);
  static Result<SockAddr> from_endpoint(const Endpoint& ep) { return from_ip(ep.host, ep.port); }
  // Copies an AF_INET or AF_INET6 address; Errc::unsupported otherwise.
  static Result<SockAddr> from_raw(const sockaddr* sa, socklen_t len);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const { return len_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  // "198.18.0.1", "fe80::1%eth0" (no brackets, no port).
  std::string host() const;
  // "198.18.0.1:7469", "[fe80::1%eth0]:7469".
  std::string to_string() const;
  Endpoint to_endpoint() const { return Endpoint{host(), port()}; }

  friend bool operator==(const SockAddr& a, const SockAddr& b);

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace peernet
