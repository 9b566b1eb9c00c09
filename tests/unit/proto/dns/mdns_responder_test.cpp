// The sans-IO mDNS responder: probing, announcing, conflicts, answers,
// rate limits, known answers, unicast and legacy answers, goodbyes.
#include "proto/dns/mdns_responder.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mdns_test_util.hpp"

namespace peernet {
namespace {

using testing::CountingRng;
using testing::kPeerSource;
using testing::name;
using testing::parsed;

MdnsServiceInfo service() {
  MdnsServiceInfo s;
  s.instance = "peernetd-box-ABCD";
  s.host = "peernetd-box-abcd";
  s.port = 7469;
  s.txt = {{"id", "ABCD"}, {"v", "1"}};
  s.ipv4 = {Ipv4Address{198, 18, 0, 1}};
  return s;
}

class ResponderTest : public ::testing::Test {
 protected:
  // Runs ticks at each deadline until `until` or no deadline; returns
  // every datagram sent meanwhile.
  std::vector<MdnsDatagram> run(uint64_t until) {
    std::vector<MdnsDatagram> out;
    while (auto d = r.next_deadline()) {
      if (*d > until) break;
      now = std::max(now, *d);
      r.tick(now);
      for (auto& x : r.take_datagrams()) out.push_back(std::move(x));
    }
    now = std::max(now, until);
    return out;
  }
  void announce() {
    ASSERT_TRUE(r.start(service(), now).ok());
    run(now + 10'000);
    ASSERT_EQ(r.state(), MdnsResponder::State::announced);
  }
  std::vector<MdnsDatagram> receive(const DnsMessage& m, const MdnsSource& from = kPeerSource) {
    r.receive(m, from, now);
    return r.take_datagrams();
  }
  // receive() and whatever goes out within the next 120 ms (an answer
  // with a shared record waits 20-120 ms).
  std::vector<MdnsDatagram> ask(const DnsMessage& m, const MdnsSource& from = kPeerSource) {
    auto out = receive(m, from);
    for (auto& x : run(now + 120)) out.push_back(std::move(x));
    return out;
  }
  DnsMessage query(std::string_view qname, DnsType type, bool qu = false) {
    DnsMessage q;
    q.questions.push_back(DnsQuestion{name(qname), type, kDnsClassIn, qu});
    return q;
  }

  CountingRng rng;
  MdnsResponder r{rng};
  uint64_t now = 1000;
};

TEST_F(ResponderTest, ProbesThreeTimesThenAnnouncesThreeTimes) {
  ASSERT_TRUE(r.start(service(), now).ok());
  EXPECT_EQ(r.state(), MdnsResponder::State::probing);
  ASSERT_TRUE(r.next_deadline());
  EXPECT_LT(*r.next_deadline(), now + 250);
  auto sent = run(now + 10'000);
  ASSERT_EQ(sent.size(), 6u);
  for (int i = 0; i < 3; ++i) {
    DnsMessage p = parsed(sent[i]);
    EXPECT_FALSE(p.header.qr);
    ASSERT_EQ(p.questions.size(), 2u);
    EXPECT_EQ(p.questions[0].name, name("peernetd-box-ABCD._peernet._tcp.local"));
    EXPECT_EQ(p.questions[0].type, DnsType::any);
    EXPECT_EQ(p.questions[0].unicast_response, i == 0);  // RFC 6762 §8.1
    EXPECT_EQ(p.authorities.size(), 3u);                 // SRV, TXT, A
  }
  for (int i = 3; i < 6; ++i) {
    DnsMessage a = parsed(sent[i]);
    EXPECT_TRUE(a.header.qr);
    EXPECT_TRUE(a.header.aa);
    EXPECT_EQ(a.answers.size(), 5u);  // 2 PTR, SRV, TXT, A
    auto srv = std::find_if(a.answers.begin(), a.answers.end(), [](auto& x) { return x.type() == DnsType::srv; });
    ASSERT_NE(srv, a.answers.end());
    EXPECT_EQ(std::get<SrvRdata>(srv->rdata).port, 7469);
    EXPECT_TRUE(srv->cache_flush);
  }
  EXPECT_EQ(r.state(), MdnsResponder::State::announced);
  EXPECT_FALSE(r.next_deadline());
}

TEST_F(ResponderTest, OwnProbeLoopedBackIsNoConflict) {
  ASSERT_TRUE(r.start(service(), now).ok());
  now = *r.next_deadline();
  r.tick(now);
  auto probes = r.take_datagrams();
  ASSERT_EQ(probes.size(), 1u);
  r.receive(parsed(probes[0]), MdnsSource{"198.18.0.1", kMdnsPort}, now);
  run(now + 10'000);
  EXPECT_EQ(r.state(), MdnsResponder::State::announced);
  EXPECT_EQ(r.instance(), "peernetd-box-ABCD");
  EXPECT_EQ(r.conflicts(), 0u);
}

TEST_F(ResponderTest, ConflictWhileProbingRenames) {
  ASSERT_TRUE(r.start(service(), now).ok());
  now = *r.next_deadline();
  r.tick(now);
  (void)r.take_datagrams();
  DnsMessage other;
  other.header.qr = true;
  other.answers.push_back(DnsRecord{name("peernetd-box-ABCD._peernet._tcp.local"), kDnsClassIn, true, 120,
                                    SrvRdata{0, 0, 9999, name("elsewhere.local")}});
  EXPECT_TRUE(receive(other).empty());
  EXPECT_EQ(r.conflicts(), 1u);
  EXPECT_EQ(r.instance(), "peernetd-box-ABCD (2)");
  EXPECT_EQ(r.host(), "peernetd-box-abcd-2");
  EXPECT_EQ(r.state(), MdnsResponder::State::probing);
  auto sent = run(now + 10'000);
  EXPECT_EQ(r.state(), MdnsResponder::State::announced);
  DnsMessage last = parsed(sent.back());
  EXPECT_EQ(std::get<PtrRdata>(last.answers[0].rdata).target, name("peernetd-box-ABCD (2)._peernet._tcp.local"));
}

TEST_F(ResponderTest, ResponseFromAnotherPortIsNoConflict) {
  ASSERT_TRUE(r.start(service(), now).ok());
  DnsMessage other;
  other.header.qr = true;
  other.answers.push_back(DnsRecord{name("peernetd-box-abcd.local"), kDnsClassIn, true, 120, ARdata{{10, 0, 0, 9}}});
  receive(other, MdnsSource{"198.18.0.2", 40000});
  EXPECT_EQ(r.conflicts(), 0u);
}

TEST_F(ResponderTest, LosingASimultaneousProbeWaitsASecond) {
  ASSERT_TRUE(r.start(service(), now).ok());
  DnsMessage probe;
  probe.questions.push_back(DnsQuestion{name("peernetd-box-abcd.local"), DnsType::any, kDnsClassIn, false});
  // 198.18.0.9 > 198.18.0.1: theirs is lexicographically later, they win.
  probe.authorities.push_back(
      DnsRecord{name("peernetd-box-abcd.local"), kDnsClassIn, false, 120, ARdata{{198, 18, 0, 9}}});
  receive(probe);
  EXPECT_EQ(r.state(), MdnsResponder::State::probing);
  EXPECT_EQ(*r.next_deadline(), now + 1000);
  EXPECT_EQ(r.instance(), "peernetd-box-ABCD");
}

TEST_F(ResponderTest, WinningASimultaneousProbeGoesOn) {
  ASSERT_TRUE(r.start(service(), now).ok());
  uint64_t before = *r.next_deadline();
  DnsMessage probe;
  probe.questions.push_back(DnsQuestion{name("peernetd-box-abcd.local"), DnsType::any, kDnsClassIn, false});
  probe.authorities.push_back(
      DnsRecord{name("peernetd-box-abcd.local"), kDnsClassIn, false, 120, ARdata{{10, 0, 0, 1}}});
  receive(probe);
  EXPECT_EQ(*r.next_deadline(), before);
}

TEST_F(ResponderTest, AnswersPtrWithSrvTxtAndAddressAsAdditionals) {
  announce();
  now += 2000;
  auto out = ask(query("_peernet._tcp.local", DnsType::ptr));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].unicast_to);
  DnsMessage a = parsed(out[0]);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].type(), DnsType::ptr);
  std::vector<DnsType> extra;
  for (auto& x : a.additionals) extra.push_back(x.type());
  // The NSEC says the host has an A record and no AAAA.
  EXPECT_EQ(extra, (std::vector<DnsType>{DnsType::srv, DnsType::txt, DnsType::a, DnsType::nsec}));
  const auto& nsec = std::get<NsecRdata>(a.additionals.back().rdata);
  EXPECT_EQ(a.additionals.back().name, name("peernetd-box-abcd.local"));
  EXPECT_EQ(nsec.types, (std::vector<DnsType>{DnsType::a}));
}

TEST_F(ResponderTest, SharedAnswersWaitTwentyToAHundredTwentyMs) {
  announce();
  for (int i = 0; i < 20; ++i) {
    now += 2000;
    uint64_t asked = now;
    EXPECT_TRUE(receive(query("_peernet._tcp.local", DnsType::ptr)).empty());
    auto due = r.next_deadline();
    ASSERT_TRUE(due);
    EXPECT_GE(*due, asked + 20);
    EXPECT_LE(*due, asked + 120);
    EXPECT_EQ(run(asked + 120).size(), 1u);
  }
  // A unique record goes out at once.
  now += 2000;
  EXPECT_EQ(receive(query("peernetd-box-abcd.local", DnsType::a)).size(), 1u);
}

TEST_F(ResponderTest, MissingTypeIsAnsweredWithNsec) {
  announce();
  now += 2000;
  auto out = receive(query("peernetd-box-abcd.local", DnsType::aaaa));
  ASSERT_EQ(out.size(), 1u);
  DnsMessage a = parsed(out[0]);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].name, name("peernetd-box-abcd.local"));
  EXPECT_TRUE(a.answers[0].cache_flush);
  const auto* nsec = std::get_if<NsecRdata>(&a.answers[0].rdata);
  ASSERT_NE(nsec, nullptr);
  EXPECT_EQ(nsec->next, name("peernetd-box-abcd.local"));
  EXPECT_EQ(nsec->types, (std::vector<DnsType>{DnsType::a}));
  // A name that is not ours gets nothing.
  EXPECT_TRUE(receive(query("other.local", DnsType::aaaa)).empty());
}

