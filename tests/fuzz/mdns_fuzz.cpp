// Fuzz target: the mDNS responder and browser fed whatever parse_dns
// accepts, from the mDNS port and from another one, at advancing times.
// Neither may crash, leak or grow beyond its bounds, and everything they
// send must parse.
#include "proto/dns/dns.hpp"
#include "proto/dns/mdns_browser.hpp"
#include "proto/dns/mdns_responder.hpp"
#include "../unit/counting_rng.hpp"
#include "require.hpp"

using namespace peernet;
using peernet::testing::CountingRng;

namespace {

void check_sent(std::vector<MdnsDatagram> out) {
  for (const MdnsDatagram& d : out) require(parse_dns(d.data).ok(), "sent a datagram that does not parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = parse_dns(ByteView(data, size));
  if (!m.ok()) return 0;
  CountingRng rng;
  PublicKey own;
  own.bytes.fill(1);
  MdnsResponder responder(rng);
  MdnsServiceInfo info;
  info.instance = "peer-one";
  info.host = "host-one";
  info.port = 7469;
  info.txt = {{"id", "x"}, {"v", "1"}};
  info.ipv4 = {Ipv4Address{198, 18, 0, 1}};
  require(responder.start(info, 0).ok(), "start");
  MdnsBrowser browser(rng, own);
  browser.start(0);
  uint64_t now = 0;
  for (int round = 0; round < 4; ++round) {
    now += round == 2 ? 130'000 : 700;
    MdnsSource from{"198.18.0.2", round == 3 ? uint16_t{40000} : kMdnsPort};
    responder.receive(*m, from, now);
    browser.receive(*m, from, now);
    responder.tick(now);
    browser.tick(now);
    check_sent(responder.take_datagrams());
    check_sent(browser.take_datagrams());
    browser.take_events();
    require(browser.instances() <= kMdnsMaxInstances, "browser cache above its bound");
  }
  responder.stop();
  check_sent(responder.take_datagrams());
  return 0;
}

// Seeds: what a responder and a browser send (probes, announcements,
// queries, a goodbye), so that mutations start from real traffic.
std::vector<Bytes> FuzzSeeds() {
  CountingRng rng;
  PublicKey other;
  other.bytes.fill(7);
  MdnsResponder responder(rng);
  MdnsServiceInfo info;
  info.instance = "peer seven";
  info.host = "host-seven";
  info.port = 7469;
  info.txt = {{"id", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, {"v", "1"}};
  info.ipv4 = {Ipv4Address{198, 18, 0, 7}};
  info.ipv6 = {Ipv6Address{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}};
  (void)responder.start(info, 0);
  for (uint64_t t = 0; t < 5000; t += 50) responder.tick(t);
  responder.stop();
  MdnsBrowser browser(rng, other);
  browser.start(0);
  browser.tick(200);
  std::vector<Bytes> seeds;
  for (auto& d : responder.take_datagrams()) seeds.push_back(std::move(d.data));
  for (auto& d : browser.take_datagrams()) seeds.push_back(std::move(d.data));
  return seeds;
}
