// The discovery rules (discovery.hpp), with daemons on one loop fed
// candidates through Daemon::discovery() directly: no sockets besides the
// daemons' loopback listeners, nothing multicast.
#include "discovery/discovery.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "../daemon_fixture.hpp"
#include "proto/peer_id.hpp"
#include "uv/timer.hpp"

namespace peernet::testing {
namespace {

DiscoveredPeer seen(const Node& n, double ttl_s = 120) {
  return DiscoveredPeer{n.key(), {n.daemon->status().listening.at(0)}, "node", "mdns", ttl_s};
}

PublicKey key(uint8_t a, uint8_t b = 0) {
  PublicKey k;
  k.bytes.fill(a);
  k.bytes[1] = b;
  return k;
}

size_t untrusted_count(Node& n) {
  size_t c = 0;
  for (const PeerInfo& p : n->peers()) c += !p.trusted;
  return c;
}

TEST_F(DaemonTest, DiscoveredTrustedPeerIsDialledAtOnce) {
  Node& a = add_node();
  Node& b = add_node();
  trust(a, b, /*dial=*/false);
  trust(b, a, /*dial=*/false);
  a->discovery().peer_found(seen(b));
  ASSERT_TRUE(connected(a, b));
  auto info = a.info_of(b.key());
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->trusted);
  EXPECT_EQ(info->learned_addrs.at(0), b.endpoint());
  // Online since the session came up, which is after the peer was trusted.
  ASSERT_TRUE(info->since);
  ASSERT_TRUE(info->last_seen);
  EXPECT_GE(*info->last_seen, *info->since - 1.0);
  ASSERT_EQ(a.count(PeerEvent::Kind::discovered, b.key()), 1u);
  for (const PeerEvent& e : a.events) {
    if (e.kind == PeerEvent::Kind::discovered) {
      EXPECT_EQ(e.addrs, std::vector<std::string>{b.endpoint().to_string()});
    }
  }
  // The same sighting again is no news.
  a->discovery().peer_found(seen(b));
  EXPECT_EQ(a.count(PeerEvent::Kind::discovered, b.key()), 1u);
}

TEST_F(DaemonTest, DiscoveryResetsTheBackoffOfAnOfflinePeer) {
  // Long backoff: without discovery the next attempt would be far beyond
  // the test's guard.
  auto slow = [](Config& c) {
    c.session.reconnect_min = 600;
    c.session.reconnect_max = 600;
  };
  Node& a = add_node(slow);
  Node& b = add_node();
  TrustedPeer tp{b.key(), "", {Endpoint{"127.0.0.1", 1}}};  // nobody listens there
  ASSERT_TRUE(a->trust_add(tp).ok());
  trust(b, a, /*dial=*/false);
  ASSERT_TRUE(run_until(
      [&] { return a.count(PeerEvent::Kind::connecting, b.key()) > 0 && a.state_of(b.key()) == PeerState::offline; }));
  a->discovery().peer_found(seen(b));
  EXPECT_TRUE(connected(a, b));
}

TEST_F(DaemonTest, UntrustedPeerIsListedAndNeverDialled) {
  Node& a = add_node();
  Node& c = add_node();
  trust(c, a, /*dial=*/false);  // c would accept a, if a dialled
  a->discovery().peer_found(seen(c));
  auto info = a.info_of(c.key());
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->trusted);
  EXPECT_EQ(info->state, PeerState::offline);
  // Seen just now: both times are set, and not in the future.
  ASSERT_TRUE(info->last_seen);
  ASSERT_TRUE(info->since);
  EXPECT_LE(*info->since, *info->last_seen);
  EXPECT_EQ(info->learned_addrs, std::vector<Endpoint>{c.endpoint()});
  ASSERT_EQ(a.count(PeerEvent::Kind::discovered, c.key()), 1u);
  EXPECT_EQ(a.count(PeerEvent::Kind::connecting, c.key()), 0u);
  // Give a dial every chance to happen, then check none did.
  bool waited = false;
  uv::Timer t(&loop);
  ASSERT_TRUE(t.start(300, 0, [&] { waited = true; }).ok());
  ASSERT_TRUE(run_until([&] { return waited; }));
  EXPECT_EQ(a->status().handshakes_ok + a->status().handshakes_failed, 0u);
  EXPECT_EQ(c->status().handshakes_ok + c->status().handshakes_failed, 0u);
  EXPECT_EQ(a.count(PeerEvent::Kind::connecting, c.key()), 0u);
  // Gone after its goodbye.
  a->discovery().peer_lost(c.key(), "mdns");
  EXPECT_FALSE(a.info_of(c.key()));
}