TEST_F(ResponderTest, OwnProbeFromAnotherOfOurInterfacesIsNoConflict) {
  // Two of our interfaces on one LAN: the probe sent on 3 arrives on 2.
  MdnsServiceInfo s = service();
  s.ipv4.clear();
  s.links = {MdnsLink{2, {Ipv4Address{198, 18, 0, 1}}, {}}, MdnsLink{3, {Ipv4Address{198, 18, 0, 9}}, {}}};
  ASSERT_TRUE(r.start(s, now).ok());
  now = *r.next_deadline();
  r.tick(now);
  auto probes = r.take_datagrams();
  ASSERT_EQ(probes.size(), 2u);
  const MdnsDatagram& on3 = probes[0].interface == std::optional<uint32_t>(3) ? probes[0] : probes[1];
  r.receive(parsed(on3), MdnsSource{"198.18.0.9", kMdnsPort, 2}, now);
  EXPECT_TRUE(r.take_datagrams().empty());
  EXPECT_EQ(r.next_deadline(), std::optional<uint64_t>(now + 250));  // not the 1 s of a lost tie-break
  run(now + 10'000);
  EXPECT_EQ(r.state(), MdnsResponder::State::announced);
  EXPECT_EQ(r.conflicts(), 0u);
}

TEST_F(ResponderTest, EachInterfaceGetsItsOwnAddresses) {
  MdnsServiceInfo s = service();
  s.ipv4.clear();
  Ipv6Address ll{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  s.links = {MdnsLink{2, {Ipv4Address{198, 18, 0, 1}}, {}}, MdnsLink{3, {}, {ll}}};
  ASSERT_TRUE(r.start(s, now).ok());
  auto sent = run(now + 10'000);
  ASSERT_EQ(r.state(), MdnsResponder::State::announced);
  // Every multicast datagram names its interface and holds only its address.
  size_t on2 = 0, on3 = 0;
  for (const MdnsDatagram& d : sent) {
    ASSERT_TRUE(d.interface);
    DnsMessage m = parsed(d);
    for (const auto* section : {&m.answers, &m.authorities})
      for (const DnsRecord& rec : *section) {
        DnsType absent = *d.interface == 2 ? DnsType::aaaa : DnsType::a;
        EXPECT_NE(rec.type(), absent);
      }
    (*d.interface == 2 ? on2 : on3)++;
  }
  EXPECT_EQ(on2, 6u);  // 3 probes, 3 announcements
  EXPECT_EQ(on3, 6u);
  // A query answered on the interface it arrived on, with its address.
  now += 2000;
  auto out = receive(query("peernetd-box-abcd.local", DnsType::any), MdnsSource{"fe80::9%3", kMdnsPort, 3});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].interface, std::optional<uint32_t>(3));
  DnsMessage a = parsed(out[0]);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(std::get<AaaaRdata>(a.answers[0].rdata).address, ll);
  // On interface 2 the host has no AAAA: NSEC.
  out = receive(query("peernetd-box-abcd.local", DnsType::aaaa), MdnsSource{"198.18.0.2", kMdnsPort, 2});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parsed(out[0]).answers.at(0).type(), DnsType::nsec);
  // An interface not served gets nothing.
  now += 2000;
  EXPECT_TRUE(ask(query("_peernet._tcp.local", DnsType::ptr), MdnsSource{"198.18.9.2", kMdnsPort, 9}).empty());
}

