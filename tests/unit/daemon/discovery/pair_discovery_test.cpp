// Finding the host of a pairing nameplate (protocol.md §10): the table of
// mDNS sightings with a nameplate (PairingHosts), and DiscoveryHub with
// mDNS off, where there is nothing to find and nothing to announce.
// Daemons here never multicast (daemon_fixture.hpp), so the announcements
// themselves are shown by the sans-IO tests of proto/dns.
#include <gtest/gtest.h>

#include "../daemon_fixture.hpp"
#include "discovery/discovery.hpp"
#include "discovery/hub.hpp"

namespace peernet::testing {
namespace {

PublicKey key(uint8_t a, uint8_t b = 0) {
  PublicKey k;
  k.bytes.fill(a);
  k.bytes[1] = b;
  return k;
}

DiscoveredPeer host(const PublicKey& k, std::string address, std::optional<std::string> nameplate,
                    double ttl_s = 120) {
  return DiscoveredPeer{k, {Endpoint{std::move(address), 7469}}, "host", "mdns", ttl_s, std::move(nameplate)};
}

TEST(PairingHosts, FindsTheHostOfANameplateOnly) {
  PairingHosts t;
  t.seen(host(key(2), "198.18.0.2", "417"), 1000);
  EXPECT_EQ(t.hosts("417", 1000), (std::vector<Endpoint>{{"198.18.0.2", 7469}}));
  EXPECT_TRUE(t.hosts("418", 1000).empty());
  EXPECT_TRUE(t.hosts("", 1000).empty());
}

TEST(PairingHosts, ClearedNameplateGoodbyeAndExpiryRemoveTheHost) {
  PairingHosts t;
  // The window closes: the next announcement has no nameplate.
  t.seen(host(key(2), "198.18.0.2", "417"), 1000);
  t.seen(host(key(2), "198.18.0.2", std::nullopt), 1100);
  EXPECT_TRUE(t.hosts("417", 1100).empty());
  // A goodbye.
  t.seen(host(key(2), "198.18.0.2", "417"), 1200);
  t.remove(key(2));
  EXPECT_TRUE(t.hosts("417", 1200).empty());
  // Expiry: valid for its TTL, gone after it.
  t.seen(host(key(2), "198.18.0.2", "417", 2), 2000);
  EXPECT_EQ(t.hosts("417", 3999).size(), 1u);
  EXPECT_TRUE(t.hosts("417", 4000).empty());
  EXPECT_EQ(t.size(4000), 0u);
}

TEST(PairingHosts, ANewNameplateReplacesTheOld) {
  PairingHosts t;
  t.seen(host(key(2), "198.18.0.2", "417"), 1000);
  t.seen(host(key(2), "198.18.0.2", "902"), 1100);
  EXPECT_TRUE(t.hosts("417", 1100).empty());
  EXPECT_EQ(t.hosts("902", 1100).size(), 1u);
}

TEST(PairingHosts, MostRecentFirstAtMostEightAddresses) {
  PairingHosts t;
  t.seen(host(key(2), "198.18.0.2", "417"), 1000);
  t.seen(host(key(3), "198.18.0.3", "417"), 1100);
  EXPECT_EQ(t.hosts("417", 1100), (std::vector<Endpoint>{{"198.18.0.3", 7469}, {"198.18.0.2", 7469}}));
  // Seen again: first again.
  t.seen(host(key(2), "198.18.0.2", "417"), 1200);
  EXPECT_EQ(t.hosts("417", 1200).front(), (Endpoint{"198.18.0.2", 7469}));
  for (int i = 0; i < 20; ++i) t.seen(host(key(4, static_cast<uint8_t>(i)), "198.18.1." + std::to_string(i), "417"), 1300);
  EXPECT_EQ(t.hosts("417", 1300).size(), kMaxPairingHostAddresses);
}

TEST(PairingHosts, IsBounded) {
  PairingHosts t;
  for (int i = 0; i < 300; ++i)
    t.seen(host(key(5, static_cast<uint8_t>(i)), "198.18.2." + std::to_string(i % 250), "417"), 1000);
  EXPECT_EQ(t.size(1000), kMaxPairingHosts);
  // The most recent sighting is kept.
  EXPECT_EQ(t.hosts("417", 1000).front(), (Endpoint{"198.18.2.49", 7469}));
}

TEST_F(DaemonTest, WithMdnsOffThereIsNoPairingHost) {
  Node& a = add_node();
  auto* hub = dynamic_cast<DiscoveryHub*>(&a->discovery());
  ASSERT_NE(hub, nullptr);
  hub->set_pairing_nameplate("417");  // nothing to announce it with
  hub->peer_found(host(key(2), "198.18.0.2", "417"));
  EXPECT_TRUE(hub->hosts_with_nameplate("417").empty());
  hub->set_pairing_nameplate(std::nullopt);
  EXPECT_EQ(hub->mdns_instance(), "");
}

}  // namespace
}  // namespace peernet::testing
