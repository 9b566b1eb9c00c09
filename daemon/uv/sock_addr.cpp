#include "sock_addr.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

#include "proto/text.hpp"

namespace peernet {

Result<SockAddr> SockAddr::from_ip(std::string_view host, uint16_t port) {
  SockAddr a;
  std::string text(host);
  if (text.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage_);
    if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) != 1)
      return make_error(Errc::bad_request, quote(host) + " is not an IP address");
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
    return a;
  }

  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  std::string addr = text.substr(0, text.find('%'));
  if (inet_pton(AF_INET6, addr.c_str(), &in6->sin6_addr) != 1)
    return make_error(Errc::bad_request, quote(host) + " is not an IPv6 address");
  if (size_t pct = text.find('%'); pct != std::string::npos) {
    // An unknown interface must not silently become scope 0 (any).
    std::string scope = text.substr(pct + 1);
    unsigned index = 0;
    auto [end, ec] = std::from_chars(scope.data(), scope.data() + scope.size(), index);
    if (ec != std::errc() || end != scope.data() + scope.size()) index = if_nametoindex(scope.c_str());
    if (index == 0)
      return make_error(Errc::bad_request, "no network interface " + quote(scope) + " for " + quote(host));
    in6->sin6_scope_id = index;
  }
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  a.len_ = sizeof(sockaddr_in6);
  return a;
}

Result<SockAddr> SockAddr::from_raw(const sockaddr* sa, socklen_t len) {
  SockAddr a;
  if (sa == nullptr) return make_error(Errc::unsupported, "no address");
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    a.len_ = sizeof(sockaddr_in);
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    a.len_ = sizeof(sockaddr_in6);
  } else {
    return make_error(Errc::unsupported, "not an IPv4 or IPv6 address (family " +
                                             std::to_string(sa->sa_family) + ")");
  }
  std::memcpy(&a.storage_, sa, a.len_);
  return a;
}

uint16_t SockAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SockAddr::host() const {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    std::string s = buf;
    if (in6->sin6_scope_id != 0) {
      char name[IF_NAMESIZE];
      s += '%';
      s += if_indextoname(in6->sin6_scope_id, name) ? std::string(name)
                                                    : std::to_string(in6->sin6_scope_id);
    }
    return s;
  }
  return "";
}

std::string SockAddr::to_string() const {
  if (family() != AF_INET && family() != AF_INET6) return "(no address)";
  return to_endpoint().to_string();
}

bool operator==(const SockAddr& a, const SockAddr& b) {
  return a.len_ == b.len_ && std::memcmp(&a.storage_, &b.storage_, a.len_) == 0;
}

}  // namespace peernet