TEST_F(ResponderTest, AnswersEachTypeAndAnyAndNothingElse) {
  announce();
  now += 2000;
  EXPECT_EQ(parsed(receive(query("peernetd-box-abcd.local", DnsType::a)).at(0)).answers.size(), 1u);
  now += 2000;
  EXPECT_EQ(parsed(receive(query("peernetd-box-ABCD._peernet._tcp.local", DnsType::any)).at(0)).answers.size(), 2u);
  now += 2000;
  EXPECT_EQ(parsed(receive(query("peernetd-box-abcd.local", DnsType::aaaa)).at(0)).answers.at(0).type(), DnsType::nsec);
  EXPECT_TRUE(receive(query("other.local", DnsType::any)).empty());
  EXPECT_EQ(parsed(ask(query("_services._dns-sd._udp.local", DnsType::ptr)).at(0)).answers.size(), 1u);
}

TEST_F(ResponderTest, MulticastsARecordAtMostOncePerSecond) {
  announce();
  now += 2000;
  EXPECT_EQ(ask(query("_peernet._tcp.local", DnsType::ptr)).size(), 1u);
  now += 500;
  EXPECT_TRUE(ask(query("_peernet._tcp.local", DnsType::ptr)).empty());
  now += 600;
  EXPECT_EQ(ask(query("_peernet._tcp.local", DnsType::ptr)).size(), 1u);
}

