// Multicast DNS for peernet's service (RFC 6762, RFC 6763): what the
// responder (mdns_responder.hpp) and the browser (mdns_browser.hpp) share.
//
// Both are sans-IO state machines. The caller owns the socket and the
// clock: it parses each datagram once (parse_dns), hands the message and
// its source to both, calls tick() at next_deadline(), and sends whatever
// take_datagrams() returns. Times are milliseconds on any monotonic clock.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/bytes.hpp"

namespace peernet {

inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr std::string_view kMdnsGroupV4 = "224.0.0.251";
inline constexpr std::string_view kMdnsGroupV6 = "ff02::fb";

// The peernet protocol version announced in TXT ("v=1").
inline constexpr std::string_view kMdnsTxtVersion = "1";
// The TXT key of a pairing code's nameplate, present only while the
// announcing box has a pairing window open (protocol.md §10).
inline constexpr std::string_view kMdnsTxtPair = "pair";

// The most a datagram either side sends may hold. Without the interface
// MTU, a size every Ethernet path carries: 1500 less the IPv6 and UDP
// headers.
inline constexpr size_t kMdnsPacketBudget = 1440;

using Ipv4Address = std::array<uint8_t, 4>;
using Ipv6Address = std::array<uint8_t, 16>;

// fe80::/10: meaningful only together with the interface it was seen on.
inline bool ipv6_link_local(const Ipv6Address& a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

// Where a datagram came from: an IP literal, a UDP port and the index of
// the interface it arrived on (IP_PKTINFO / IPV6_PKTINFO; 0: unknown).
struct MdnsSource {
  std::string address;
  uint16_t port = kMdnsPort;
  uint32_t interface = 0;
  friend bool operator==(const MdnsSource&, const MdnsSource&) = default;
};

// A datagram to send: to the mDNS group on one interface (its index), on
// every interface (nullopt), or (a unicast or legacy answer) to one source.
struct MdnsDatagram {
  Bytes data;
  std::optional<MdnsSource> unicast_to;
  std::optional<uint32_t> interface = std::nullopt;
};

// One interface the responder serves: its index and the addresses it
// announces there (the listening addresses that interface holds). An
// answer to a query that arrived on it carries these addresses only.
struct MdnsLink {
  uint32_t index = 0;
  std::vector<Ipv4Address> ipv4;
  std::vector<Ipv6Address> ipv6;  // link-local ones included: they are this link's
  friend bool operator==(const MdnsLink&, const MdnsLink&) = default;
};

// An IPv6 address as the browser learned it: a link-local one with the
// index of the interface its record arrived on (0 for the others).
struct MdnsIpv6 {
  Ipv6Address address{};
  uint32_t scope = 0;
  friend bool operator==(const MdnsIpv6&, const MdnsIpv6&) = default;
};

}  // namespace peernet
