#include "proto/dns/dns.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace peernet {
namespace {

// Hex with spaces and line breaks for readability.
Bytes hex(std::string_view h) {
  std::string s;
  for (char c : h)
    if (c != ' ' && c != '\n') s += c;
  return from_hex(s).value();
}

DnsName name(std::string_view text) { return DnsName::parse(text).value(); }

std::string parse_error(ByteView packet) {
  auto r = parse_dns(packet);
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.error().code, Errc::protocol_error) << r.error().message;
  return r.error().message;
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

DnsRecord rr(std::string_view owner, DnsRdata rdata, uint32_t ttl = 120, bool flush = false) {
  DnsRecord r;
  r.name = name(owner);
  r.rdata = std::move(rdata);
  r.ttl = ttl;
  r.cache_flush = flush;
  return r;
}

// --- Names ------------------------------------------------------------------

TEST(DnsName, LabelAndNameLimits) {
  EXPECT_TRUE(DnsName::from_labels({std::string(63, 'a')}).ok());
  EXPECT_EQ(DnsName::from_labels({std::string(64, 'a')}).error().code, Errc::bad_request);
  EXPECT_EQ(DnsName::from_labels({"a", "", "b"}).error().code, Errc::bad_request);
  // 3 * 64 + 62 + 1 = 255 bytes of wire form is the most there is.
  std::vector<std::string> max = {std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
                                  std::string(61, 'd')};
  auto ok = DnsName::from_labels(max);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->wire_size(), 255u);
  max.back() += 'd';
  EXPECT_EQ(DnsName::from_labels(max).error().code, Errc::bad_request);
  EXPECT_EQ(DnsName().wire_size(), 1u);
  EXPECT_EQ(to_hex(DnsName().wire()), "00");
}

TEST(DnsName, ComparesAsciiCaseInsensitively) {
  EXPECT_EQ(name("Peer._PeerNet._TCP.Local"), name("peer._peernet._tcp.local"));
  EXPECT_FALSE(name("Peer.local").same_spelling(name("peer.local")));
  EXPECT_NE(name("a.local"), name("a.local.example"));
  EXPECT_NE(name("ab.local"), name("a.blocal"));
  // No folding beyond ASCII (RFC 6762 §16): É and é differ.
  EXPECT_NE(name("\xc3\x89.local"), name("\xc3\xa9.local"));
  DnsNameHash hash;
  EXPECT_EQ(hash(name("Peer.LOCAL")), hash(name("peer.local")));
}

TEST(DnsName, PresentationFormRoundTrips) {
  auto n = name("Ann's Laptop\\.home._peernet._tcp.local.");
  ASSERT_EQ(n.labels().size(), 4u);
  EXPECT_EQ(n.labels()[0], "Ann's Laptop.home");
  EXPECT_EQ(n.to_string(), "Ann's Laptop\\.home._peernet._tcp.local");
  EXPECT_TRUE(name(n.to_string()).same_spelling(n));

  auto odd = DnsName::from_labels({std::string("a\\b\x01\x7f", 5), "c"}).value();
  EXPECT_EQ(odd.to_string(), "a\\\\b\\001\\127.c");
  EXPECT_TRUE(name(odd.to_string()).same_spelling(odd));
  EXPECT_EQ(name("\\065\\.").labels()[0], "A.");

  EXPECT_TRUE(name(".").is_root());
  EXPECT_TRUE(name("").is_root());
  EXPECT_EQ(DnsName().to_string(), ".");
  for (const char* bad : {"a..b", ".a", "a\\", "a\\25", "a\\256", "..", "x\\2a5"})
    EXPECT_EQ(DnsName::parse(bad).error().code, Errc::bad_request) << bad;
}

TEST(DnsName, Structure) {
  auto n = name("x._peernet._tcp.local");
  EXPECT_TRUE(n.ends_with(name("_PEERNET._tcp.local")));
  EXPECT_TRUE(n.ends_with(n));
  EXPECT_TRUE(n.ends_with(DnsName()));
  EXPECT_FALSE(name("local").ends_with(n));
  EXPECT_FALSE(n.ends_with(name("_tcp.home")));
  EXPECT_EQ(n.parent(), name("_peernet._tcp.local"));
  EXPECT_TRUE(DnsName().parent().is_root());
  EXPECT_EQ(name("local").prepend("a.b")->labels()[0], "a.b");
  EXPECT_EQ(name("local").prepend(std::string(64, 'x')).error().code, Errc::bad_request);
}

