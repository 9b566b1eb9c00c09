#include "proto/dns/message.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include "proto/overloaded.hpp"

namespace peernet {
namespace {

constexpr size_t kMinQuestion = 1 + 4;   // root name, type, class
constexpr size_t kMinRecord = 1 + 10;    // root name, type, class, ttl, rdlength
constexpr size_t kMaxSection = 0xffff;
constexpr uint16_t kTopBit = 0x8000;

bool has_typed_rdata(DnsType t) {
  switch (t) {
    case DnsType::a:
    case DnsType::aaaa:
    case DnsType::ptr:
    case DnsType::txt:
    case DnsType::srv:
    case DnsType::nsec:
      return true;
    default:
      return false;
  }
}

std::string str(size_t n) { return std::to_string(n); }

// --- Encoding ---------------------------------------------------------------

void put_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put_u32(Bytes& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}

uint16_t header_flags(const DnsHeader& h) {
  return static_cast<uint16_t>((h.qr ? 0x8000 : 0) | (h.opcode & 0xF) << 11 | (h.aa ? 0x0400 : 0) |
                               (h.tc ? 0x0200 : 0) | (h.rcode & 0xF));
}

// The type bitmaps of RFC 4034 §4.1.2: per window of 256 types that has
// any, the window number, the bitmap's length and the bitmap, trailing zero
// bytes left out.
void put_type_bitmaps(Bytes& out, std::vector<DnsType> types) {
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  for (size_t i = 0; i < types.size();) {
    const unsigned window = static_cast<uint16_t>(types[i]) >> 8;
    uint8_t bitmap[32] = {};
    size_t length = 0;
    for (; i < types.size() && (static_cast<uint16_t>(types[i]) >> 8) == window; ++i) {
      const unsigned low = static_cast<uint16_t>(types[i]) & 0xFF;
      bitmap[low / 8] |= static_cast<uint8_t>(0x80 >> (low % 8));
      length = low / 8 + 1;
    }
    out.push_back(static_cast<uint8_t>(window));
    out.push_back(static_cast<uint8_t>(length));
    out.insert(out.end(), bitmap, bitmap + length);
  }
}

class Encoder {
 public:
  Bytes out;

  void question(const DnsQuestion& q) {
    names_.write(out, q.name);
    put_u16(out, static_cast<uint16_t>(q.type));
    put_u16(out, static_cast<uint16_t>(q.dns_class | (q.unicast_response ? kTopBit : 0)));
  }

  void record(const DnsRecord& r) {
    names_.write(out, r.name);
    put_u16(out, static_cast<uint16_t>(r.type()));
    put_u16(out, static_cast<uint16_t>(r.dns_class | (r.cache_flush ? kTopBit : 0)));
    put_u32(out, r.ttl);
    const size_t length_at = out.size();
    put_u16(out, 0);
    rdata(r.rdata);
    const size_t length = out.size() - length_at - 2;
    assert(length <= 0xffff);
    put_u16be(out.data() + length_at, static_cast<uint16_t>(length));
  }

  // Drops everything from `size` on, names included.
  void truncate(size_t size) {
    out.resize(size);
    names_.rollback(size);
  }

 private:
  void rdata(const DnsRdata& rd) {
    std::visit(Overloaded{
                   [&](const ARdata& a) { out.insert(out.end(), a.address.begin(), a.address.end()); },
                   [&](const AaaaRdata& a) {
                     out.insert(out.end(), a.address.begin(), a.address.end());
                   },
                   [&](const PtrRdata& p) { names_.write(out, p.target); },
                   [&](const TxtRdata& t) {
                     if (t.strings.empty()) out.push_back(0);
                     for (const auto& s : t.strings) {
                       assert(s.size() <= 255);
                       out.push_back(static_cast<uint8_t>(s.size()));
                       out.insert(out.end(), s.begin(), s.end());
                     }
                   },
                   [&](const SrvRdata& s) {
                     put_u16(out, s.priority);
                     put_u16(out, s.weight);
                     put_u16(out, s.port);
                     names_.write(out, s.target);
                   },
                   [&](const NsecRdata& n) {
                     names_.write(out, n.next);
                     put_type_bitmaps(out, n.types);
                   },
                   [&](const RawRdata& r) { out.insert(out.end(), r.data.begin(), r.data.end()); },
               },
               rd);
  }

  DnsNameWriter names_;
};

// --- Parsing ----------------------------------------------------------------

Error fail(const std::string& where, const std::string& what) {
  return make_error(Errc::protocol_error, where + ": " + what);
}

class Parser {
 public:
  explicit Parser(ByteView packet) : p_(packet) {}

  Result<DnsMessage> message();

 private:
  size_t left() const { return p_.size() - pos_; }
  uint16_t u16() {
    uint16_t v = get_u16be(p_.data() + pos_);
    pos_ += 2;
    return v;
  }

