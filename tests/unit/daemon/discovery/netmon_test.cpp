// The netlink side of the network monitor: crafted rtnetlink datagrams,
// well-formed and broken, and the getifaddrs listing it falls back to.
#include "discovery/netmon.hpp"

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "discovery/interfaces.hpp"

namespace peernet {
namespace {

// Appends one message of `type` with `payload` bytes of body, padded.
void message(Bytes& out, uint16_t type, size_t payload, bool pad = true) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(payload));
  h.nlmsg_type = type;
  size_t at = out.size();
  out.resize(at + (pad ? NLMSG_SPACE(payload) : NLMSG_LENGTH(payload)), 0);
  std::memcpy(out.data() + at, &h, sizeof h);
}

TEST(Netlink, CountsLinkAndAddressMessages) {
  Bytes d;
  message(d, RTM_NEWADDR, sizeof(ifaddrmsg) + 8);
  message(d, RTM_NEWROUTE, sizeof(rtmsg));  // not ours
  message(d, RTM_DELLINK, sizeof(ifinfomsg));
  message(d, RTM_NEWLINK, sizeof(ifinfomsg) + 3);
  message(d, RTM_DELADDR, sizeof(ifaddrmsg), /*pad=*/false);  // last: padding may be cut
  auto n = count_netlink_changes(d);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 4u);
}

TEST(Netlink, EmptyAndUnrelatedDatagramsAreNoChange) {
  EXPECT_EQ(count_netlink_changes(Bytes{}).value(), 0u);
  Bytes d;
  message(d, NLMSG_NOOP, 0);
  message(d, RTM_NEWNEIGH, 12);
  EXPECT_EQ(count_netlink_changes(d).value(), 0u);
  // A tail shorter than a header is ignored.
  d.push_back(1);
  EXPECT_EQ(count_netlink_changes(d).value(), 0u);
}

TEST(Netlink, RefusesLengthsOutsideTheDatagram) {
  Bytes d;
  message(d, RTM_NEWADDR, 8);
  Bytes too_long = d;
  uint32_t len = 4096;
  std::memcpy(too_long.data(), &len, 4);
  EXPECT_EQ(count_netlink_changes(too_long).error().code, Errc::protocol_error);
  Bytes too_short = d;
  len = 3;
  std::memcpy(too_short.data(), &len, 4);
  EXPECT_EQ(count_netlink_changes(too_short).error().code, Errc::protocol_error);
}

TEST(Netlink, UnalignedBuffersAreRead) {
  Bytes d(1, 0);
  message(d, RTM_NEWLINK, 16);
  auto n = count_netlink_changes(ByteView(d).subspan(1));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
}

TEST(Interfaces, ListsLoopbackAsLoopback) {
  auto list = list_interfaces();
  ASSERT_TRUE(list.ok()) << list.error().describe();
  bool found = false;
  for (const NetInterface& i : *list)
    if (i.name == "lo") {
      found = true;
      EXPECT_TRUE(i.loopback);
      EXPECT_FALSE(discovery_interface(i, {}));
    }
  EXPECT_TRUE(found);
  NetInterface eth;
  eth.name = "eth9";
  eth.up = eth.multicast = true;
  eth.ipv4 = {"198.18.0.1"};
  EXPECT_TRUE(discovery_interface(eth, {}));
  EXPECT_TRUE(discovery_interface(eth, {"eth9"}));
  EXPECT_FALSE(discovery_interface(eth, {"eth0"}));
  // A tunnel is no LAN unless named.
  NetInterface wg = eth;
  wg.name = "wg0";
  wg.point_to_point = true;
  EXPECT_FALSE(discovery_interface(wg, {}));
  EXPECT_TRUE(discovery_interface(wg, {"wg0"}));
  eth.up = false;
  EXPECT_FALSE(discovery_interface(eth, {}));
  EXPECT_FALSE(discovery_interface(eth, {"eth9"}));
}

TEST(Interfaces, AnnouncesWhatTheListenerAccepts) {
  NetInterface eth;
  eth.name = "eth0";
  eth.ipv4 = {"198.18.0.2", "198.18.1.2"};
  eth.ipv6 = {"fd00::2", "fe80::2"};
  auto announced = [&](std::vector<Endpoint> listening) {
    std::vector<Ipv4Address> v4;
    std::vector<Ipv6Address> v6;
    listened_addresses(eth, listening, v4, v6);
    std::vector<std::string> out;
    for (const auto& a : v4) out.push_back(format_ip(a));
    for (const auto& a : v6) out.push_back(format_ip(a));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(announced({{"127.0.0.1", 7469}}), V{});
  EXPECT_EQ(announced({{"::1", 7469}}), V{});
  EXPECT_EQ(announced({{"198.18.1.2", 7469}}), V{"198.18.1.2"});
  EXPECT_EQ(announced({{"198.18.9.9", 7469}}), V{});
  EXPECT_EQ(announced({{"0.0.0.0", 7469}}), (V{"198.18.0.2", "198.18.1.2"}));
  EXPECT_EQ(announced({{"::", 7469}}), (V{"198.18.0.2", "198.18.1.2", "fd00::2", "fe80::2"}));
  EXPECT_EQ(announced({{"fe80::2%eth0", 7469}, {"127.0.0.1", 7469}}), V{"fe80::2"});
}

TEST(Interfaces, AddressesRoundTrip) {
  Ipv4Address a;
  ASSERT_TRUE(parse_ipv4("198.18.0.7", a));
  EXPECT_EQ(format_ip(a), "198.18.0.7");
  Ipv6Address b;
  ASSERT_TRUE(parse_ipv6("fd00::7", b));
  EXPECT_EQ(format_ip(b), "fd00::7");
  EXPECT_FALSE(parse_ipv4("fd00::7", a));
}

}  // namespace
}  // namespace peernet