// --- Round trips ------------------------------------------------------------

TEST(DnsMessage, RoundTripsEveryType) {
  DnsMessage m;
  m.header = {0x1234, true, 0, true, false, 0};
  m.questions.push_back({name("_peernet._tcp.local"), DnsType::ptr, kDnsClassIn, true});
  m.questions.push_back({name("host.local"), DnsType::any, 255, false});
  m.answers.push_back(rr("host.local", ARdata{{198, 18, 0, 7}}, 120, true));
  m.answers.push_back(
      rr("host.local", AaaaRdata{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}}));
  m.answers.push_back(rr("_peernet._tcp.local", PtrRdata{name("A b.c._peernet._tcp.local")}, 4500));
  m.answers.push_back(rr("A b.c._peernet._tcp.local", SrvRdata{1, 2, 7443, name("host.local")}));
  m.answers.push_back(
      rr("A b.c._peernet._tcp.local", TxtRdata{{"id=abc", "", std::string("b\0n", 3)}}));
  m.authorities.push_back(rr("host.local", PtrRdata{DnsName()}, 0));
  m.additionals.push_back(rr(
      "host.local",
      NsecRdata{name("host.local"), {DnsType::a, DnsType::aaaa, DnsType::nsec, DnsType(1234)}}));
  m.additionals.push_back(rr("host.local", RawRdata{DnsType(99), hex("00ff01")}));
  m.additionals.push_back(rr("host.local", RawRdata{DnsType::any, {}}));
  DnsRecord other_class = rr("host.local", TxtRdata{{"x"}}, 0xffffffff);
  other_class.dns_class = 0x7fff;
  m.additionals.push_back(other_class);
  ASSERT_TRUE(validate_dns(m).ok());

  Bytes wire = encode_dns(m);
  auto back = parse_dns(wire);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(encode_dns(*back), wire);
  EXPECT_EQ(back->answers[3].type(), DnsType::srv);
  EXPECT_EQ(to_string(back->additionals[1].type()), "TYPE99");
}

TEST(DnsMessage, HeaderBitsAndClassTopBits) {
  DnsMessage m;
  m.header = {0xbeef, true, 5, true, true, 3};
  m.questions.push_back({name("a.local"), DnsType::a, kDnsClassIn, true});
  m.answers.push_back(rr("a.local", ARdata{{1, 2, 3, 4}}, 0x01020304, true));
  Bytes wire = encode_dns(m);
  EXPECT_EQ(to_hex(wire),
            "beef" "ae03" "0001" "0001" "0000" "0000"         // QR AA TC opcode 5 rcode 3
            "01" "61" "05" "6c6f63616c" "00" "0001" "8001"    // a.local A, QU
            "c00c" "0001" "8001" "01020304" "0004" "01020304");  // cache-flush
  EXPECT_EQ(*parse_dns(wire), m);

  // RD, RA, Z, AD and CD are ignored on reception (RFC 6762 §18).
  wire[2] |= 0x01;
  wire[3] |= 0xf0;
  EXPECT_EQ(*parse_dns(wire), m);
}

TEST(DnsMessage, EmptyTxtIsOneEmptyString) {
  DnsMessage m;
  m.answers.push_back(rr("a.local", TxtRdata{}));
  Bytes wire = encode_dns(m);
  // RFC 6763 §6.1: never an empty rdata; one zero byte instead.
  EXPECT_EQ(to_hex(Bytes(wire.end() - 3, wire.end())), "000100");
  auto back = parse_dns(wire);
  EXPECT_EQ(std::get<TxtRdata>(back->answers[0].rdata).strings, std::vector<std::string>{""});

  // An empty rdata, which some responders send, reads the same way.
  Bytes empty = hex("0000 8400 0000 0001 0000 0000  00 0010 0001 00000078 0000");
  EXPECT_EQ(std::get<TxtRdata>(parse_dns(empty)->answers[0].rdata).strings,
            std::vector<std::string>{""});
}

// --- Compression ------------------------------------------------------------

