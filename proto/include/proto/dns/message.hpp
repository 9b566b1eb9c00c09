// DNS messages as Multicast DNS uses them (RFC 1035 §4.1, RFC 6762 §18).
//
//     message    = header question* answer* authority* additional*
//     header     = id:u16 | flags:u16 | qdcount:u16 | ancount:u16 | nscount:u16 | arcount:u16
//     flags      = QR:1 | OPCODE:4 | AA:1 | TC:1 | RD:1 | RA:1 | Z:1 | AD:1 | CD:1 | RCODE:4
//     question   = name | type:u16 | UR:1 class:15
//     record     = name | type:u16 | CF:1 class:15 | ttl:u32 | rdlength:u16 | rdata
//
// The top bit of a class is not part of it in mDNS: in a question it asks
// for a unicast response (UR, RFC 6762 §5.4), in a record it tells caches to
// flush other records of that name and type (CF, §10.2). This codec is for
// mDNS only: on port 53 that bit would be part of the class.
//
// RD, RA, Z, AD and CD are zero on transmission and ignored on reception in
// mDNS (RFC 6762 §18.6-18.11), so they are not kept.
//
// Typed rdata: A (RFC 1035 §3.4.1), AAAA (RFC 3596), PTR (RFC 1035 §3.3.12),
// TXT (§3.3.14), SRV (RFC 2782), NSEC (RFC 4034 §4.1, as RFC 6762 §6.1 uses
// it). Names in PTR, SRV and NSEC rdata may be compressed (RFC 6762 §18.14)
// and the encoder compresses them. Any other type is kept as raw bytes
// (RFC 3597): for CNAME, MX and the like those may hold pointers into the
// packet they came from, so raw rdata is only meaningful next to that packet.
//
// Parsing is strict: a packet above 9000 bytes (RFC 6762 §17) is
// Errc::payload_too_large; everything else wrong is Errc::protocol_error
// with a message naming the section, the record and the problem: truncated
// fields, rdlength not matching the typed rdata, bytes after the last
// record, bad names (see read_dns_name). Declared counts are checked against
// the packet size (a question takes at least 5 bytes, a record 11) before
// anything is allocated for them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/dns/name.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kDnsHeaderSize = 12;
inline constexpr size_t kMaxDnsPacket = 9000;
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint16_t kMaxDnsClass = 0x7fff;  // the top bit is UR / CF

// Any 16-bit value is a valid DnsType; these are the ones with names here.
enum class DnsType : uint16_t {
  a = 1,
  ptr = 12,
  txt = 16,
  aaaa = 28,
  srv = 33,
  nsec = 47,
  any = 255,  // a question's "all types"; as a record type its rdata is raw
};

// "A", "PTR", ..., and "TYPE99" for the others (RFC 3597 §5).
std::string to_string(DnsType type);

struct DnsHeader {
  uint16_t id = 0;      // 0 in multicast messages (RFC 6762 §18.1)
  bool qr = false;      // a response
  uint8_t opcode = 0;   // 0..15
  bool aa = false;      // authoritative; set in every mDNS response (§18.4)
  bool tc = false;      // more known answers follow (§7.2)
  uint8_t rcode = 0;    // 0..15
  friend bool operator==(const DnsHeader&, const DnsHeader&) = default;
};

struct DnsQuestion {
  DnsName name;
  DnsType type = DnsType::any;
  uint16_t dns_class = kDnsClassIn;  // 0..0x7fff
  bool unicast_response = false;
  friend bool operator==(const DnsQuestion&, const DnsQuestion&) = default;
};

