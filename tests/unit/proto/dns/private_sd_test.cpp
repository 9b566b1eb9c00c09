// Private mDNS announcements (protocol.md §11.4): the TXT built and
// recognised, a wrong key that does not match, two generations that share
// nothing but the service type, and the browser reporting a trusted peer by
// its key, an unknown one without, and ignoring our own.
#include "proto/dns/private_sd.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "mdns_test_util.hpp"
#include "proto/dns/mdns_browser.hpp"
#include "proto/dns/mdns_responder.hpp"

namespace peernet {
namespace {

using testing::kPeerSource;
using testing::parsed;

// Seeded, so that a failure repeats; unlike CountingRng its draws do not
// follow one another, as real randomness would not.
class SeededRng : public Rng {
 public:
  explicit SeededRng(uint64_t seed) : gen_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (uint8_t& b : out) b = static_cast<uint8_t>(gen_());
  }

 private:
  std::mt19937_64 gen_;
};

PublicKey key(uint8_t b) {
  PublicKey k;
  k.bytes.fill(b);
  return k;
}

TEST(PrivateSd, TxtIsVersionNonceAndTagWithoutId) {
  SeededRng rng(1);
  PrivateAnnouncement a = make_private_announcement(key(7), rng);
  ASSERT_EQ(a.txt.size(), 3u);
  EXPECT_EQ(a.txt[0], (TxtAttribute{"v", "1"}));
  EXPECT_EQ(a.txt[1], (TxtAttribute{"n", to_hex(a.nonce)}));
  EXPECT_EQ(a.txt[2].key, "t");
  EXPECT_EQ(find_txt(a.txt, "id"), nullptr);
  EXPECT_EQ(a.txt[2].value->size(), 32u);
  EXPECT_EQ(a.instance.rfind("peernet-", 0), 0u);
  EXPECT_EQ(a.instance.size(), 16u);
  EXPECT_TRUE(valid_instance_label(a.instance));
  EXPECT_EQ(a.host.rfind("pn-", 0), 0u);
  auto mark = parse_private_txt(decode_txt(encode_txt(a.txt).value()));
  ASSERT_TRUE(mark);
  EXPECT_EQ(mark->nonce, a.nonce);
  EXPECT_TRUE(private_mark_matches(*mark, key(7)));
}

TEST(PrivateSd, TagIsTheDocumentedHmac) {
  // HMAC-SHA256(key = 32 bytes of 0x07, "peernet-mdns-v1" || 16 bytes of
  // 0x00..0x0f), first 16 bytes; the vector in protocol.md §11.4.
  MdnsNonce nonce{};
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(i);
  MdnsTag tag = private_tag(key(7), nonce);
  EXPECT_EQ(to_hex(tag), "f1f930183f1acabec9b4295fadce2301");
  EXPECT_NE(to_hex(tag), to_hex(private_tag(key(8), nonce)));
}

TEST(PrivateSd, WrongKeyDoesNotMatch) {
  SeededRng rng(2);
  PrivateAnnouncement a = make_private_announcement(key(7), rng);
  auto mark = parse_private_txt(a.txt).value();
  EXPECT_FALSE(private_mark_matches(mark, key(8)));
  std::vector<PublicKey> others = {key(1), key(2), key(3)};
  EXPECT_FALSE(recognise_private(mark, others));
  // The same tag under another nonce is not the same announcement.
  PrivateMark moved = mark;
  moved.nonce[0] ^= 1;
  EXPECT_FALSE(private_mark_matches(moved, key(7)));
}

TEST(PrivateSd, MalformedNonceOrTagIsNotPrivate) {
  std::string h32(32, 'a');
  EXPECT_TRUE(parse_private_txt({{"n", h32}, {"t", h32}}));
  EXPECT_FALSE(parse_private_txt({{"n", h32}}));
  EXPECT_FALSE(parse_private_txt({{"n", h32}, {"t", std::string(30, 'a')}}));
  EXPECT_FALSE(parse_private_txt({{"n", std::string(32, 'z')}, {"t", h32}}));
  EXPECT_FALSE(parse_private_txt({{"n", h32}, {"t", std::nullopt}}));
}

TEST(PrivateSd, RecognisesOneOfAThousandTrustedKeys) {
  std::vector<PublicKey> keys;
  SeededRng rng(3);
  for (int i = 0; i < 1000; ++i) {
    PublicKey k;
    rng.fill(k.bytes);
    keys.push_back(k);
  }
  PrivateAnnouncement a = make_private_announcement(keys[999], rng);
  auto mark = parse_private_txt(a.txt).value();
  auto t0 = std::chrono::steady_clock::now();
  auto found = recognise_private(mark, keys);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, keys[999]);
  // A figure for the docs, never an assertion.
  std::printf("recognising among 1000 trusted keys (worst case, last one): %lld us\n", static_cast<long long>(us));
  keys.pop_back();
  EXPECT_FALSE(recognise_private(mark, keys));
}