TEST(DnsCompression, PointsAtTheLongestWrittenTail) {
  DnsMessage m;
  m.questions.push_back({name("a.local"), DnsType::a});
  m.questions.push_back({name("b.local"), DnsType::a});
  m.questions.push_back({name("a.local"), DnsType::aaaa});
  m.questions.push_back({name("a.LOCAL"), DnsType::a});  // spelled differently
  Bytes wire = encode_dns(m);
  EXPECT_EQ(to_hex(wire),
            "0000" "0000" "0004" "0000" "0000" "0000"
            "0161056c6f63616c00" "00010001"  // 12: a.local
            "0162c00e" "00010001"            // 25: b, then "local" at 14
            "c00c" "001c0001"                // 33: all of "a.local" at 12
            "0161054c4f43414c00" "00010001"  // 39: a.LOCAL in full, to keep its spelling
  );
  size_t uncompressed = kDnsHeaderSize;
  for (const auto& q : m.questions) uncompressed += q.name.wire_size() + 4;
  EXPECT_EQ(uncompressed - wire.size(), 12u);

  auto back = parse_dns(wire);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, m);
  for (size_t i = 0; i < m.questions.size(); ++i)
    EXPECT_TRUE(back->questions[i].name.same_spelling(m.questions[i].name)) << i;
}

TEST(DnsCompression, NamesInRdataAreCompressedToo) {
  DnsMessage m;
  m.answers.push_back(rr("_peernet._tcp.local", PtrRdata{name("x._peernet._tcp.local")}));
  m.answers.push_back(rr("x._peernet._tcp.local", SrvRdata{0, 0, 1, name("h.local")}));
  m.answers.push_back(rr("h.local", NsecRdata{name("h.local"), {DnsType::a}}));
  Bytes wire = encode_dns(m);
  // 12: the PTR owner; 43: its rdata, "x" and a pointer to 12.
  EXPECT_EQ(to_hex(Bytes(wire.begin() + 43, wire.begin() + 47)), "0178c00c");
  // The SRV owner is a pointer to the PTR's rdata at 43 (0x2b).
  EXPECT_EQ(to_hex(Bytes(wire.begin() + 47, wire.begin() + 49)), "c02b");
  // The NSEC owner and next name both point at the SRV target (h.local at 65).
  EXPECT_EQ(to_hex(Bytes(wire.begin() + 69, wire.begin() + 71)), "c041");
  EXPECT_EQ(to_hex(Bytes(wire.end() - 5, wire.end())), "c041000140");
  EXPECT_EQ(*parse_dns(wire), m);
}

// An announcement of peer instance "Ann's Laptop" on host ann-laptop.local,
// assembled by hand: the answers of an announcement (RFC 6762 §8.3: the PTR,
// the SRV and TXT with cache-flush, and the service-type enumeration PTR of
// RFC 6763 §9), and as additionals the host's addresses and the NSEC that
// says it has no others (RFC 6763 §12.2, RFC 6762 §6.1). TTLs are the
// RFC 6762 §10 defaults: 120 s for records that hold a host name, 75 min
// for the rest. Compression is what any encoder that points at the longest
// earlier tail produces (Avahi's and mDNSResponder's packets look the same).
const char* const kAnnouncement =
    // 0: id 0, QR AA, no questions, 4 answers, 3 additionals
    "0000 8400 0000 0004 0000 0003"
    // 12: _peernet._tcp.local PTR IN, TTL 4500, rdlength 15
    "08 5f706565726e6574 04 5f746370 05 6c6f63616c 00  000c 0001 00001194 000f"
    // 43: "Ann's Laptop" + pointer to _peernet._tcp.local at 12
    "0c 416e6e2773204c6170746f70 c00c"
    // 58: (pointer to 43) SRV cache-flush IN, TTL 120, rdlength 19
    "c02b  0021 8001 00000078 0013"
    // 70: priority 0, weight 0, port 7443, ann-laptop + pointer to local at 26
    "0000 0000 1d13 0a 616e6e2d6c6170746f70 c01a"
    // 89: (pointer to 43) TXT cache-flush, TTL 4500, "id=7f3ad2c1" "v=1"
    "c02b  0010 8001 00001194 0010  0b 69643d3766336164326331 03 763d31"
    // 117: _services._dns-sd._udp + local, PTR IN, TTL 4500, -> pointer to 12
    "09 5f7365727669636573 07 5f646e732d7364 04 5f756470 c01a  000c 0001 00001194 0002 c00c"
    // 154: (ann-laptop.local at 76) A cache-flush, TTL 120, 198.18.0.7
    "c04c  0001 8001 00000078 0004 c6120007"
    // 170: AAAA 2001:db8::7
    "c04c  001c 8001 00000078 0010 20010db8000000000000000000000007"
    // 198: NSEC: next name ann-laptop.local, window 0, 4 bytes: A (1) and AAAA (28)
    "c04c  002f 8001 00000078 0008 c04c 0004 40000008";