  Result<DnsName> name(const std::string& where, size_t limit) {
    auto n = read_dns_name(p_, pos_, limit);
    if (!n.ok()) return fail(where, n.error().message);
    return n;
  }
  Result<DnsQuestion> question(const std::string& where);
  Result<DnsRecord> record(const std::string& where);
  Result<DnsRdata> rdata(DnsType type, size_t length, const std::string& where);
  Result<std::vector<DnsType>> type_bitmaps(size_t end, const std::string& where);

  ByteView p_;
  size_t pos_ = kDnsHeaderSize;
};

Result<DnsMessage> Parser::message() {
  if (p_.size() > kMaxDnsPacket)
    return make_error(Errc::payload_too_large,
                      "mDNS packet of " + str(p_.size()) + " bytes exceeds 9000");
  if (p_.size() < kDnsHeaderSize)
    return fail("header", "truncated: " + str(p_.size()) + " of 12 bytes");

  DnsMessage m;
  const uint8_t* h = p_.data();
  m.header.id = get_u16be(h);
  const uint16_t flags = get_u16be(h + 2);
  m.header.qr = flags & 0x8000;
  m.header.opcode = static_cast<uint8_t>((flags >> 11) & 0xF);
  m.header.aa = flags & 0x0400;
  m.header.tc = flags & 0x0200;
  m.header.rcode = static_cast<uint8_t>(flags & 0xF);
  const size_t qd = get_u16be(h + 4);
  const size_t counts[3] = {get_u16be(h + 6), get_u16be(h + 8), get_u16be(h + 10)};

  // Counts are claims: check that they can fit before reserving for them.
  const size_t records = counts[0] + counts[1] + counts[2];
  const size_t need = qd * kMinQuestion + records * kMinRecord;
  if (need > left())
    return fail("header", str(qd) + " questions and " + str(records) +
                              " records need at least " + str(need) + " bytes, but " +
                              str(left()) + " follow the header");

  m.questions.reserve(qd);
  for (size_t i = 0; i < qd; ++i) {
    PEERNET_TRY(DnsQuestion q, question("question " + str(i + 1)));
    m.questions.push_back(std::move(q));
  }
  static constexpr const char* kSections[3] = {"answer", "authority", "additional"};
  std::vector<DnsRecord>* sections[3] = {&m.answers, &m.authorities, &m.additionals};
  for (size_t s = 0; s < 3; ++s) {
    sections[s]->reserve(counts[s]);
    for (size_t i = 0; i < counts[s]; ++i) {
      PEERNET_TRY(DnsRecord r, record(std::string(kSections[s]) + " " + str(i + 1)));
      sections[s]->push_back(std::move(r));
    }
  }
  if (left() > 0) return fail("message", str(left()) + " bytes after the last record");
  return m;
}

Result<DnsQuestion> Parser::question(const std::string& where) {
  DnsQuestion q;
  PEERNET_TRY(q.name, name(where + " name", p_.size()));
  if (left() < 4)
    return fail(where, "truncated: " + str(left()) + " of the 4 bytes of type and class");
  q.type = static_cast<DnsType>(u16());
  const uint16_t cls = u16();
  q.dns_class = cls & kMaxDnsClass;
  q.unicast_response = cls & kTopBit;
  return q;
}

Result<DnsRecord> Parser::record(const std::string& where) {
  DnsRecord r;
  PEERNET_TRY(r.name, name(where + " name", p_.size()));
  if (left() < 10)
    return fail(where, "truncated: " + str(left()) +
                           " of the 10 bytes of type, class, TTL and rdlength");
  const auto type = static_cast<DnsType>(u16());
  const uint16_t cls = u16();
  r.dns_class = cls & kMaxDnsClass;
  r.cache_flush = cls & kTopBit;
  r.ttl = get_u32be(p_.data() + pos_);
  pos_ += 4;
  const size_t length = u16();
  const std::string what = where + " (" + to_string(type) + ")";
  if (length > left())
    return fail(what, "rdata truncated: rdlength " + str(length) + ", " + str(left()) +
                          " bytes left");
  PEERNET_TRY(r.rdata, rdata(type, length, what));
  return r;
}

Result<DnsRdata> Parser::rdata(DnsType type, size_t length, const std::string& where) {
  const size_t start = pos_;
  const size_t end = pos_ + length;
  auto wrong_length = [&](const char* expected) {
    return fail(where, "rdlength " + str(length) + ", expected " + expected);
  };
  // For rdata that ends with a name: the name must end exactly at `end`.
  auto check_end = [&]() -> Status {
    if (pos_ == end) return {};
    return fail(where, "rdlength " + str(length) + " but the rdata ends after " +
                           str(pos_ - start) + " bytes");
  };

  switch (type) {
    case DnsType::a: {
      if (length != 4) return wrong_length("4");
      ARdata a;
      std::copy_n(p_.data() + pos_, 4, a.address.begin());
      pos_ = end;
      return DnsRdata(a);
    }
    case DnsType::aaaa: {
      if (length != 16) return wrong_length("16");
      AaaaRdata a;
      std::copy_n(p_.data() + pos_, 16, a.address.begin());
      pos_ = end;
      return DnsRdata(a);
    }
    case DnsType::ptr: {
      PtrRdata p;
      PEERNET_TRY(p.target, name(where + " target", end));
      PEERNET_TRY_VOID(check_end());
      return DnsRdata(std::move(p));
    }
    case DnsType::srv: {
      if (length < 7) return wrong_length("at least 7 (6 bytes and a name)");
      SrvRdata s;
      s.priority = u16();
      s.weight = u16();
      s.port = u16();
      PEERNET_TRY(s.target, name(where + " target", end));
      PEERNET_TRY_VOID(check_end());
      return DnsRdata(std::move(s));
    }
    case DnsType::txt: {
      TxtRdata t;
      // RFC 6763 §6.1: an empty TXT rdata means the same as one empty string.
      if (length == 0) t.strings.emplace_back();
      for (size_t k = 1; pos_ < end; ++k) {
        const size_t n = p_[pos_];
        if (n > end - pos_ - 1)
          return fail(where, "string " + str(k) + " of " + str(n) + " bytes overruns the rdata (" +
                                 str(end - pos_ - 1) + " bytes left)");
        t.strings.emplace_back(reinterpret_cast<const char*>(p_.data() + pos_ + 1), n);
        pos_ += 1 + n;
      }
      return DnsRdata(std::move(t));
    }
    case DnsType::nsec: {
      NsecRdata n;
      PEERNET_TRY(n.next, name(where + " next name", end));
      PEERNET_TRY(n.types, type_bitmaps(end, where));
      return DnsRdata(std::move(n));
    }
    default: {
      RawRdata r{type, Bytes(p_.begin() + static_cast<ptrdiff_t>(pos_),
                             p_.begin() + static_cast<ptrdiff_t>(end))};
      pos_ = end;
      return DnsRdata(std::move(r));
    }
  }
}

Result<std::vector<DnsType>> Parser::type_bitmaps(size_t end, const std::string& where) {
  std::vector<DnsType> types;
  int previous = -1;
  while (pos_ < end) {
    if (end - pos_ < 2) return fail(where, "type bitmap header truncated");
    const unsigned window = p_[pos_];
    const size_t length = p_[pos_ + 1];
    if (static_cast<int>(window) <= previous)
      return fail(where, "type window " + str(window) + " after window " + str(previous) +
                             " (windows ascend)");
    if (length < 1 || length > 32)
      return fail(where, "type bitmap length " + str(length) + " outside 1..32");
    if (length > end - pos_ - 2)
      return fail(where, "type bitmap of window " + str(window) + " truncated");
    for (size_t i = 0; i < length; ++i) {
      const uint8_t bits = p_[pos_ + 2 + i];
      for (unsigned b = 0; b < 8; ++b)
        if (bits & (0x80 >> b)) types.push_back(static_cast<DnsType>(window << 8 | (i * 8 + b)));
    }
    pos_ += 2 + length;
    previous = static_cast<int>(window);
  }
  return types;
}

// --- Validation -------------------------------------------------------------

Status bad(const std::string& where, const std::string& what) {
  return make_error(Errc::bad_request, where + ": " + what);
}

Status check_class(const std::string& where, uint16_t cls, const char* top_bit) {
  if (cls <= kMaxDnsClass) return {};
  return bad(where, "class " + str(cls) + " above 0x7fff (the top bit is " + top_bit + ")");
}

Status check_rdata(const std::string& where, const DnsRdata& rd) {
  if (const auto* t = std::get_if<TxtRdata>(&rd)) {
    size_t total = 0;
    for (size_t k = 0; k < t->strings.size(); ++k) {
      if (t->strings[k].size() > 255)
        return bad(where, "TXT string " + str(k + 1) + " of " + str(t->strings[k].size()) +
                              " bytes exceeds 255");
      total += 1 + t->strings[k].size();
    }
    if (total > 0xffff) return bad(where, "TXT rdata of " + str(total) + " bytes exceeds 65535");
  } else if (const auto* r = std::get_if<RawRdata>(&rd)) {
    if (has_typed_rdata(r->type))
      return bad(where, "raw rdata for type " + to_string(r->type) + ", which has typed rdata");
    if (r->data.size() > 0xffff)
      return bad(where, "rdata of " + str(r->data.size()) + " bytes exceeds 65535");
  }
  return {};
}

}  // namespace

std::string to_string(DnsType type) {
  switch (type) {
    case DnsType::a: return "A";
    case DnsType::ptr: return "PTR";
    case DnsType::txt: return "TXT";
    case DnsType::aaaa: return "AAAA";
    case DnsType::srv: return "SRV";
    case DnsType::nsec: return "NSEC";
    case DnsType::any: return "ANY";
  }
  return "TYPE" + str(static_cast<uint16_t>(type));
}

DnsType type_of(const DnsRdata& rdata) {
  return std::visit(Overloaded{
                        [](const ARdata&) { return DnsType::a; },
                        [](const AaaaRdata&) { return DnsType::aaaa; },
                        [](const PtrRdata&) { return DnsType::ptr; },
                        [](const TxtRdata&) { return DnsType::txt; },
                        [](const SrvRdata&) { return DnsType::srv; },
                        [](const NsecRdata&) { return DnsType::nsec; },
                        [](const RawRdata& r) { return r.type; },
                    },
                    rdata);
}

Status validate_dns(const DnsMessage& m) {
  if (m.header.opcode > 15) return bad("header", "opcode " + str(m.header.opcode) + " above 15");
  if (m.header.rcode > 15) return bad("header", "rcode " + str(m.header.rcode) + " above 15");
  if (m.questions.size() > kMaxSection)
    return bad("questions", str(m.questions.size()) + " entries exceed 65535");
  for (size_t i = 0; i < m.questions.size(); ++i)
    PEERNET_TRY_VOID(check_class("question " + str(i + 1), m.questions[i].dns_class,
                                 "unicast_response"));
  const std::pair<const char*, const std::vector<DnsRecord>*> sections[] = {
      {"answer", &m.answers}, {"authority", &m.authorities}, {"additional", &m.additionals}};
  for (const auto& [section, records] : sections) {
    if (records->size() > kMaxSection)
      return bad(std::string(section) + "s", str(records->size()) + " entries exceed 65535");
    for (size_t i = 0; i < records->size(); ++i) {
      const std::string where = std::string(section) + " " + str(i + 1);
      PEERNET_TRY_VOID(check_class(where, (*records)[i].dns_class, "cache_flush"));
      PEERNET_TRY_VOID(check_rdata(where, (*records)[i].rdata));
    }
  }
  return {};
}

DnsEncoding encode_dns_within(const DnsMessage& m, size_t max_size) {
  assert(validate_dns(m).ok());
  DnsEncoding done;
  Encoder e;
  put_u16(e.out, m.header.id);
  put_u16(e.out, header_flags(m.header));
  e.out.resize(kDnsHeaderSize);  // counts, written at the end

  bool full = false;
  // Adds one entry unless an earlier one did not fit or this one does not.
  auto add = [&](auto write_entry, size_t& count) {
    if (full) return;
    const size_t mark = e.out.size();
    write_entry();
    if (e.out.size() > max_size) {
      e.truncate(mark);
      full = true;
      return;
    }
    ++count;
  };
  for (const auto& q : m.questions) add([&] { e.question(q); }, done.questions);
  for (const auto& r : m.answers) add([&] { e.record(r); }, done.answers);
  for (const auto& r : m.authorities) add([&] { e.record(r); }, done.authorities);
  for (const auto& r : m.additionals) add([&] { e.record(r); }, done.additionals);
  done.complete = !full;

  uint8_t* h = e.out.data();
  if (!done.complete && !m.header.qr) h[2] |= 0x02;  // TC: known answers follow
  put_u16be(h + 4, static_cast<uint16_t>(done.questions));
  put_u16be(h + 6, static_cast<uint16_t>(done.answers));
  put_u16be(h + 8, static_cast<uint16_t>(done.authorities));
  put_u16be(h + 10, static_cast<uint16_t>(done.additionals));
  done.wire = std::move(e.out);
  return done;
}

Bytes encode_dns(const DnsMessage& message) {
  return encode_dns_within(message, std::numeric_limits<size_t>::max()).wire;
}

DnsMessage dns_remainder(const DnsMessage& m, const DnsEncoding& done) {
  auto rest = [](const auto& v, size_t n) {
    using V = std::decay_t<decltype(v)>;
    return V(v.begin() + static_cast<ptrdiff_t>(std::min(n, v.size())), v.end());
  };
  DnsMessage r;
  r.header = m.header;
  r.questions = rest(m.questions, done.questions);
  r.answers = rest(m.answers, done.answers);
  r.authorities = rest(m.authorities, done.authorities);
  r.additionals = rest(m.additionals, done.additionals);
  return r;
}

Result<DnsMessage> parse_dns(ByteView packet) { return Parser(packet).message(); }

}  // namespace peernet
