#include "proto/link/frame.hpp"

#include <gtest/gtest.h>

#include <random>

namespace peernet {
namespace {

Bytes body_of(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// A stream of frames with these body sizes, and the bodies.
struct Stream {
  Bytes bytes;
  std::vector<Bytes> bodies;
};
Stream make_stream(std::initializer_list<size_t> sizes) {
  Stream s;
  uint8_t seed = 1;
  for (size_t n : sizes) {
    s.bodies.push_back(body_of(n, seed++));
    EXPECT_TRUE(append_frame(s.bytes, s.bodies.back()).ok());
  }
  return s;
}

// Feeds `stream` cut at the given offsets (sorted) and collects the bodies.
Result<std::vector<Bytes>> decode_split(const Bytes& stream, const std::vector<size_t>& cuts,
                                        size_t* max_buffered = nullptr) {
  FrameDecoder dec;
  std::vector<Bytes> out;
  size_t start = 0;
  auto run = [&](size_t end) -> Status {
    PEERNET_TRY_VOID(dec.feed(ByteView(stream).subspan(start, end - start)));
    for (int guard = 0; guard < 1000000; ++guard) {
      PEERNET_TRY(auto body, dec.next());
      if (max_buffered) *max_buffered = std::max(*max_buffered, dec.buffered());
      if (!body) return {};
      out.emplace_back(body->begin(), body->end());
    }
    return make_error(Errc::internal, "runaway");
  };
  for (size_t cut : cuts) {
    PEERNET_TRY_VOID(run(cut));
    start = cut;
  }
  PEERNET_TRY_VOID(run(stream.size()));
  return out;
}

TEST(Frame, HeaderHelpers) {
  uint8_t h[4];
  ASSERT_TRUE(put_frame_header(h, 0x0102).ok());
  EXPECT_EQ(to_hex(h), "00000102");
  ASSERT_TRUE(put_frame_header(h, 65535).ok());
  EXPECT_EQ(to_hex(h), "0000ffff");
  EXPECT_EQ(put_frame_header(h, 0).error().code, Errc::payload_too_large);
  EXPECT_EQ(put_frame_header(h, 65536).error().code, Errc::payload_too_large);
  uint8_t small[3];
  EXPECT_EQ(put_frame_header(small, 5).error().code, Errc::invalid_state);

  Bytes out{0xaa};
  ASSERT_TRUE(append_frame(out, Bytes{1, 2, 3}).ok());
  EXPECT_EQ(to_hex(out), "aa00000003010203");
  EXPECT_FALSE(append_frame(out, Bytes{}).ok());
  EXPECT_FALSE(append_frame(out, Bytes(65536)).ok());
  EXPECT_EQ(out.size(), 8u);  // a refused frame appends nothing
}

TEST(Frame, WholeFramesAreNotCopied) {
  Stream s = make_stream({5, 300, 1});
  FrameDecoder dec;
  ASSERT_TRUE(dec.feed(s.bytes).ok());
  for (size_t i = 0; i < 3; ++i) {
    auto body = dec.next();
    ASSERT_TRUE(body.ok());
    ASSERT_TRUE(body->has_value());
    EXPECT_EQ(Bytes((*body)->begin(), (*body)->end()), s.bodies[i]);
    // The view points into the fed chunk.
    EXPECT_GE((*body)->data(), s.bytes.data());
    EXPECT_LT((*body)->data(), s.bytes.data() + s.bytes.size());
  }
  auto end = dec.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(dec.buffered(), 0u);
}

TEST(Frame, ByteAtATime) {
  Stream s = make_stream({1, 2, 65535, 300, 4});
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.bytes.size(); ++i) cuts.push_back(i);
  size_t max_buffered = 0;
  auto got = decode_split(s.bytes, cuts, &max_buffered);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(*got, s.bodies);
  EXPECT_LE(max_buffered, kFrameHeaderSize + kMaxFrameBody);
}

TEST(Frame, EverySplitPoint) {
  Stream s = make_stream({3, 1, 10, 2});
  for (size_t i = 0; i <= s.bytes.size(); ++i) {
    for (size_t j = i; j <= s.bytes.size(); ++j) {
      auto got = decode_split(s.bytes, {i, j});
      ASSERT_TRUE(got.ok()) << i << "," << j;
      EXPECT_EQ(*got, s.bodies) << i << "," << j;
    }
  }
}

TEST(Frame, RandomSplits) {
  Stream s = make_stream({65535, 1, 40000, 17, 2, 65535, 9});
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> cuts;
    int n = static_cast<int>(rng() % 20);
    for (int k = 0; k < n; ++k) cuts.push_back(rng() % (s.bytes.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    size_t max_buffered = 0;
    auto got = decode_split(s.bytes, cuts, &max_buffered);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, s.bodies);
    EXPECT_LE(max_buffered, kFrameHeaderSize + kMaxFrameBody);
  }
}

void expect_rejected_header(const Bytes& header) {
  // Whole header at once, nothing of the body.
  {
    FrameDecoder dec;
    ASSERT_TRUE(dec.feed(header).ok());
    auto r = dec.next();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::protocol_error);
    EXPECT_EQ(dec.buffered(), 0u);
    EXPECT_TRUE(dec.failed());
  }
  // Header split across feeds: the error comes with the fourth byte.
  {
    FrameDecoder dec;
    for (size_t i = 0; i < 3; ++i) {
      ASSERT_TRUE(dec.feed(ByteView(header).subspan(i, 1)).ok());
      auto r = dec.next();
      ASSERT_TRUE(r.ok());
      EXPECT_FALSE(r->has_value());
    }
    EXPECT_EQ(dec.buffered(), 3u);
    ASSERT_TRUE(dec.feed(ByteView(header).subspan(3, 1)).ok());
    auto r = dec.next();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::protocol_error);
    EXPECT_EQ(dec.buffered(), 0u);
  }
}