TEST(DnsMessage, ParsesAnAnnouncement) {
  const Bytes packet = hex(kAnnouncement);
  ASSERT_EQ(packet.size(), 218u);
  auto m = parse_dns(packet);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.aa);
  ASSERT_EQ(m->answers.size(), 4u);
  ASSERT_EQ(m->additionals.size(), 3u);

  const DnsName service = service_type_name().value();
  const DnsName instance = name("Ann's Laptop._peernet._tcp.local");
  const DnsName host = name("ann-laptop.local");
  const auto& ptr = m->answers[0];
  EXPECT_EQ(ptr.name, service);
  EXPECT_FALSE(ptr.cache_flush);
  EXPECT_EQ(ptr.ttl, 4500u);
  EXPECT_EQ(instance_label(std::get<PtrRdata>(ptr.rdata).target, service), "Ann's Laptop");

  const auto& srv = m->answers[1];
  EXPECT_EQ(srv.name, instance);
  EXPECT_TRUE(srv.cache_flush);
  EXPECT_EQ(srv.rdata, DnsRdata(SrvRdata{0, 0, 7443, host}));

  auto txt = decode_txt(std::get<TxtRdata>(m->answers[2].rdata).strings);
  ASSERT_NE(find_txt(txt, "id"), nullptr);
  EXPECT_EQ(find_txt(txt, "id")->value, "7f3ad2c1");

  EXPECT_EQ(m->answers[3].name, service_enumeration_name().value());
  EXPECT_EQ(m->answers[3].rdata, DnsRdata(PtrRdata{service}));
  EXPECT_EQ(m->additionals[0].rdata, DnsRdata(ARdata{{198, 18, 0, 7}}));
  EXPECT_EQ(std::get<AaaaRdata>(m->additionals[1].rdata).address[15], 7);
  EXPECT_EQ(m->additionals[2].rdata, DnsRdata(NsecRdata{host, {DnsType::a, DnsType::aaaa}}));

  // Our encoder compresses the same way, byte for byte.
  EXPECT_EQ(to_hex(encode_dns(*m)), to_hex(packet));
}

// The same announcement, built with the DNS-SD helpers.
TEST(DnsMessage, BuildsTheAnnouncement) {
  const DnsName service = service_type_name().value();
  const DnsName instance = service_instance_name("Ann's Laptop", service).value();
  const DnsName host = name("ann-laptop.local");
  DnsMessage m;
  m.header.qr = m.header.aa = true;
  m.answers = {
      rr("_peernet._tcp.local", PtrRdata{instance}, 4500),
      rr(instance.to_string(), SrvRdata{0, 0, 7443, host}, 120, true),
      rr(instance.to_string(),
         TxtRdata{encode_txt({{"id", "7f3ad2c1"}, {"v", "1"}}).value()}, 4500, true),
      rr(service_enumeration_name()->to_string(), PtrRdata{service}, 4500),
  };
  m.additionals = {
      rr("ann-laptop.local", ARdata{{198, 18, 0, 7}}, 120, true),
      rr("ann-laptop.local",
         AaaaRdata{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}}, 120, true),
      rr("ann-laptop.local", NsecRdata{host, {DnsType::aaaa, DnsType::a}}, 120, true),
  };
  EXPECT_EQ(to_hex(encode_dns(m)), to_hex(hex(kAnnouncement)));
}

// --- Malformed packets ------------------------------------------------------

// A header with the given counts, then `rest`.
Bytes packet(std::string_view counts, std::string_view rest) {
  return hex("0000 8400 " + std::string(counts) + " " + std::string(rest));
}

TEST(DnsMalformed, TruncatedHeader) {
  EXPECT_HAS(parse_error(hex("0000 8400 0000 0000 0000 00")), "header: truncated: 11 of 12");
  EXPECT_HAS(parse_error({}), "truncated: 0 of 12");
  EXPECT_TRUE(parse_dns(hex("0000 8400 0000 0000 0000 0000")).ok());
}

