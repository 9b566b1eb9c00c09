// The sans-IO mDNS browser: query backoff, resolving PTR -> SRV/TXT -> A,
// TXT validation, our own id, goodbyes, known answers, bounds, bad input.
#include "proto/dns/mdns_browser.hpp"

#include <gtest/gtest.h>

#include "mdns_test_util.hpp"
#include "proto/dns/mdns_responder.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

using testing::CountingRng;
using testing::kPeerSource;
using testing::name;
using testing::parsed;

PublicKey key(uint8_t b) {
  PublicKey k;
  k.bytes.fill(b);
  return k;
}

class BrowserTest : public ::testing::Test {
 protected:
  void tick_to(uint64_t t) {
    while (auto d = b.next_deadline()) {
      if (*d > t) break;
      now = std::max(now, *d);
      b.tick(now);
      for (auto& x : b.take_datagrams()) sent.push_back(std::move(x));
    }
    now = std::max(now, t);
  }
  // The announcement of a peer with `id`, as MdnsResponder makes it.
  DnsMessage announcement(const PublicKey& id, std::string instance = "peer-one") {
    CountingRng r2;
    MdnsResponder resp(r2);
    MdnsServiceInfo s;
    s.instance = instance;
    s.host = "host-" + std::to_string(id.bytes[0]);
    s.port = 7469;
    s.txt = {{"id", peer_id_text(id)}, {"v", "1"}};
    s.ipv4 = {Ipv4Address{198, 18, 0, id.bytes[0]}};
    EXPECT_TRUE(resp.start(s, 0).ok());
    for (uint64_t t = 0; t < 2000; t += 50) resp.tick(t);
    auto out = resp.take_datagrams();
    return parsed(out.back());
  }
  void receive(const DnsMessage& m, const MdnsSource& from = kPeerSource) { b.receive(m, from, now); }

  CountingRng rng;
  MdnsBrowser b{rng, key(1)};
  uint64_t now = 1000;
  std::vector<MdnsDatagram> sent;
};

TEST_F(BrowserTest, QueriesWithGrowingIntervalsUpToAMinute) {
  b.start(now);
  ASSERT_TRUE(b.next_deadline());
  EXPECT_GE(*b.next_deadline(), now + 20);
  EXPECT_LE(*b.next_deadline(), now + 120);
  tick_to(now + 400'000);
  ASSERT_GE(sent.size(), 8u);
  DnsMessage q = parsed(sent[0]);
  EXPECT_FALSE(q.header.qr);
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0].name, name("_peernet._tcp.local"));
  EXPECT_EQ(q.questions[0].type, DnsType::ptr);
  // 1 + 2 + 4 + ... + 32 + 60 + 60 ... : about 10 queries in 400 s.
  EXPECT_LE(sent.size(), 14u);
}

TEST_F(BrowserTest, RestartQueriesAfterANetworkChange) {
  b.start(now);
  tick_to(now + 200'000);
  sent.clear();
  b.restart_queries(now);
  EXPECT_LE(*b.next_deadline(), now + 120);
  tick_to(now + 4000);
  EXPECT_GE(sent.size(), 3u);
}

TEST_F(BrowserTest, FindsAnAnnouncedPeer) {
  b.start(now);
  receive(announcement(key(7)));
  auto ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_EQ(ev[0].id, key(7));
  EXPECT_EQ(ev[0].instance, "peer-one");
  EXPECT_EQ(ev[0].port, 7469);
  EXPECT_EQ(ev[0].ipv4, (std::vector<Ipv4Address>{{198, 18, 0, 7}}));
  EXPECT_GT(ev[0].ttl_s, 100u);
  // The same again changes nothing.
  receive(announcement(key(7)));
  EXPECT_TRUE(b.take_events().empty());
}

TEST_F(BrowserTest, IgnoresOwnId) {
  b.start(now);
  receive(announcement(key(1)));
  EXPECT_TRUE(b.take_events().empty());
}

TEST_F(BrowserTest, ResponsesFromOtherPortsAndQueriesAreIgnored) {
  b.start(now);
  receive(announcement(key(7)), MdnsSource{"198.18.0.7", 40000});
  DnsMessage q = announcement(key(7));
  q.header.qr = false;
  receive(q);
  EXPECT_TRUE(b.take_events().empty());
  EXPECT_EQ(b.instances(), 0u);
}

TEST_F(BrowserTest, RejectsMissingOrBadIdAndOtherVersions) {
  b.start(now);
  for (auto txt :
       std::vector<std::vector<std::string>>{{"v=1"}, {"id=nonsense", "v=1"}, {"id=" + peer_id_text(key(7)), "v=2"}}) {
    DnsMessage m = announcement(key(7));
    for (auto& r : m.answers)
      if (r.type() == DnsType::txt) r.rdata = TxtRdata{txt};
    receive(m);
    auto ev = b.take_events();
    ASSERT_EQ(ev.size(), 1u) << txt[0];
    EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::rejected);
    EXPECT_FALSE(ev[0].why.empty());
    receive(m);  // reported once
    EXPECT_TRUE(b.take_events().empty());
  }
}

