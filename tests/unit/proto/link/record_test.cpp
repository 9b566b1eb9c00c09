#include "proto/link/record.hpp"

#include <gtest/gtest.h>

#include <random>

namespace peernet {
namespace {

Bytes envelope_of(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed * 31 + i);
  return b;
}

Bytes record(uint8_t type, ByteView body) {
  Bytes r{type, static_cast<uint8_t>(body.size() >> 8), static_cast<uint8_t>(body.size())};
  r.insert(r.end(), body.begin(), body.end());
  return r;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes first_record(uint32_t total, ByteView chunk) {
  Bytes body(4);
  put_u32be(body.data(), total);
  body.insert(body.end(), chunk.begin(), chunk.end());
  return record(0x02, body);
}

struct Read {
  std::vector<Bytes> envelopes;
  bool rekey = false;
};

// Feeds one plaintext and drains it.
Result<Read> read_all(RecordReader& reader, ByteView plaintext) {
  PEERNET_TRY_VOID(reader.feed(plaintext));
  Read out;
  for (int guard = 0; guard < 100000; ++guard) {
    PEERNET_TRY(auto env, reader.next());
    if (!env) {
      out.rekey = reader.rekey();
      return out;
    }
    out.envelopes.emplace_back(env->begin(), env->end());
  }
  return make_error(Errc::internal, "runaway");
}

// Writes every queued envelope; returns the plaintexts.
std::vector<Bytes> drain(RecordWriter& w) {
  std::vector<Bytes> out;
  while (!w.empty()) {
    Bytes p;
    EXPECT_GT(w.write(p), 0u);
    EXPECT_LE(p.size(), kMaxPlaintext);
    out.push_back(std::move(p));
  }
  return out;
}

Errc read_error(ByteView plaintext, size_t max_envelope = kDefaultMaxEnvelope) {
  RecordReader reader(max_envelope);
  auto r = read_all(reader, plaintext);
  if (r.ok()) return Errc::internal;  // "no error", for the assertions below
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.buffered(), 0u);
  return r.error().code;
}

TEST(Record, SingleEnvelopeLayout) {
  RecordWriter w;
  ASSERT_TRUE(w.push(Bytes{0x92, 0x05, 0x07}).ok());
  Bytes p;
  EXPECT_EQ(w.write(p), 6u);
  EXPECT_EQ(to_hex(p), "010003920507");
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.write(p), 0u);  // nothing left
}

TEST(Record, WriteAppendsAfterExistingBytes) {
  RecordWriter w;
  ASSERT_TRUE(w.push(Bytes{0xc0}).ok());
  Bytes p{0, 0, 0, 0};  // room for a frame header
  EXPECT_EQ(w.write(p), 4u);
  EXPECT_EQ(to_hex(p),
            "0000000001000"
            "1c0");
}

