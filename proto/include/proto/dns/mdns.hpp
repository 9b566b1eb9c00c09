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

// Where a datagram came from: an IP literal and a UDP port.
struct MdnsSource {
  std::string address;
  uint16_t port = kMdnsPort;
  friend bool operator==(const MdnsSource&, const MdnsSource&) = default;
};

// A datagram to send: to the mDNS group on every interface, or (a unicast
// or legacy answer) to one source.
struct MdnsDatagram {
  Bytes data;
  std::optional<MdnsSource> unicast_to;
};

using Ipv4Address = std::array<uint8_t, 4>;
using Ipv6Address = std::array<uint8_t, 16>;

}  // namespace peernet
