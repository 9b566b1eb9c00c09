// Fuzz target: parse_dns.
//
// Anything it accepts must satisfy validate_dns() and survive encode/parse
// unchanged; encoding is canonical (a second round gives the same bytes, so
// names keep their spelling). A size-bounded encoding must parse to a prefix
// of each section.
//
// Re-encoding can make a packet larger than it came: the input may point
// into bytes our encoder never points at (raw rdata, the middle of a TXT
// string), so a re-encoded message above 9000 bytes is not parsed back.
#include <algorithm>
#include <vector>

#include "proto/dns/dns.hpp"
#include "require.hpp"

using namespace peernet;

namespace {

DnsName name(std::string_view text) { return DnsName::parse(text).value(); }

DnsRecord rr(DnsName owner, DnsRdata rdata, uint32_t ttl, bool flush) {
  DnsRecord r;
  r.name = std::move(owner);
  r.rdata = std::move(rdata);
  r.ttl = ttl;
  r.cache_flush = flush;
  return r;
}

template <class T>
bool is_prefix(const std::vector<T>& part, const std::vector<T>& whole) {
  return part.size() <= whole.size() && std::equal(part.begin(), part.end(), whole.begin());
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  const DnsName service = service_type_name().value();
  const DnsName instance = service_instance_name("Ann's Laptop.home", service).value();
  const DnsName host = name("ann-laptop.local");

  DnsMessage announce;
  announce.header.qr = announce.header.aa = true;
  announce.answers = {
      rr(service, PtrRdata{instance}, 4500, false),
      rr(instance, SrvRdata{0, 0, 7443, host}, 120, true),
      rr(instance, TxtRdata{encode_txt({{"id", "7f3ad2c1"}, {"tls", std::nullopt}}).value()}, 4500,
         true),
      rr(service_enumeration_name().value(), PtrRdata{service}, 4500, false),
  };
  announce.additionals = {
      rr(host, ARdata{{198, 18, 0, 7}}, 120, true),
      rr(host, AaaaRdata{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}}, 120, true),
      rr(host, NsecRdata{host, {DnsType::a, DnsType::aaaa}}, 120, true),
  };

  DnsMessage query;
  query.questions = {{service, DnsType::ptr, kDnsClassIn, true},
                     {host, DnsType::any, kDnsClassIn, false}};
  query.answers = {rr(service, PtrRdata{instance}, 3000, false)};
  query.authorities = {rr(host, RawRdata{DnsType(99), Bytes{1, 2, 3}}, 0, false)};

  std::vector<Bytes> seeds = {encode_dns(announce), encode_dns(query)};
  // A goodbye: TTL 0.
  DnsMessage goodbye;
  goodbye.header.qr = goodbye.header.aa = true;
  goodbye.answers = {rr(service, PtrRdata{instance}, 0, false)};
  seeds.push_back(encode_dns(goodbye));
  // A pointer loop and a forward pointer.
  seeds.push_back(Bytes{0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1});
  seeds.push_back(Bytes{0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 18, 0, 1, 0, 1, 1, 'a', 0});
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = parse_dns(ByteView(data, size));
  if (!m.ok()) {
    require(m.error().code == Errc::protocol_error || m.error().code == Errc::payload_too_large,
            "unexpected error code");
    require((m.error().code == Errc::payload_too_large) == (size > kMaxDnsPacket),
            "payload_too_large is for packets above 9000 bytes only");
    return 0;
  }
  require(validate_dns(*m).ok(), "accepted a message that validate_dns() refuses");
  const Bytes wire = encode_dns(*m);
  if (wire.size() > kMaxDnsPacket) return 0;
  auto back = parse_dns(wire);
  require(back.ok(), "re-encoded message rejected");
  require(*back == *m, "round trip changed the message");
  require(encode_dns(*back) == wire, "encoding is not canonical");

  // A budget taken from the input: what fits must parse as a prefix.
  const size_t budget = kDnsHeaderSize + (size > 0 ? data[0] * 4u : 0u);
  DnsEncoding part = encode_dns_within(*m, budget);
  require(part.complete == (wire.size() <= budget), "complete disagrees with the full size");
  require(part.wire.size() <= budget, "encoding above its budget");
  auto p = parse_dns(part.wire);
  require(p.ok(), "size-bounded encoding rejected");
  require(is_prefix(p->questions, m->questions) && is_prefix(p->answers, m->answers) &&
              is_prefix(p->authorities, m->authorities) &&
              is_prefix(p->additionals, m->additionals),
          "size-bounded encoding is not a prefix");
  return 0;
}