struct ARdata {
  std::array<uint8_t, 4> address{};
  friend bool operator==(const ARdata&, const ARdata&) = default;
};
struct AaaaRdata {
  std::array<uint8_t, 16> address{};
  friend bool operator==(const AaaaRdata&, const AaaaRdata&) = default;
};
struct PtrRdata {
  DnsName target;
  friend bool operator==(const PtrRdata&, const PtrRdata&) = default;
};
// Each string is 0..255 bytes. An empty list encodes as one empty string,
// as RFC 6763 §6.1 wants, and an empty rdata parses as one empty string.
struct TxtRdata {
  std::vector<std::string> strings;
  friend bool operator==(const TxtRdata&, const TxtRdata&) = default;
};
struct SrvRdata {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  DnsName target;
  friend bool operator==(const SrvRdata&, const SrvRdata&) = default;
};
// `types` are the types that exist at the record's name. Parsing yields
// them ascending without duplicates; the encoder sorts a copy.
struct NsecRdata {
  DnsName next;
  std::vector<DnsType> types;
  friend bool operator==(const NsecRdata&, const NsecRdata&) = default;
};
// Any type without a struct above; never one of those (validate_dns refuses
// that, and parsing never yields it).
struct RawRdata {
  DnsType type = DnsType::any;
  Bytes data;  // 0..65535 bytes
  friend bool operator==(const RawRdata&, const RawRdata&) = default;
};

using DnsRdata = std::variant<ARdata, AaaaRdata, PtrRdata, TxtRdata, SrvRdata, NsecRdata, RawRdata>;

DnsType type_of(const DnsRdata& rdata);

struct DnsRecord {
  DnsName name;
  uint16_t dns_class = kDnsClassIn;  // 0..0x7fff
  bool cache_flush = false;
  uint32_t ttl = 0;  // 0 is a goodbye (RFC 6762 §10.1)
  DnsRdata rdata;

  DnsType type() const { return type_of(rdata); }
  friend bool operator==(const DnsRecord&, const DnsRecord&) = default;
};

struct DnsMessage {
  DnsHeader header;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> authorities;
  std::vector<DnsRecord> additionals;
  friend bool operator==(const DnsMessage&, const DnsMessage&) = default;
};

// Checks what the types above cannot hold by themselves: opcode and rcode
// within 4 bits, classes within 15 bits, TXT strings within 255 bytes and
// rdata within 65535, at most 65535 entries per section, and RawRdata not
// used for a typed rdata. Errc::bad_request naming the offending field.
Status validate_dns(const DnsMessage& message);

// Parses one UDP payload, strictly (see the top of this file).
Result<DnsMessage> parse_dns(ByteView packet);

// Encodes with name compression. `message` must satisfy validate_dns().
// Nothing limits the size: use encode_dns_within to stay within a packet.
Bytes encode_dns(const DnsMessage& message);

// How much of a message encode_dns_within wrote: the first `questions`
// questions, then the first `answers` answers, and so on.
struct DnsEncoding {
  Bytes wire;
  size_t questions = 0;
  size_t answers = 0;
  size_t authorities = 0;
  size_t additionals = 0;
  bool complete = false;  // everything went in

  // Whether any question or record went in.
  bool progress() const { return questions + answers + authorities + additionals > 0; }
};

// Encodes the header and then questions, answers, authorities and
// additionals in that order until the next one would take the message above
// `max_size` bytes; it and everything after it are left out, and the
// header's counts say what is in. So the entries written are always a
// prefix of the message's. The 12-byte header is written whatever the
// budget. A query (QR clear) that is not complete goes out
// with TC set: more known answers follow (RFC 6762 §7.2). A response keeps
// TC as given (zero in mDNS, §18.5). `message` must satisfy validate_dns().
//
// Sending a message in as many packets as it takes, each within `budget`
// (the interface MTU less the IP and UDP headers: RFC 6762 §17 wants no IP
// fragments, and kMaxDnsPacket is only the upper bound):
//
//     DnsMessage rest = message;
//     for (;;) {
//       DnsEncoding part = encode_dns_within(rest, budget);
//       if (!part.progress()) break;   // the next entry alone is too big
//       send(part.wire);
//       if (part.complete) break;
//       rest = dns_remainder(rest, part);
//     }
//
// Each later packet of a query then holds no questions, only the known
// answers left over, as §7.2 describes. Whether the rest of a response is
// worth sending (additionals are optional) is the caller's decision.
DnsEncoding encode_dns_within(const DnsMessage& message, size_t max_size);

// `message` without what `done` wrote: same header, the rest of each section.
DnsMessage dns_remainder(const DnsMessage& message, const DnsEncoding& done);

}  // namespace peernet