TEST_F(DaemonTest, OwnAnnouncementIsIgnored) {
  Node& a = add_node();
  a->discovery().peer_found(seen(a));
  EXPECT_TRUE(a->peers().empty());
  EXPECT_TRUE(a.events.empty());
}

TEST_F(DaemonTest, UntrustedListIsBounded) {
  Node& a = add_node();
  for (int i = 0; i < 300; ++i)
    a->discovery().peer_found(DiscoveredPeer{key(static_cast<uint8_t>(2 + i / 256), static_cast<uint8_t>(i)),
                                             {Endpoint{"198.18.0.9", 7469}},
                                             "",
                                             "broadcast",
                                             60});
  EXPECT_EQ(untrusted_count(a), kMaxDiscoveredPeers);
}

TEST_F(DaemonTest, TrustingADiscoveredPeerUsesItsAddress) {
  Node& a = add_node();
  Node& c = add_node();
  trust(c, a, /*dial=*/false);
  a->discovery().peer_found(seen(c));
  trust(a, c, /*dial=*/false);  // no address given: the discovered one serves
  EXPECT_TRUE(connected(a, c));
  EXPECT_EQ(untrusted_count(a), 0u);
}

TEST(DiscoveredPeers, ExpireMergeAndEvict) {
  DiscoveredPeers list;
  DiscoveredPeer p{key(9), {Endpoint{"198.18.0.9", 7469}}, "nine", "mdns", 2};
  EXPECT_TRUE(list.add(p, 1000));
  EXPECT_FALSE(list.add(p, 1500));  // nothing new
  p.addrs = {Endpoint{"198.18.0.10", 7469}};
  EXPECT_TRUE(list.add(p, 1600));  // a new address
  ASSERT_EQ(list.entries().size(), 1u);
  EXPECT_EQ(list.entries()[0].addrs.size(), 2u);
  EXPECT_EQ(list.entries()[0].addrs[0], (Endpoint{"198.18.0.10", 7469}));
  list.expire(3500);
  EXPECT_EQ(list.entries().size(), 1u);
  list.expire(3600);
  EXPECT_TRUE(list.entries().empty());
  for (int i = 0; i < 300; ++i)
    list.add(
        DiscoveredPeer{
            key(3, static_cast<uint8_t>(i)), {Endpoint{"198.18.0.9", 1}}, "", "mdns", static_cast<double>(1 + i % 7)},
        0);
  EXPECT_EQ(list.entries().size(), kMaxDiscoveredPeers);
  for (int i = 0; i < 20; ++i) {
    p.key = key(4, static_cast<uint8_t>(i));
    p.addrs.push_back(Endpoint{"198.18.1." + std::to_string(i), 7469});
    list.add(p, 0);
  }
  for (const auto& e : list.entries()) EXPECT_LE(e.addrs.size(), kMaxDiscoveredAddresses);
}

}  // namespace
}  // namespace peernet::testing

namespace peernet::testing {
namespace {

TEST_F(DaemonTest, UnknownPrivatePeersAreListedWithoutIdOrEvent) {
  Node& a = add_node();
  DiscoveredPeer p{PublicKey{}, {Endpoint{"198.18.0.9", 7469}}, "peernet-0a1b2c3d", "mdns", 120};
  p.anonymous = true;
  a->discovery().peer_found(p);
  DiscoveredPeer q = p;
  q.name = "peernet-4e5f6071";
  q.addrs = {Endpoint{"198.18.0.10", 7469}};
  a->discovery().peer_found(q);
  std::vector<std::string> hosts;
  for (const PeerInfo& i : a->peers()) {
    EXPECT_FALSE(i.trusted);
    EXPECT_EQ(i.id, PublicKey{});
    EXPECT_FALSE(i.fingerprint);
    ASSERT_TRUE(i.host);
    hosts.push_back(*i.host + " " + i.addrs.at(0));
  }
  std::sort(hosts.begin(), hosts.end());
  EXPECT_EQ(hosts, (std::vector<std::string>{"peernet-0a1b2c3d 198.18.0.9:7469", "peernet-4e5f6071 198.18.0.10:7469"}));
  EXPECT_EQ(a.count(PeerEvent::Kind::discovered, PublicKey{}), 0u);
}

}  // namespace
}  // namespace peernet::testing