TEST_F(ResponderTest, KnownAnswersWithHalfTheirTtlAreSuppressed) {
  announce();
  now += 2000;
  DnsMessage q = query("_peernet._tcp.local", DnsType::ptr);
  DnsRecord known{name("_peernet._tcp.local"), kDnsClassIn, false, 4500,
                  PtrRdata{name("peernetd-box-ABCD._peernet._tcp.local")}};
  q.answers.push_back(known);
  EXPECT_TRUE(ask(q).empty());
  q.answers[0].ttl = 2000;  // less than half of 4500: refresh it
  EXPECT_EQ(ask(q).size(), 1u);
}

TEST_F(ResponderTest, UnicastBitAnswersTheSender) {
  announce();
  auto out = receive(query("peernetd-box-abcd.local", DnsType::a, /*qu=*/true));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].unicast_to);
  EXPECT_EQ(*out[0].unicast_to, kPeerSource);
}

TEST_F(ResponderTest, LegacyQueryGetsAnIdEchoAndShortTtls) {
  announce();
  DnsMessage q = query("peernetd-box-ABCD._peernet._tcp.local", DnsType::srv);
  q.header.id = 0x1234;
  MdnsSource legacy{"198.18.0.2", 40000};
  auto out = receive(q, legacy);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0].unicast_to, legacy);
  DnsMessage a = parsed(out[0]);
  EXPECT_EQ(a.header.id, 0x1234);
  ASSERT_EQ(a.questions.size(), 1u);
  EXPECT_LE(a.answers.at(0).ttl, 10u);
  EXPECT_FALSE(a.answers.at(0).cache_flush);
}