TEST(DnsMalformed, CompressionPointers) {
  // Forward: a pointer at 12 to offset 18.
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "c012 0001 0001 0161 00")),
             "question 1 name: compression pointer at offset 12 to offset 18 does not point back");
  // To itself.
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "c00c 0001 0001")),
             "to offset 12 does not point back");
  // To the start of its own name: "a", then back to "a": an endless a.a.a...
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "0161 c00c 0001 0001")),
             "pointer at offset 14 to offset 12 does not point back before offset 12");
  // A loop of backward pointers: answer 2's name points at 33, a pointer
  // (inside answer 1's raw rdata) to 23, whose 9-byte label leads to 33
  // again. Each pointer points back, but the run at 23 would have to end
  // before 33, where the run it was reached from began.
  EXPECT_HAS(parse_error(packet("0000 0002 0000 0000",
                                "00 0063 0001 00000000 000c  09 787878787878787878 c017"
                                "c021 0001 0001 00000000 0004 01020304")),
             "answer 2 name: name truncated at offset 33");
  // A pointer cut off by the end of the packet.
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "0161 0162 c0")),
             "compression pointer truncated at offset 16");
}

// Answer 1's raw rdata is a root byte and then `chain` pointers, each to the
// one before; answer 2's name is a pointer to the last of them.
Bytes pointer_chain(size_t chain) {
  Bytes p = packet("0000 0002 0000 0000", "00 0063 0001 00000000");
  p.push_back(static_cast<uint8_t>((1 + 2 * chain) >> 8));
  p.push_back(static_cast<uint8_t>(1 + 2 * chain));
  const size_t root = p.size();
  p.push_back(0);
  for (size_t i = 0; i < chain; ++i) {
    const size_t target = i == 0 ? root : p.size() - 2;
    p.push_back(static_cast<uint8_t>(0xC0 | target >> 8));
    p.push_back(static_cast<uint8_t>(target));
  }
  const size_t last = p.size() - 2;
  p.push_back(static_cast<uint8_t>(0xC0 | last >> 8));
  p.push_back(static_cast<uint8_t>(last));
  Bytes a = hex("0001 0001 00000000 0004 01020304");
  p.insert(p.end(), a.begin(), a.end());
  return p;
}

TEST(DnsMalformed, PointerJumpsAreBounded) {
  auto ok = parse_dns(pointer_chain(kMaxDnsPointerJumps - 1));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_TRUE(ok->answers[1].name.is_root());
  EXPECT_HAS(parse_error(pointer_chain(kMaxDnsPointerJumps)),
             "answer 2 name: more than 128 compression pointers");
}

TEST(DnsMalformed, ReservedLabelTypes) {
  // 0x40 would be a 64-byte label; 0x40 and 0x80 are label types of their own.
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "40 0001 0001")),
             "label type 0x40 at offset 12 is reserved");
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "0161 80 0001 0001")),
             "label type 0x80 at offset 14 is reserved");
}

TEST(DnsMalformed, NamesLongerThan255) {
  std::string l63 = "3f" + std::string(126, '6');  // 63 bytes of 'f'
  // In place: four labels of 63 make 257 bytes.
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", l63 + l63 + l63 + l63 + "00 0001 0001")),
             "question 1 name: name longer than 255 bytes");
  // Through a pointer: 3 * 64 + 1 = 193 bytes at 12; then 64 more in front.
  EXPECT_HAS(parse_error(packet("0002 0000 0000 0000",
                                l63 + l63 + l63 + "00 0001 0001" + l63 + "c00c 0001 0001")),
             "question 2 name: name longer than 255 bytes");
  // 255 exactly is fine.
  std::string l61 = "3d" + std::string(122, '6');
  EXPECT_TRUE(parse_dns(packet("0001 0000 0000 0000", l63 + l63 + l63 + l61 + "00 0001 0001")).ok());
}

TEST(DnsMalformed, TruncatedQuestionsAndRecords) {
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "05 616263 00")),
             "question 1 name: label of 5 bytes at offset 12 is truncated");
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "0161 00 0001")),
             "question 1: truncated: 2 of the 4 bytes of type and class");
  EXPECT_HAS(parse_error(packet("0000 0001 0000 0000", "0161 00 0001 0001 0000 0078")),
             "answer 1: truncated: 8 of the 10 bytes");
  EXPECT_HAS(parse_error(packet("0000 0000 0001 0000", "00 0001 0001 00000078 000a 01020304")),
             "authority 1 (A): rdata truncated: rdlength 10, 4 bytes left");
  EXPECT_HAS(parse_error(packet("0000 0001 0000 0001",
                                "00 0001 0001 00000078 0004 01020304  00 0010 0001 00000078")),
             "additional 1: truncated");
}

