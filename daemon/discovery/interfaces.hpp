// The host's network interfaces and their addresses (getifaddrs(3)), for
// discovery (which interfaces to multicast and broadcast on, which
// addresses to announce) and for the polling network monitor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/dns/mdns.hpp"
#include "proto/endpoint.hpp"
#include "proto/result.hpp"

namespace peernet {

struct NetInterface {
  std::string name;
  uint32_t index = 0;  // if_nametoindex(3)
  bool up = false;  // IFF_UP and IFF_RUNNING
  bool loopback = false;
  bool multicast = false;
  bool point_to_point = false;  // IFF_POINTOPOINT: WireGuard, tun, PPP
  std::vector<std::string> ipv4;       // dotted quads
  std::vector<std::string> broadcast;  // directed IPv4 broadcast addresses (from the netmask), when IFF_BROADCAST
  std::vector<std::string> ipv6;       // without scope
  friend bool operator==(const NetInterface&, const NetInterface&) = default;
};

// Every interface, sorted by name, its addresses sorted.
Result<std::vector<NetInterface>> list_interfaces();

// Whether discovery uses `i`. With `only` empty: up, multicast-capable, not
// loopback, not point-to-point (a VPN tunnel is not a LAN). Otherwise: up
// and named in `only`, whatever its kind.
bool discovery_interface(const NetInterface& i, const std::vector<std::string>& only);

// The addresses of `i` that a daemon listening on `listening` accepts
// connections on, so the ones it may announce there: every IPv4 address
// for 0.0.0.0, every IPv4 and IPv6 one for :: (dual-stack), and a listening
// address itself when `i` holds it. A daemon listening on loopback only
// gets nothing.
void listened_addresses(const NetInterface& i, const std::vector<Endpoint>& listening,
                        std::vector<Ipv4Address>& ipv4, std::vector<Ipv6Address>& ipv6);

// Every IPv4 and IPv6 address of any interface (the session check after a
// network change: a session whose local address is not here lost it).
std::vector<std::string> all_addresses(const std::vector<NetInterface>& interfaces);

// Text and binary forms of an address; nullopt-like false when it is not one.
bool parse_ipv4(const std::string& text, Ipv4Address& out);
bool parse_ipv6(const std::string& text, Ipv6Address& out);
std::string format_ip(const Ipv4Address& a);
std::string format_ip(const Ipv6Address& a);

}  // namespace peernet