TEST_F(BrowserTest, GoodbyeLosesThePeerAfterASecond) {
  b.start(now);
  DnsMessage m = announcement(key(7));
  receive(m);
  ASSERT_EQ(b.take_events().size(), 1u);
  for (auto& r : m.answers) r.ttl = 0;
  receive(m);
  EXPECT_TRUE(b.take_events().empty());
  tick_to(now + 1500);
  auto ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::lost);
  EXPECT_EQ(ev[0].id, key(7));
  EXPECT_EQ(b.instances(), 0u);
}

TEST_F(BrowserTest, RecordsExpireWithoutRefresh) {
  b.start(now);
  receive(announcement(key(7)));
  ASSERT_EQ(b.take_events().size(), 1u);
  tick_to(now + 200'000);  // SRV and A live 120 s; nobody answers the refreshes
  auto ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::lost);
}

TEST_F(BrowserTest, AsksForWhatAPtrLeavesOut) {
  b.start(now);
  DnsMessage ptr_only;
  ptr_only.header.qr = true;
  ptr_only.answers.push_back(
      DnsRecord{name("_peernet._tcp.local"), kDnsClassIn, false, 4500, PtrRdata{name("peer-one._peernet._tcp.local")}});
  receive(ptr_only);
  EXPECT_TRUE(b.take_events().empty());
  sent.clear();
  tick_to(now + 10);
  ASSERT_FALSE(sent.empty());
  bool asked_srv = false, asked_txt = false;
  for (auto& d : sent)
    for (auto& q : parsed(d).questions) {
      asked_srv |= q.type == DnsType::srv && q.name == name("peer-one._peernet._tcp.local");
      asked_txt |= q.type == DnsType::txt;
    }
  EXPECT_TRUE(asked_srv);
  EXPECT_TRUE(asked_txt);
  receive(announcement(key(7)));
  EXPECT_EQ(b.take_events().size(), 1u);
}

TEST_F(BrowserTest, AsksAtMostFourTimesForAnUnansweredInstance) {
  b.start(now);
  DnsMessage ptr_only;
  ptr_only.header.qr = true;
  ptr_only.answers.push_back(
      DnsRecord{name("_peernet._tcp.local"), kDnsClassIn, false, 4500, PtrRdata{name("silent._peernet._tcp.local")}});
  receive(ptr_only);
  sent.clear();
  tick_to(now + 30'000);
  size_t srv_questions = 0;
  for (auto& d : sent)
    for (auto& q : parsed(d).questions) srv_questions += q.type == DnsType::srv;
  EXPECT_EQ(srv_questions, 4u);
}

TEST_F(BrowserTest, KnownAnswersGoWithTheQuery) {
  b.start(now);
  receive(announcement(key(7)));
  sent.clear();
  tick_to(now + 3000);
  bool with_known = false;
  for (auto& d : sent) {
    DnsMessage q = parsed(d);
    if (!q.questions.empty() && q.questions[0].type == DnsType::ptr)
      with_known |= !q.answers.empty() && q.answers[0].type() == DnsType::ptr;
  }
  EXPECT_TRUE(with_known);
}

TEST_F(BrowserTest, CacheIsBounded) {
  b.start(now);
  DnsMessage m;
  m.header.qr = true;
  for (int i = 0; i < 300; ++i)
    m.answers.push_back(DnsRecord{name("_peernet._tcp.local"), kDnsClassIn, false, 4500,
                                  PtrRdata{name("p" + std::to_string(i) + "._peernet._tcp.local")}});
  receive(m);
  EXPECT_EQ(b.instances(), kMdnsMaxInstances);
}

TEST_F(BrowserTest, ChangedAddressIsReportedAgain) {
  b.start(now);
  DnsMessage m = announcement(key(7));
  receive(m);
  ASSERT_EQ(b.take_events().size(), 1u);
  now += 2000;  // the cache-flush bit replaces addresses older than 1 s
  for (auto& r : m.answers)
    if (r.type() == DnsType::a) r.rdata = ARdata{{198, 18, 5, 5}};
  receive(m);
  auto ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_EQ(ev[0].ipv4, (std::vector<Ipv4Address>{{198, 18, 5, 5}}));
}

TEST_F(BrowserTest, ReportsAValidPairingNameplate) {
  b.start(now);
  DnsMessage m = announcement(key(7));
  receive(m);
  auto ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0].pairing_nameplate);
  // The window opens: the same instance is reported again, with it.
  now += 2000;
  for (auto& r : m.answers)
    if (r.type() == DnsType::txt) r.rdata = TxtRdata{{"id=" + peer_id_text(key(7)), "v=1", "pair=417"}};
  receive(m);
  ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_EQ(ev[0].pairing_nameplate, std::optional<std::string>("417"));
  // The window closes: reported again, without it.
  now += 2000;
  for (auto& r : m.answers)
    if (r.type() == DnsType::txt) r.rdata = TxtRdata{{"id=" + peer_id_text(key(7)), "v=1"}};
  receive(m);
  ev = b.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_FALSE(ev[0].pairing_nameplate);
}