TEST(DnsMalformed, RdlengthMustMatchTypedRdata) {
  auto answer = [](std::string_view rr) { return parse_error(packet("0000 0001 0000 0000", rr)); };
  EXPECT_HAS(answer("00 0001 0001 00000078 0005 0102030405"), "answer 1 (A): rdlength 5, expected 4");
  EXPECT_HAS(answer("00 0001 0001 00000078 0003 010203"), "rdlength 3, expected 4");
  EXPECT_HAS(answer("00 001c 0001 00000078 0004 01020304"), "(AAAA): rdlength 4, expected 16");
  EXPECT_HAS(answer("00 0021 0001 00000078 0006 0000 0000 0050"),
             "(SRV): rdlength 6, expected at least 7");
  EXPECT_HAS(answer("00 0021 0001 00000078 0008 0000 0000 0050 00 ff"),
             "(SRV): rdlength 8 but the rdata ends after 7 bytes");
  // The target runs past the rdata (rdlength 9 of 11 bytes).
  EXPECT_HAS(answer("00 0021 0001 00000078 0009 0000 0000 0050 03616263 00"),
             "(SRV) target: label of 3 bytes at offset 29 is truncated");
  EXPECT_HAS(answer("00 000c 0001 00000078 0003 00 ffff"),
             "(PTR): rdlength 3 but the rdata ends after 1 bytes");
  EXPECT_HAS(answer("00 000c 0001 00000078 0000"), "(PTR) target: name truncated at offset 23");
}

TEST(DnsMalformed, TxtStringOverrunningRdata) {
  EXPECT_HAS(parse_error(packet("0000 0001 0000 0000", "00 0010 0001 00000078 0003 05 6162")),
             "answer 1 (TXT): string 1 of 5 bytes overruns the rdata (2 bytes left)");
  // The rdata ends inside string 2, though the packet goes on.
  EXPECT_HAS(parse_error(packet("0000 0002 0000 0000",
                                "00 0010 0001 00000078 0004 0161 0262"
                                "00 0001 0001 00000078 0004 01020304")),
             "string 2 of 2 bytes overruns the rdata (1 bytes left)");
}

TEST(DnsMalformed, NsecTypeBitmaps) {
  auto nsec = [](std::string_view bitmaps) {
    std::string rd = "00" + std::string(bitmaps);
    char len[5];
    std::snprintf(len, sizeof len, "%04zx", hex(rd).size());
    return parse_error(packet("0000 0001 0000 0000", "00 002f 0001 00000078 " + std::string(len) + rd));
  };
  EXPECT_HAS(nsec("0000"), "type bitmap length 0 outside 1..32");
  EXPECT_HAS(nsec("0021" + std::string(66, '0')), "type bitmap length 33 outside 1..32");
  EXPECT_HAS(nsec("000140 000140"), "type window 0 after window 0");
  EXPECT_HAS(nsec("010140 000140"), "type window 0 after window 1");
  EXPECT_HAS(nsec("000440"), "type bitmap of window 0 truncated");
  EXPECT_HAS(nsec("000140 01"), "type bitmap header truncated");
  EXPECT_EQ(nsec("000140 010180"), "(parsed)");  // A, and type 256
}

TEST(DnsMalformed, HugeCountsInATinyPacket) {
  // 65535 of each would need over 2 MB: refused before anything is reserved.
  EXPECT_HAS(parse_error(packet("ffff ffff ffff ffff", "0161 00 0001 0001")),
             "header: 65535 questions and 196605 records need at least 2490330 bytes, but 7");
  // One question too many for the bytes there are.
  EXPECT_HAS(parse_error(packet("0002 0000 0000 0000", "0161 00 0001 0001")),
             "2 questions and 0 records need at least 10 bytes, but 7");
}

TEST(DnsMalformed, TrailingBytesAndSizeLimit) {
  EXPECT_HAS(parse_error(packet("0001 0000 0000 0000", "0161 00 0001 0001 00")),
             "message: 1 bytes after the last record");

  // One raw record that makes the packet exactly 9000 bytes: fine.
  Bytes big = packet("0000 0001 0000 0000", "00 0063 0001 00000000");
  const size_t rdlength = kMaxDnsPacket - big.size() - 2;
  big.push_back(static_cast<uint8_t>(rdlength >> 8));
  big.push_back(static_cast<uint8_t>(rdlength));
  big.resize(kMaxDnsPacket, 0xab);
  auto ok = parse_dns(big);
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(std::get<RawRdata>(ok->answers[0].rdata).data.size(), rdlength);
  big.push_back(0);
  auto too_big = parse_dns(big);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, Errc::payload_too_large);
}

// --- Validation and size-bounded encoding ------------------------------------

