// Finding the host of a pairing nameplate (protocol.md §10): the table of
// mDNS sightings with a nameplate (PairingHosts), DiscoveryHub with mDNS
// off, where there is nothing to find and nothing to announce, and
// MdnsDiscovery's TXT as a legacy unicast query over loopback sees it.
// Tests never multicast on the host (daemon_fixture.hpp), and discovery
// leaves loopback out, so the announcement from one browser to another is
// shown by the sans-IO tests of proto/dns instead.
#include <unistd.h>

#include <gtest/gtest.h>

#include "../daemon_fixture.hpp"
#include "base/random.hpp"
#include "discovery/discovery.hpp"
#include "discovery/hub.hpp"
#include "discovery/mdns.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/sd.hpp"
#include "uv/timer.hpp"
#include "uv/udp.hpp"

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

struct NoSink final : Discovery {
  void peer_found(const DiscoveredPeer&) override {}
  void peer_lost(const PublicKey&, std::string_view) override {}
};

class MdnsSocketTest : public LoopTest {
 protected:
  std::optional<std::vector<std::string>> ask_txt(uint16_t port);
};

// Asks `port` on loopback for the TXT of instance "pair-host" once every
// 100 ms (no answers while probing) until an answer arrives; its strings.
// From a port other than 5353 this is a legacy query, answered to us.
std::optional<std::vector<std::string>> MdnsSocketTest::ask_txt(uint16_t port) {
  auto asker = uv::Udp::bind(&loop, SockAddr::from_ip("127.0.0.1", 0).value(), false);
  if (!asker) return std::nullopt;
  std::optional<std::vector<std::string>> txt;
  (void)asker->start_receiving([&](ByteView data, const SockAddr&) {
    auto m = parse_dns(data);
    if (!m) return;
    for (const DnsRecord& r : m->answers)
      if (const auto* x = std::get_if<TxtRdata>(&r.rdata)) txt = x->strings;
  });
  DnsMessage q;
  q.header.id = 0x4242;
  q.questions.push_back(DnsQuestion{service_instance_name("pair-host", service_type_name().value()).value(),
                                    DnsType::txt, kDnsClassIn, false});
  Bytes query = encode_dns(q);
  SockAddr to = SockAddr::from_ip("127.0.0.1", port).value();
  uv::Timer every(&loop);
  (void)every.start(0, 100, [&] { (void)asker->try_send(query, to); });
  run_until([&] { return txt.has_value(); });
  every.close();
  asker->close();
  return txt;
}

TEST_F(MdnsSocketTest, TxtCarriesTheNameplateOnlyWhileSet) {
  CaptureSink sink;
  Logger log{sink, LogLevel::debug};
  OsRng rng;
  NoSink found;
  // A port of our own instead of 5353, and loopback only (named, so it is
  // used): listening on 127.0.0.1, the daemon announces that there.
  uint16_t port = static_cast<uint16_t>(20000 + ::getpid() % 20000);
  MdnsSettings s{"pair-host", {"lo"}, 7469, key(7), port};
  s.listening = {Endpoint{"127.0.0.1", 7469}};
  auto mdns = std::make_unique<MdnsDiscovery>(&loop, log, rng, found, s);
  if (auto st = mdns->start(); !st) GTEST_SKIP() << "mDNS socket: " << st.error().describe();
  EXPECT_FALSE(mdns->set_pairing_nameplate("41x").ok());
  ASSERT_TRUE(mdns->set_pairing_nameplate("417").ok());
  auto txt = ask_txt(port);
  ASSERT_TRUE(txt);
  EXPECT_NE(std::find(txt->begin(), txt->end(), "pair=417"), txt->end());
  EXPECT_NE(std::find(txt->begin(), txt->end(), "v=1"), txt->end());
  ASSERT_TRUE(mdns->set_pairing_nameplate(std::nullopt).ok());
  txt = ask_txt(port);
  ASSERT_TRUE(txt);
  for (const std::string& t : *txt) EXPECT_NE(t.rfind("pair=", 0), 0u) << t;
  mdns->stop();
}

}  // namespace
}  // namespace peernet::testing