// Every name and string a responder puts on the wire for one generation.
std::set<std::string> wire_values(const PublicKey& own, Rng& rng) {
  PrivateAnnouncement a = make_private_announcement(own, rng);
  MdnsResponder resp(rng);
  MdnsServiceInfo s;
  s.instance = a.instance;
  s.host = a.host;
  s.port = 7469;
  s.txt = a.txt;
  s.ipv4 = {Ipv4Address{198, 18, 0, 1}};
  EXPECT_TRUE(resp.start(s, 0).ok());
  for (uint64_t t = 0; t < 5000; t += 50) resp.tick(t);
  std::set<std::string> out;
  for (const MdnsDatagram& d : resp.take_datagrams()) {
    DnsMessage m = parsed(d);
    for (const auto* section : {&m.answers, &m.authorities, &m.additionals})
      for (const DnsRecord& r : *section) {
        for (const auto& l : r.name.labels()) out.insert(l);
        if (const auto* srv = std::get_if<SrvRdata>(&r.rdata))
          for (const auto& l : srv->target.labels()) out.insert(l);
        if (const auto* ptr = std::get_if<PtrRdata>(&r.rdata))
          for (const auto& l : ptr->target.labels()) out.insert(l);
        if (const auto* txt = std::get_if<TxtRdata>(&r.rdata))
          for (const auto& st : txt->strings) out.insert(st);
      }
  }
  return out;
}

TEST(PrivateSd, TwoGenerationsShareOnlyTheServiceType) {
  SeededRng rng(4);
  auto first = wire_values(key(7), rng);
  auto second = wire_values(key(7), rng);
  ASSERT_GT(first.size(), 5u);
  std::set<std::string> shared;
  for (const auto& v : first)
    if (second.count(v)) shared.insert(v);
  // The service type, the enumeration name, the domain and the version.
  EXPECT_EQ(shared, (std::set<std::string>{"_peernet", "_tcp", "local", "_services", "_dns-sd", "_udp", "v=1"}));
  for (const auto& v : first) {
    EXPECT_EQ(v.find("id="), std::string::npos) << v;
  }
}

// The browser side: a private announcement resolved like an open one.
class PrivateBrowse : public ::testing::Test {
 protected:
  DnsMessage announcement(const PublicKey& announcer, uint64_t seed) {
    SeededRng r(seed);
    PrivateAnnouncement a = make_private_announcement(announcer, r);
    MdnsResponder resp(r);
    MdnsServiceInfo s;
    s.instance = a.instance;
    s.host = a.host;
    s.port = 7469;
    s.txt = a.txt;
    s.ipv4 = {Ipv4Address{198, 18, 0, 9}};
    EXPECT_TRUE(resp.start(s, 0).ok());
    for (uint64_t t = 0; t < 2000; t += 50) resp.tick(t);
    return parsed(resp.take_datagrams().back());
  }
  std::vector<MdnsBrowseEvent> receive(const DnsMessage& m) {
    b.start(now);
    b.receive(m, kPeerSource, now);
    return b.take_events();
  }
  testing::CountingRng rng;
  MdnsBrowser b{rng, key(1)};
  uint64_t now = 1000;
  int asked = 0;
};

TEST_F(PrivateBrowse, TrustedKeyIsReportedWithItsId) {
  b.set_recogniser([&](const PrivateMark& m) -> std::optional<PublicKey> {
    ++asked;
    return recognise_private(m, std::vector<PublicKey>{key(5), key(9)});
  });
  auto ev = receive(announcement(key(9), 10));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_EQ(ev[0].id, key(9));
  EXPECT_FALSE(ev[0].anonymous);
  EXPECT_EQ(ev[0].ipv4, (std::vector<Ipv4Address>{{198, 18, 0, 9}}));
  // The same TXT again is not recognised again.
  b.receive(announcement(key(9), 10), kPeerSource, now + 10);
  EXPECT_EQ(asked, 1);
}

TEST_F(PrivateBrowse, UnknownKeyIsAnonymous) {
  b.set_recogniser([](const PrivateMark& m) { return recognise_private(m, std::vector<PublicKey>{key(5)}); });
  auto ev = receive(announcement(key(9), 11));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MdnsBrowseEvent::Kind::found);
  EXPECT_TRUE(ev[0].anonymous);
  EXPECT_EQ(ev[0].id, PublicKey{});
  EXPECT_EQ(ev[0].instance.rfind("peernet-", 0), 0u);
}

TEST_F(PrivateBrowse, OwnAnnouncementIsIgnored) {
  b.set_recogniser([](const PrivateMark&) { return std::optional<PublicKey>(); });
  EXPECT_TRUE(receive(announcement(key(1), 12)).empty());
}

}  // namespace
}  // namespace peernet