TEST(DnsMessage, ValidateNamesTheField) {
  auto problem = [](DnsMessage m) {
    auto s = validate_dns(m);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.error().message;
  };
  DnsMessage m;
  m.header.opcode = 16;
  EXPECT_HAS(problem(m), "opcode 16 above 15");
  m = {};
  m.questions.push_back({name("a.local"), DnsType::a, 0x8001});
  EXPECT_HAS(problem(m), "question 1: class 32769 above 0x7fff");
  m = {};
  m.answers.push_back(rr("a.local", TxtRdata{{"ok", std::string(256, 'x')}}));
  EXPECT_HAS(problem(m), "answer 1: TXT string 2 of 256 bytes exceeds 255");
  m = {};
  m.additionals.push_back(rr("a.local", RawRdata{DnsType::a, hex("01020304")}));
  EXPECT_HAS(problem(m), "additional 1: raw rdata for type A");
  m = {};
  m.authorities.push_back(rr("a.local", RawRdata{DnsType(99), Bytes(70000)}));
  EXPECT_HAS(problem(m), "authority 1: rdata of 70000 bytes exceeds 65535");
}

DnsMessage many_answers(size_t n) {
  DnsMessage m;
  m.header.qr = m.header.aa = true;
  for (size_t i = 0; i < n; ++i)
    m.answers.push_back(rr("peer-" + std::to_string(i) + "._peernet._tcp.local",
                           TxtRdata{{"id=" + std::string(80, char('a' + i % 26))}}));
  return m;
}

TEST(DnsMessage, EncodesWithinABudget) {
  const DnsMessage m = many_answers(3);
  const Bytes all = encode_dns(m);
  DnsEncoding full = encode_dns_within(m, all.size());
  EXPECT_TRUE(full.complete);
  EXPECT_EQ(full.wire, all);

  DnsEncoding part = encode_dns_within(m, all.size() - 1);
  EXPECT_FALSE(part.complete);
  EXPECT_EQ(part.answers, 2u);
  EXPECT_LE(part.wire.size(), all.size() - 1);
  auto back = parse_dns(part.wire);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->answers, std::vector<DnsRecord>(m.answers.begin(), m.answers.begin() + 2));
  EXPECT_FALSE(back->header.tc);  // a response never sets TC
  EXPECT_EQ(dns_remainder(m, part).answers, std::vector<DnsRecord>{m.answers[2]});

  DnsEncoding none = encode_dns_within(m, 40);
  EXPECT_FALSE(none.progress());
  EXPECT_EQ(to_hex(none.wire), "000084000000000000000000");
}

TEST(DnsMessage, SplitsAResponseAcrossPackets) {
  const DnsMessage m = many_answers(40);
  DnsMessage rest = m;
  std::vector<DnsRecord> received;
  size_t packets = 0;
  for (; packets < 100; ++packets) {
    DnsEncoding part = encode_dns_within(rest, 512);
    ASSERT_TRUE(part.progress());
    EXPECT_LE(part.wire.size(), 512u);
    auto p = parse_dns(part.wire);
    ASSERT_TRUE(p.ok()) << p.error().describe();
    received.insert(received.end(), p->answers.begin(), p->answers.end());
    if (part.complete) break;
    rest = dns_remainder(rest, part);
  }
  EXPECT_EQ(received, m.answers);
  EXPECT_GT(packets, 4u);
}

TEST(DnsMessage, SplitQuerySetsTcUntilTheLastPacket) {
  DnsMessage q;
  q.questions.push_back({name("_peernet._tcp.local"), DnsType::ptr});
  for (const auto& a : many_answers(10).answers) q.answers.push_back(a);  // known answers
  DnsEncoding first = encode_dns_within(q, 600);
  ASSERT_FALSE(first.complete);
  EXPECT_EQ(first.questions, 1u);
  EXPECT_TRUE(parse_dns(first.wire)->header.tc);
  DnsEncoding second = encode_dns_within(dns_remainder(q, first), kMaxDnsPacket);
  ASSERT_TRUE(second.complete);
  auto last = parse_dns(second.wire);
  EXPECT_FALSE(last->header.tc);
  EXPECT_TRUE(last->questions.empty());
  EXPECT_EQ(first.answers + last->answers.size(), 10u);
}

// --- DNS-SD -----------------------------------------------------------------

