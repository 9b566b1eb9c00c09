#include "discovery/interfaces.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include <algorithm>
#include <map>

namespace peernet {
namespace {

std::string text_of(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::vector<NetInterface>> list_interfaces() {
  ifaddrs* head = nullptr;
  if (::getifaddrs(&head) != 0) return make_error(Errc::io_error, std::string("getifaddrs: ") + ::strerror(errno));
  std::map<std::string, NetInterface> by_name;
  for (ifaddrs* i = head; i != nullptr; i = i->ifa_next) {
    NetInterface& n = by_name[i->ifa_name];
    n.name = i->ifa_name;
    n.up = (i->ifa_flags & IFF_UP) != 0 && (i->ifa_flags & IFF_RUNNING) != 0;
    n.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    n.multicast = (i->ifa_flags & IFF_MULTICAST) != 0;
    n.point_to_point = (i->ifa_flags & IFF_POINTOPOINT) != 0;
    if (n.index == 0) n.index = ::if_nametoindex(i->ifa_name);
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      n.ipv4.push_back(text_of(i->ifa_addr));
      // The directed broadcast address, from the netmask: an address added
      // without "brd +" has no broadcast address of its own (0.0.0.0).
      if ((i->ifa_flags & IFF_BROADCAST) != 0 && i->ifa_netmask != nullptr && i->ifa_netmask->sa_family == AF_INET) {
        uint32_t addr = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
        uint32_t mask = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
        if (mask != 0 && (~mask) > 1) {  // not a /31 or /32: those have no broadcast
          sockaddr_in b{};
          b.sin_family = AF_INET;
          b.sin_addr.s_addr = htonl(addr | ~mask);
          n.broadcast.push_back(text_of(reinterpret_cast<const sockaddr*>(&b)));
        }
      }
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      n.ipv6.push_back(text_of(i->ifa_addr));
    }
  }
  ::freeifaddrs(head);
  std::vector<NetInterface> out;
  for (auto& [name, n] : by_name) {
    std::sort(n.ipv4.begin(), n.ipv4.end());
    std::sort(n.broadcast.begin(), n.broadcast.end());
    std::sort(n.ipv6.begin(), n.ipv6.end());
    out.push_back(std::move(n));
  }
  return out;
}

bool discovery_interface(const NetInterface& i, const std::vector<std::string>& only) {
  if (!i.up) return false;
  if (!only.empty()) return std::find(only.begin(), only.end(), i.name) != only.end();
  return !i.loopback && i.multicast && !i.point_to_point;
}

void listened_addresses(const NetInterface& i, const std::vector<Endpoint>& listening,
                        std::vector<Ipv4Address>& ipv4, std::vector<Ipv6Address>& ipv6) {
  auto add4 = [&](const std::string& text) {
    Ipv4Address a;
    if (parse_ipv4(text, a) && std::find(ipv4.begin(), ipv4.end(), a) == ipv4.end()) ipv4.push_back(a);
  };
  auto add6 = [&](const std::string& text) {
    Ipv6Address a;
    if (parse_ipv6(text, a) && std::find(ipv6.begin(), ipv6.end(), a) == ipv6.end()) ipv6.push_back(a);
  };
  for (const Endpoint& ep : listening) {
    std::string host = ep.host.substr(0, ep.host.find('%'));
    if (host == "0.0.0.0" || host == "::") {
      for (const std::string& a : i.ipv4) add4(a);
      if (host == "::")
        for (const std::string& a : i.ipv6) add6(a);
      continue;
    }
    Ipv4Address a4;
    Ipv6Address a6;
    if (parse_ipv4(host, a4)) {
      if (std::find(i.ipv4.begin(), i.ipv4.end(), host) != i.ipv4.end()) add4(host);
    } else if (parse_ipv6(host, a6)) {
      for (const std::string& mine : i.ipv6)
        if (Ipv6Address m; parse_ipv6(mine, m) && m == a6) add6(mine);
    }
  }
}

std::vector<std::string> all_addresses(const std::vector<NetInterface>& interfaces) {
  std::vector<std::string> out;
  for (const NetInterface& i : interfaces) {
    out.insert(out.end(), i.ipv4.begin(), i.ipv4.end());
    out.insert(out.end(), i.ipv6.begin(), i.ipv6.end());
  }
  return out;
}

bool parse_ipv4(const std::string& text, Ipv4Address& out) { return inet_pton(AF_INET, text.c_str(), out.data()) == 1; }
bool parse_ipv6(const std::string& text, Ipv6Address& out) {
  return inet_pton(AF_INET6, text.c_str(), out.data()) == 1;
}

std::string format_ip(const Ipv4Address& a) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, a.data(), buf, sizeof buf);
  return buf;
}

std::string format_ip(const Ipv6Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

}  // namespace peernet