TEST(Frame, BadLengthsRejectedBeforeTheBody) {
  expect_rejected_header(from_hex("00000000").value());
  expect_rejected_header(from_hex("00010000").value());  // 65536
  expect_rejected_header(from_hex("ffffffff").value());
  expect_rejected_header(from_hex("80000001").value());
}

TEST(Frame, StaysFailed) {
  FrameDecoder dec;
  Bytes bad = from_hex("0001000000").value();
  ASSERT_TRUE(dec.feed(bad).ok());
  EXPECT_FALSE(dec.next().ok());
  Bytes good = make_stream({3}).bytes;
  auto f = dec.feed(good);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::protocol_error);
  auto n = dec.next();
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::protocol_error);
}

TEST(Frame, FeedBeforeDrainedIsMisuse) {
  Stream s = make_stream({3, 3});
  FrameDecoder dec;
  ASSERT_TRUE(dec.feed(s.bytes).ok());
  ASSERT_TRUE(dec.next().ok());  // first frame; the second is still unread
  auto f = dec.feed(s.bytes);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::invalid_state);
  EXPECT_FALSE(dec.failed());
  auto second = dec.next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(Bytes((*second)->begin(), (*second)->end()), s.bodies[1]);
}

TEST(Frame, StraddlingFrameComesFromTheDecodersBuffer) {
  Stream s = make_stream({10});
  FrameDecoder dec;
  ASSERT_TRUE(dec.feed(ByteView(s.bytes).first(6)).ok());
  auto r = dec.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(dec.buffered(), 6u);
  Bytes rest(s.bytes.begin() + 6, s.bytes.end());
  ASSERT_TRUE(dec.feed(rest).ok());
  r = dec.next();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(Bytes((*r)->begin(), (*r)->end()), s.bodies[0]);
  r = dec.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(dec.buffered(), 0u);
}

TEST(Frame, EmptyFeedIsHarmless) {
  FrameDecoder dec;
  ASSERT_TRUE(dec.feed({}).ok());
  auto r = dec.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

}  // namespace
}  // namespace peernet
