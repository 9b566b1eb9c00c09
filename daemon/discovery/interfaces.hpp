// The host's network interfaces and their addresses (getifaddrs(3)), for
// discovery (which interfaces to multicast and broadcast on, which
// addresses to announce) and for the polling network monitor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/dns/mdns.hpp"
#include "proto/result.hpp"

namespace peernet {

struct NetInterface {
  std::string name;
  bool up = false;  // IFF_UP and IFF_RUNNING
  bool loopback = false;
  bool multicast = false;
  std::vector<std::string> ipv4;       // dotted quads
  std::vector<std::string> broadcast;  // directed IPv4 broadcast addresses (from the netmask), when IFF_BROADCAST
  std::vector<std::string> ipv6;       // without scope
  friend bool operator==(const NetInterface&, const NetInterface&) = default;
};

// Every interface, sorted by name, its addresses sorted.
Result<std::vector<NetInterface>> list_interfaces();

// Whether discovery uses `i`: up, multicast-capable, not loopback and, if
// `only` is not empty, named in it.
bool discovery_interface(const NetInterface& i, const std::vector<std::string>& only);

// Every IPv4 and IPv6 address of any interface (the session check after a
// network change: a session whose local address is not here lost it).
std::vector<std::string> all_addresses(const std::vector<NetInterface>& interfaces);

// Text and binary forms of an address; nullopt-like false when it is not one.
bool parse_ipv4(const std::string& text, Ipv4Address& out);
bool parse_ipv6(const std::string& text, Ipv6Address& out);
std::string format_ip(const Ipv4Address& a);
std::string format_ip(const Ipv6Address& a);

}  // namespace peernet