TEST_F(ResponderTest, NoAnswersWhileProbing) {
  ASSERT_TRUE(r.start(service(), now).ok());
  EXPECT_TRUE(receive(query("_peernet._tcp.local", DnsType::ptr)).empty());
}

TEST_F(ResponderTest, ConflictAfterAnnouncingSaysGoodbyeToTheOldPtrAndRenames) {
  announce();
  DnsMessage other;
  other.header.qr = true;
  other.answers.push_back(DnsRecord{name("peernetd-box-abcd.local"), kDnsClassIn, true, 120, ARdata{{10, 0, 0, 9}}});
  auto out = receive(other);
  ASSERT_EQ(out.size(), 1u);
  DnsMessage bye = parsed(out[0]);
  ASSERT_FALSE(bye.answers.empty());
  for (auto& x : bye.answers) {
    EXPECT_EQ(x.ttl, 0u);
    EXPECT_EQ(x.type(), DnsType::ptr);
  }
  EXPECT_EQ(r.state(), MdnsResponder::State::probing);
  EXPECT_EQ(r.instance(), "peernetd-box-ABCD (2)");
}

TEST_F(ResponderTest, GoodbyeHasEveryRecordWithTtlZero) {
  announce();
  r.stop();
  auto out = r.take_datagrams();
  ASSERT_EQ(out.size(), 1u);
  DnsMessage bye = parsed(out[0]);
  EXPECT_EQ(bye.answers.size(), 5u);
  for (auto& x : bye.answers) EXPECT_EQ(x.ttl, 0u);
  EXPECT_EQ(r.state(), MdnsResponder::State::idle);
  r.stop();
  EXPECT_TRUE(r.take_datagrams().empty());
}

TEST_F(ResponderTest, NoGoodbyeBeforeAnnouncing) {
  ASSERT_TRUE(r.start(service(), now).ok());
  r.stop();
  EXPECT_TRUE(r.take_datagrams().empty());
}