TEST(Record, CoalescesSmallEnvelopes) {
  RecordWriter w;
  std::vector<Bytes> sent;
  for (int i = 0; i < 500; ++i) {
    sent.push_back(envelope_of(1 + i % 40, static_cast<uint8_t>(i)));
    ASSERT_TRUE(w.push(sent.back()).ok());
  }
  EXPECT_EQ(w.queued(), 500u);
  auto plaintexts = drain(w);
  ASSERT_EQ(plaintexts.size(), 1u);  // ~12 KB of envelopes: one message
  RecordReader reader;
  auto got = read_all(reader, plaintexts[0]);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(got->envelopes, sent);
  EXPECT_FALSE(got->rekey);
  // No fragment was made, so nothing was allocated to reassemble.
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(Record, EnvelopeThatFitsIsNeverFragmented) {
  RecordWriter w;
  Bytes a = envelope_of(kMaxUnfragmentedEnvelope - 100, 1);
  Bytes b = envelope_of(1000, 2);  // does not fit in the 97 bytes left
  ASSERT_TRUE(w.push(a).ok());
  ASSERT_TRUE(w.push(b).ok());
  auto plaintexts = drain(w);
  ASSERT_EQ(plaintexts.size(), 2u);
  EXPECT_EQ(plaintexts[0], record(0x01, a));
  EXPECT_EQ(plaintexts[1], record(0x01, b));
}

TEST(Record, LargestUnfragmentedAndSmallestFragmented) {
  RecordWriter w;
  Bytes a = envelope_of(kMaxUnfragmentedEnvelope, 1);
  ASSERT_TRUE(w.push(a).ok());
  auto p1 = drain(w);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0].size(), kMaxPlaintext);
  EXPECT_EQ(p1[0][0], 0x01);

  Bytes b = envelope_of(kMaxUnfragmentedEnvelope + 1, 2);
  ASSERT_TRUE(w.push(b).ok());
  auto p2 = drain(w);
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[0][0], 0x02);
  EXPECT_EQ(p2[1][0], 0x03);
  RecordReader reader;
  auto r1 = read_all(reader, p2[0]);
  ASSERT_TRUE(r1.ok());
  EXPECT_TRUE(r1->envelopes.empty());
  EXPECT_TRUE(reader.fragment_pending());
  EXPECT_EQ(reader.buffered(), b.size());  // one allocation of exactly `total`
  auto r2 = read_all(reader, p2[1]);
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(r2->envelopes.size(), 1u);
  EXPECT_EQ(r2->envelopes[0], b);
  EXPECT_FALSE(reader.fragment_pending());
}

TEST(Record, OneMebibyteEnvelopeSpansSeventeenPlaintexts) {
  RecordWriter w;
  Bytes small = envelope_of(100, 9);
  Bytes big = envelope_of(kDefaultMaxEnvelope, 3);
  ASSERT_TRUE(w.push(small).ok());
  ASSERT_TRUE(w.push(big).ok());
  ASSERT_TRUE(w.push(small).ok());
  EXPECT_EQ(w.queued_bytes(), big.size() + 200);
  auto plaintexts = drain(w);
  EXPECT_EQ(plaintexts.size(), 17u);
  // The big envelope starts in the room the small one left.
  EXPECT_EQ(plaintexts[0][0], 0x01);
  EXPECT_EQ(plaintexts[0][103], 0x02);

  RecordReader reader;
  std::vector<Bytes> got;
  for (const auto& p : plaintexts) {
    auto r = read_all(reader, p);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_LE(reader.buffered(), big.size());
    for (auto& e : r->envelopes) got.push_back(std::move(e));
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], small);
  EXPECT_EQ(got[1], big);
  EXPECT_EQ(got[2], small);
  // The reassembly buffer is freed once the envelope has been handed out.
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(Record, RandomRoundTrips) {
  std::mt19937 rng(7);
  for (int round = 0; round < 30; ++round) {
    RecordWriter w;
    RecordReader reader;
    std::vector<Bytes> sent, got;
    int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      size_t size = rng() % 4 == 0 ? 1 + rng() % 200000 : 1 + rng() % 3000;
      sent.push_back(envelope_of(size, static_cast<uint8_t>(rng())));
      ASSERT_TRUE(w.push(sent.back()).ok());
    }
    while (!w.empty()) {
      Bytes p;
      bool rekey = rng() % 5 == 0;
      w.write(p, rekey);
      ASSERT_LE(p.size(), kMaxPlaintext);
      auto r = read_all(reader, p);
      ASSERT_TRUE(r.ok()) << r.error().describe();
      EXPECT_EQ(r->rekey, rekey);
      for (auto& e : r->envelopes) got.push_back(std::move(e));
    }
    EXPECT_EQ(got, sent);
  }
}

TEST(Record, WriterRefusals) {
  RecordWriter w(1000);
  EXPECT_EQ(w.push(Bytes{}).error().code, Errc::invalid_state);
  EXPECT_EQ(w.push(Bytes(1001)).error().code, Errc::payload_too_large);
  EXPECT_TRUE(w.push(Bytes(1000)).ok());
  EXPECT_EQ(w.queued(), 1u);
}