TEST_F(BrowserTest, IgnoresAMalformedPairingNameplate) {
  b.start(now);
  for (std::string bad : {"pair=41x", "pair=4170", "pair=", "pair"}) {
    DnsMessage m = announcement(key(7));
    for (auto& r : m.answers)
      if (r.type() == DnsType::txt) r.rdata = TxtRdata{{"id=" + peer_id_text(key(7)), "v=1", bad}};
    receive(m);
    auto ev = b.take_events();
    // The peer itself is fine: found the first time, never with a nameplate.
    for (const auto& e : ev) {
      EXPECT_EQ(e.kind, MdnsBrowseEvent::Kind::found) << bad;
      EXPECT_FALSE(e.pairing_nameplate) << bad;
    }
    now += 2000;
  }
}

// A responder and a browser joined by their datagrams, each taking the
// other's as from the mDNS port, on one clock: the nameplate goes from
// set_pairing_nameplate() through the wire format into the browser's
// reports, and leaves them again when cleared.
TEST_F(BrowserTest, PairingNameplateTravelsFromResponderToBrowser) {
  CountingRng r2;
  MdnsResponder resp(r2);
  MdnsServiceInfo s;
  s.instance = "host-box";
  s.host = "host-box";
  s.port = 7469;
  s.txt = {{"id", peer_id_text(key(7))}, {"v", "1"}};
  s.ipv4 = {Ipv4Address{198, 18, 0, 7}};
  ASSERT_TRUE(resp.start(s, now).ok());
  b.start(now);
  std::vector<MdnsBrowseEvent> events;
  auto run_for = [&](uint64_t ms) {
    for (uint64_t end = now + ms; now < end; now += 10) {
      resp.tick(now);
      b.tick(now);
      for (auto& d : resp.take_datagrams()) b.receive(parsed(d), MdnsSource{"198.18.0.7", kMdnsPort}, now);
      for (auto& d : b.take_datagrams()) resp.receive(parsed(d), MdnsSource{"198.18.0.1", kMdnsPort}, now);
      for (auto& e : b.take_events()) events.push_back(std::move(e));
    }
  };
  run_for(5000);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, MdnsBrowseEvent::Kind::found);
  EXPECT_FALSE(events.back().pairing_nameplate);
  events.clear();
  // Opened: announced at once, reported within the first announcement.
  ASSERT_TRUE(resp.set_pairing_nameplate("417", now).ok());
  run_for(100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_EQ(events[0].id, key(7));
  EXPECT_EQ(events[0].pairing_nameplate, std::optional<std::string>("417"));
  run_for(5000);  // the repeated announcements change nothing
  EXPECT_EQ(events.size(), 1u);
  events.clear();
  // Closed: reported again without it once the cache-flush bit lets the
  // new TXT replace the old (RFC 6762 §10.2: records older than 1 s).
  ASSERT_TRUE(resp.set_pairing_nameplate(std::nullopt, now).ok());
  run_for(5000);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, MdnsBrowseEvent::Kind::found);
  EXPECT_FALSE(events.back().pairing_nameplate);
  events.clear();
  // The goodbye: lost.
  ASSERT_TRUE(resp.set_pairing_nameplate("417", now).ok());
  run_for(100);
  resp.stop();
  run_for(2000);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, MdnsBrowseEvent::Kind::lost);
}

}  // namespace
}  // namespace peernet