TEST_F(ResponderTest, NewAddressesAreAnnouncedWithoutProbing) {
  announce();
  r.update_addresses({Ipv4Address{198, 18, 1, 1}}, {}, now);
  EXPECT_EQ(r.state(), MdnsResponder::State::announcing);
  auto sent = run(now + 10'000);
  ASSERT_EQ(sent.size(), 3u);
  DnsMessage a = parsed(sent[0]);
  auto rec = std::find_if(a.answers.begin(), a.answers.end(), [](auto& x) { return x.type() == DnsType::a; });
  ASSERT_NE(rec, a.answers.end());
  EXPECT_EQ(std::get<ARdata>(rec->rdata).address, (Ipv4Address{198, 18, 1, 1}));
}

TEST_F(ResponderTest, RefusesBadNames) {
  MdnsServiceInfo s = service();
  s.instance = "";
  EXPECT_FALSE(r.start(s, now).ok());
  s = service();
  s.host = std::string(64, 'h');
  EXPECT_FALSE(r.start(s, now).ok());
}

TEST_F(ResponderTest, ManyConflictsSlowProbingDown) {
  ASSERT_TRUE(r.start(service(), now).ok());
  for (int i = 0; i < 15; ++i) {
    DnsMessage other;
    other.header.qr = true;
    other.answers.push_back(DnsRecord{name(r.host() + ".local"), kDnsClassIn, true, 120, ARdata{{10, 0, 0, 9}}});
    receive(other);
  }
  EXPECT_EQ(r.conflicts(), 15u);
  EXPECT_GE(*r.next_deadline(), now + 5000);  // RFC 6762 §8.1
}

// The TXT strings of the announcements in `sent`, one list per datagram.
std::vector<std::vector<std::string>> announced_txt(const std::vector<MdnsDatagram>& sent) {
  std::vector<std::vector<std::string>> out;
  for (const MdnsDatagram& d : sent)
    for (const DnsRecord& rec : parsed(d).answers)
      if (rec.type() == DnsType::txt) out.push_back(std::get<TxtRdata>(rec.rdata).strings);
  return out;
}

TEST_F(ResponderTest, PairingNameplateIsAnnouncedInTheTxtAtOnceAndCleared) {
  announce();
  ASSERT_TRUE(r.set_pairing_nameplate("417", now).ok());
  // A changed record is announced again at once (RFC 6762 §8.4).
  ASSERT_TRUE(r.next_deadline());
  EXPECT_LE(*r.next_deadline(), now);
  auto txt = announced_txt(run(now + 10'000));
  ASSERT_FALSE(txt.empty());
  for (const auto& t : txt) EXPECT_EQ(t, (std::vector<std::string>{"id=ABCD", "v=1", "pair=417"}));
  // Setting it again changes nothing and sends nothing.
  ASSERT_TRUE(r.set_pairing_nameplate("417", now).ok());
  EXPECT_FALSE(r.next_deadline());
  // Queries are answered with it too.
  auto answered = receive(query("peernetd-box-ABCD._peernet._tcp.local", DnsType::txt));
  ASSERT_EQ(announced_txt(answered), (std::vector<std::vector<std::string>>{{"id=ABCD", "v=1", "pair=417"}}));
  // Cleared: announced again at once, without it.
  ASSERT_TRUE(r.set_pairing_nameplate(std::nullopt, now).ok());
  txt = announced_txt(run(now + 10'000));
  ASSERT_FALSE(txt.empty());
  for (const auto& t : txt) EXPECT_EQ(t, (std::vector<std::string>{"id=ABCD", "v=1"}));
  EXPECT_EQ(r.state(), MdnsResponder::State::announced);
}

TEST_F(ResponderTest, PairingNameplateMustBeThreeDigits) {
  announce();
  for (const char* bad : {"41x", "4170", "", "41"}) EXPECT_FALSE(r.set_pairing_nameplate(bad, now).ok()) << bad;
  EXPECT_FALSE(r.next_deadline());
}

TEST_F(ResponderTest, PairingNameplateSetWhileProbingIsInTheFirstAnnouncement) {
  ASSERT_TRUE(r.start(service(), now).ok());
  ASSERT_TRUE(r.set_pairing_nameplate("417", now).ok());
  EXPECT_EQ(r.state(), MdnsResponder::State::probing);
  auto txt = announced_txt(run(now + 10'000));
  ASSERT_FALSE(txt.empty());
  for (const auto& t : txt) EXPECT_EQ(t, (std::vector<std::string>{"id=ABCD", "v=1", "pair=417"}));
}

}  // namespace
}  // namespace peernet