TEST(Record, Rekey) {
  RecordWriter w;
  ASSERT_TRUE(w.push(Bytes{0xc0}).ok());
  Bytes p;
  w.write(p, true);
  EXPECT_EQ(to_hex(p), "010001c0040000");
  RecordReader reader;
  auto r = read_all(reader, p);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rekey);
  ASSERT_EQ(r->envelopes.size(), 1u);

  // A REKEY alone, when nothing is queued.
  Bytes only;
  EXPECT_EQ(w.write(only, true), 3u);
  EXPECT_EQ(to_hex(only), "040000");
  r = read_all(reader, only);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rekey);
  EXPECT_TRUE(r->envelopes.empty());

  // The flag belongs to one plaintext.
  r = read_all(reader, record(0x01, Bytes{0xc0}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->rekey);
}

TEST(Record, RekeyInsideAFragmentedEnvelope) {
  RecordWriter w;
  Bytes big = envelope_of(200000, 5);
  ASSERT_TRUE(w.push(big).ok());
  RecordReader reader;
  std::vector<Bytes> got;
  int messages = 0;
  while (!w.empty()) {
    Bytes p;
    w.write(p, true);
    auto r = read_all(reader, p);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->rekey);
    for (auto& e : r->envelopes) got.push_back(std::move(e));
    ++messages;
  }
  EXPECT_EQ(messages, 4);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], big);
}

// REKEY takes 3 bytes of the plaintext, so an envelope of 65514..65516
// bytes fits in a plaintext but not beside a REKEY. Alone in a plaintext
// that ends with REKEY it is fragmented; deferring it would never end when
// every plaintext ends with REKEY. Behind another record it waits for the
// next plaintext, like any envelope that fits in one.
TEST(Record, EnvelopeThatFitsOnlyWithoutRekey) {
  Bytes big = envelope_of(kMaxUnfragmentedEnvelope - 1, 4);
  RecordWriter w;
  ASSERT_TRUE(w.push(Bytes{0xc0}).ok());
  ASSERT_TRUE(w.push(big).ok());
  Bytes p1, p2, p3;
  w.write(p1, true);
  EXPECT_EQ(p1, cat({record(0x01, Bytes{0xc0}), record(0x04, {})}));
  w.write(p2, true);
  EXPECT_EQ(p2.size(), kMaxPlaintext);
  EXPECT_EQ(p2, cat({first_record(static_cast<uint32_t>(big.size()),
                                  ByteView(big).first(kMaxPlaintext - 10)),
                     record(0x04, {})}));
  w.write(p3, true);
  EXPECT_EQ(p3, cat({record(0x03, ByteView(big).subspan(kMaxPlaintext - 10)), record(0x04, {})}));
  EXPECT_TRUE(w.empty());
  RecordReader reader;
  std::vector<Bytes> got;
  for (const Bytes* p : {&p1, &p2, &p3}) {
    auto r = read_all(reader, *p);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    for (auto& e : r->envelopes) got.push_back(std::move(e));
  }
  EXPECT_EQ(got, (std::vector<Bytes>{Bytes{0xc0}, big}));
}