TEST(DnsSd, ServiceTypeNames) {
  EXPECT_EQ(service_type_name()->to_string(), "_peernet._tcp.local");
  EXPECT_EQ(service_type_name("_http._udp", "example.org")->to_string(), "_http._udp.example.org");
  EXPECT_EQ(service_type_name("_a-15-characters._tcp")->labels()[0].size(), 16u);
  for (const char* bad : {"peernet._tcp", "_peernet._sctp", "_peernet", "_a_b._tcp",
                          "_16-characters-xx._tcp", "_._tcp", "x._peernet._tcp"})
    EXPECT_EQ(service_type_name(bad).error().code, Errc::bad_request) << bad;
  EXPECT_EQ(service_enumeration_name()->to_string(), "_services._dns-sd._udp.local");
}

TEST(DnsSd, InstanceLabelsAreOneBinarySafeLabel) {
  const DnsName service = service_type_name().value();
  const std::string instance = "Ann's Laptop.home (2) \xe6\x97\xa5\xe6\x9c\xac";
  auto full = service_instance_name(instance, service);
  ASSERT_TRUE(full.ok()) << full.error().describe();
  ASSERT_EQ(full->labels().size(), 4u);
  EXPECT_EQ(full->labels()[0], instance);
  Bytes wire = full->wire();
  EXPECT_EQ(wire[0], instance.size());
  EXPECT_EQ(std::string(wire.begin() + 1, wire.begin() + 1 + instance.size()), instance);

  EXPECT_EQ(instance_label(*full, name("_PEERNET._TCP.local")), instance);
  EXPECT_EQ(instance_label(service, service), std::nullopt);
  EXPECT_EQ(instance_label(name("a.b._peernet._tcp.local"), service), std::nullopt);
  EXPECT_EQ(instance_label(name("a._other._tcp.local"), service), std::nullopt);

  std::string longest;
  for (int i = 0; i < 21; ++i) longest += "\xe6\x97\xa5";  // 63 bytes
  EXPECT_TRUE(valid_instance_label(longest));
  for (const std::string& bad :
       {std::string(), std::string(64, 'x'), std::string("a\nb"), std::string("a\x7f"),
        std::string("a\0b", 3), std::string("\xc3"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("\xc2\x85"), std::string("\xf4\x90\x80\x80"),
        std::string("\xff")}) {
    EXPECT_FALSE(valid_instance_label(bad)) << to_hex(as_bytes(bad));
    EXPECT_EQ(service_instance_name(bad, service).error().code, Errc::bad_request);
  }
}

TEST(DnsSd, TxtAttributesEncode) {
  auto strings = encode_txt({{"id", "abc"}, {"tls", std::nullopt}, {"empty", ""}, {"v", "a=b"}});
  ASSERT_TRUE(strings.ok()) << strings.error().describe();
  EXPECT_EQ(*strings, (std::vector<std::string>{"id=abc", "tls", "empty=", "v=a=b"}));
  EXPECT_EQ(*encode_txt({}), std::vector<std::string>{""});
  EXPECT_EQ(encode_txt({{std::string(253, 'k'), "x"}})->front().size(), 255u);

  for (const auto& bad : std::vector<std::vector<TxtAttribute>>{
           {{"", "x"}},
           {{"a=b", "x"}},
           {{"a\x01", std::nullopt}},
           {{"caf\xc3\xa9", std::nullopt}},
           {{"id", "1"}, {"ID", "2"}},
           {{std::string(254, 'k'), "x"}},
       })
    EXPECT_EQ(encode_txt(bad).error().code, Errc::bad_request) << bad.back().key;
}

TEST(DnsSd, TxtAttributesDecode) {
  auto attrs = decode_txt({"", "id=abc", "ID=other", "tls", "=nokey", "v=a=b", "bad\x01=1",
                           std::string("bin=\0\xff", 6), "empty="});
  EXPECT_EQ(attrs, (std::vector<TxtAttribute>{{"id", "abc"},
                                              {"tls", std::nullopt},
                                              {"v", "a=b"},
                                              {"bin", std::string("\0\xff", 2)},
                                              {"empty", ""}}));
  ASSERT_NE(find_txt(attrs, "TLS"), nullptr);
  EXPECT_EQ(find_txt(attrs, "TLS")->value, std::nullopt);
  EXPECT_EQ(find_txt(attrs, "Id")->value, "abc");  // the first occurrence
  EXPECT_EQ(find_txt(attrs, "missing"), nullptr);

  std::vector<TxtAttribute> sample = {{"id", "x"}, {"flag", std::nullopt}, {"e", ""}};
  EXPECT_EQ(decode_txt(encode_txt(sample).value()), sample);
}

}  // namespace
}  // namespace peernet