TEST(Record, ReaderAcceptsFragmentsOfASmallEnvelope) {
  Bytes p = cat({first_record(5, Bytes{1, 2}), record(0x03, Bytes{3}), record(0x03, Bytes{4, 5}),
                 record(0x01, Bytes{6}), first_record(1, Bytes{7})});
  RecordReader reader;
  auto r = read_all(reader, p);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->envelopes.size(), 3u);
  EXPECT_EQ(r->envelopes[0], (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(r->envelopes[1], (Bytes{6}));
  EXPECT_EQ(r->envelopes[2], (Bytes{7}));
}

TEST(Record, OversizedTotalRejectedBeforeAllocation) {
  Bytes p = first_record(kDefaultMaxEnvelope + 1, Bytes{1});
  EXPECT_EQ(read_error(p), Errc::payload_too_large);
  EXPECT_EQ(read_error(first_record(0xffffffff, Bytes{1})), Errc::payload_too_large);
  // Exactly the limit is accepted (and reserves exactly that much).
  RecordReader reader;
  auto r = read_all(reader, first_record(kDefaultMaxEnvelope, Bytes{1}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(reader.buffered(), kDefaultMaxEnvelope);
  // A smaller configured limit, for both record kinds.
  EXPECT_EQ(read_error(first_record(101, Bytes{1}), 100), Errc::payload_too_large);
  EXPECT_EQ(read_error(record(0x01, Bytes(101)), 100), Errc::payload_too_large);
  EXPECT_EQ(read_error(record(0x01, Bytes(100)), 100), Errc::internal);  // accepted
}

TEST(Record, MalformedPlaintexts) {
  const Bytes one{0xc0};
  struct Case {
    const char* name;
    Bytes plaintext;
  } cases[] = {
      {"unknown type", record(0x05, one)},
      {"type zero", record(0x00, one)},
      {"truncated header 1", Bytes{0x01}},
      {"truncated header 2", Bytes{0x01, 0x00}},
      {"header after a record", cat({record(0x01, one), Bytes{0x01, 0x00}})},
      {"truncated body", Bytes{0x01, 0x00, 0x05, 0xc0, 0xc0}},
      {"empty ENVELOPE", record(0x01, Bytes{})},
      {"MORE without FIRST", record(0x03, one)},
      {"ENVELOPE while pending", cat({first_record(3, one), record(0x01, one)})},
      {"FIRST while pending", cat({first_record(3, one), first_record(3, one)})},
      {"FIRST without total", record(0x02, Bytes{0, 0, 1})},
      {"FIRST without chunk", record(0x02, Bytes{0, 0, 0, 1})},
      {"FIRST total zero", first_record(0, one)},
      {"FIRST chunk beyond total", first_record(1, Bytes{1, 2})},
      {"MORE beyond total", cat({first_record(3, one), record(0x03, Bytes{1, 2, 3})})},
      {"empty MORE", cat({first_record(3, one), record(0x03, Bytes{})})},
      {"REKEY with body", record(0x04, one)},
      {"REKEY not last", cat({record(0x04, Bytes{}), record(0x01, one)})},
      {"empty plaintext", Bytes{}},
      {"plaintext too long", cat({record(0x01, Bytes(65000)), record(0x01, Bytes(600))})},
  };
  for (const auto& c : cases) EXPECT_EQ(read_error(c.plaintext), Errc::protocol_error) << c.name;

  RecordReader reader;
  auto r = read_all(reader, record(0x05, one));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown record type 0x05");
}

TEST(Record, MoreWithoutFirstAcrossMessages) {
  RecordReader reader;
  // A completed fragment does not license another MORE.
  ASSERT_TRUE(read_all(reader, first_record(2, Bytes{1})).ok());
  ASSERT_TRUE(read_all(reader, record(0x03, Bytes{2})).ok());
  auto r = read_all(reader, record(0x03, Bytes{3}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::protocol_error);
}

TEST(Record, StaysFailedAndRefusesMisuse) {
  RecordReader reader;
  Bytes two = cat({record(0x01, Bytes{1}), record(0x01, Bytes{2})});
  ASSERT_TRUE(reader.feed(two).ok());
  ASSERT_TRUE(reader.next().ok());
  auto early = reader.feed(two);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, Errc::invalid_state);
  EXPECT_FALSE(reader.failed());
  ASSERT_TRUE(reader.next().ok());
  auto end = reader.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());

  Bytes bad = record(0x09, Bytes{1});
  ASSERT_TRUE(reader.feed(bad).ok());
  EXPECT_FALSE(reader.next().ok());
  EXPECT_EQ(reader.feed(two).error().code, Errc::protocol_error);
  EXPECT_EQ(reader.next().error().code, Errc::protocol_error);
}

}  // namespace
}  // namespace peernet
