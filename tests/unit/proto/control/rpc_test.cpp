#include "proto/control/rpc.hpp"

#include <gtest/gtest.h>

#include <random>

namespace peernet {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// What next() produced: a message, or an error with whether it was fatal.
struct Event {
  std::optional<RpcMessage> message;
  std::optional<Errc> error;
  bool fatal = false;
  std::optional<uint32_t> bad_msgid;
  bool operator==(const Event&) const = default;
};

// Feeds `stream` cut at `cuts` (sorted) and drains after every feed.
std::vector<Event> run(const Bytes& stream, const std::vector<size_t>& cuts,
                       RpcDecoder dec = RpcDecoder(), size_t* max_buffered = nullptr) {
  std::vector<Event> events;
  size_t start = 0;
  auto drain = [&](size_t end) {
    if (dec.failed()) return;
    EXPECT_TRUE(dec.feed(ByteView(stream).subspan(start, end - start)).ok());
    for (int guard = 0; guard < 100000; ++guard) {
      auto m = dec.next();
      if (max_buffered) *max_buffered = std::max(*max_buffered, dec.buffered());
      if (!m.ok()) {
        events.push_back({std::nullopt, m.error().code, dec.failed(), dec.bad_msgid()});
        if (dec.failed()) return;
        continue;
      }
      if (!*m) return;
      events.push_back({std::move(**m), std::nullopt, false, std::nullopt});
    }
    ADD_FAILURE() << "runaway";
  };
  for (size_t cut : cuts) {
    drain(cut);
    start = cut;
  }
  drain(stream.size());
  return events;
}

std::vector<RpcMessage> sample_messages() {
  return {
      RpcRequest{1, "peer.call", hex("93a3616263c403010203cd1000")},
      RpcResponse{1, hex("c0"), hex("82a16101a162c2")},
      RpcNotification{"event.peer_up", hex("91a3616263")},
      RpcRequest{UINT32_MAX, "x", hex("90")},
      RpcResponse{0, hex("92a774696d656f7574a46c617465"), hex("c0")},
  };
}

Bytes encode_all(const std::vector<RpcMessage>& ms) {
  Bytes out;
  for (const auto& m : ms) encode_to(out, m);
  return out;
}

std::vector<Event> as_events(const std::vector<RpcMessage>& ms) {
  std::vector<Event> out;
  for (const auto& m : ms) out.push_back({m, std::nullopt, false, std::nullopt});
  return out;
}

TEST(Rpc, EncodeDecodeRoundTrip) {
  for (const auto& m : sample_messages()) {
    auto back = decode_rpc(encode(m));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(*back, m);
  }
}

TEST(Rpc, ExactEncodings) {
  EXPECT_EQ(to_hex(encode(RpcRequest{5, "id", {}})), "940005a2696490");
  EXPECT_EQ(to_hex(encode(RpcResponse{5, {}, {}})), "940105c0c0");
  EXPECT_EQ(to_hex(encode(RpcNotification{"e", hex("9101")})), "9302a1659101");
  EXPECT_FALSE((RpcResponse{5, hex("c0"), {}}.is_error()));
  EXPECT_FALSE((RpcResponse{5, {}, {}}.is_error()));
  EXPECT_TRUE((RpcResponse{5, hex("a178"), {}}.is_error()));
}

TEST(Rpc, DecodeErrorsAreBadRequest) {
  for (const char* h :
       {"", "c1", "05", "90", "9103", "940305a16190", "930005a161", "950005a16190c0", "940005a261",
        "9400cf0000000100000000a16190", "9400ffa16190", "940005a16101", "9400050190", "940005a090",
        "9302a16101", "9401c0c0c0", "940005a16190c0", "9302c4016590"}) {
    auto r = decode_rpc(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::bad_request) << h;
  }
  auto r = decode_rpc(hex("940005a16101"));
  EXPECT_NE(r.error().message.find("request params: expected an array, found an integer"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(decode_rpc(hex("9103")).error().message.find("unknown message type 3"),
            std::string::npos);
  // A method of 257 bytes.
  EXPECT_EQ(decode_rpc(encode(RpcNotification{std::string(257, 'm'), {}})).error().code,
            Errc::bad_request);
  EXPECT_TRUE(decode_rpc(encode(RpcNotification{std::string(256, 'm'), {}})).ok());
}

TEST(Rpc, StreamByteAtATime) {
  auto ms = sample_messages();
  Bytes stream = encode_all(ms);
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(run(stream, cuts), as_events(ms));
}

TEST(Rpc, StreamEverySplitPair) {
  auto ms = sample_messages();
  Bytes stream = encode_all(ms);
  for (size_t i = 0; i <= stream.size(); i += 1)
    for (size_t j = i; j <= stream.size(); j += 3)
      ASSERT_EQ(run(stream, {i, j}), as_events(ms)) << i << "," << j;
}

TEST(Rpc, StreamRandomSplitsWithLargeMessages) {
  std::vector<RpcMessage> ms = sample_messages();
  Bytes blob(300000, 0x5a);
  // [bin(300000), [0..127, 0..127, ...] of 1000 elements]
  Bytes big_params = {0x92, 0xc6};
  Bytes len(4);
  put_u32be(len.data(), static_cast<uint32_t>(blob.size()));
  big_params.insert(big_params.end(), len.begin(), len.end());
  big_params.insert(big_params.end(), blob.begin(), blob.end());
  big_params.insert(big_params.end(), {0xdc, 0x03, 0xe8});
  for (int i = 0; i < 1000; ++i) big_params.push_back(static_cast<uint8_t>(i % 128));
  ms.insert(ms.begin() + 2, RpcRequest{77, "big", big_params});
  ms.push_back(RpcNotification{"tail", big_params});
  Bytes stream = encode_all(ms);
  std::mt19937 rng(99);
  for (int round = 0; round < 40; ++round) {
    std::vector<size_t> cuts;
    int n = static_cast<int>(rng() % 50);
    for (int k = 0; k < n; ++k) cuts.push_back(rng() % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    size_t max_buffered = 0;
    ASSERT_EQ(run(stream, cuts, RpcDecoder(), &max_buffered), as_events(ms));
    EXPECT_LT(max_buffered, 400000u);  // never more than one message
  }
}

TEST(Rpc, RecoverableErrorsKeepTheStreamInSync) {
  Bytes good1 = encode(RpcRequest{1, "a", {}});
  Bytes good2 = encode(RpcNotification{"b", {}});
  Bytes deep(100000, 0x91);
  deep.push_back(0xc0);
  Bytes deep_params = cat({hex("940009a178"), deep});
  Bytes stream = cat({good1,
                      hex("9400cd0102a16101"),  // request 258 with params 1: answerable
                      hex("05"),                // not an array
                      hex("9303a16190"),        // unknown type
                      hex("930005a161"),        // request of 3 elements
                      hex("9302c090"),          // method nil
                      deep_params,              // params 100000 deep
                      good2});
  auto events = run(stream, {});
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].message, (RpcMessage{RpcRequest{1, "a", hex("90")}}));
  for (size_t i = 1; i <= 6; ++i) {
    EXPECT_EQ(events[i].error, Errc::bad_request) << i;
    EXPECT_FALSE(events[i].fatal) << i;
  }
  EXPECT_EQ(events[1].bad_msgid, 258u);
  EXPECT_EQ(events[2].bad_msgid, std::nullopt);
  EXPECT_EQ(events[6].bad_msgid, 9u);
  EXPECT_EQ(events[7].message, (RpcMessage{RpcNotification{"b", hex("90")}}));
  // The same, byte at a time.
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(run(stream, cuts), events);
}

TEST(Rpc, InvalidBytesAreFatal) {
  Bytes stream =
      cat({encode(RpcRequest{1, "a", {}}), hex("9400c1"), encode(RpcRequest{2, "b", {}})});
  auto events = run(stream, {});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].message.has_value());
  EXPECT_EQ(events[1].error, Errc::protocol_error);
  EXPECT_TRUE(events[1].fatal);

  RpcDecoder dec;
  Bytes bad = hex("c1");
  ASSERT_TRUE(dec.feed(bad).ok());
  auto r = dec.next();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0xc1 at offset 0"), std::string::npos) << r.error().message;
  EXPECT_EQ(dec.next().error().code, Errc::protocol_error);  // stays failed
  EXPECT_EQ(dec.feed(bad).error().code, Errc::protocol_error);
  EXPECT_EQ(dec.buffered(), 0u);
}

TEST(Rpc, OversizedIsRefusedBeforeBuffering) {
  const size_t cap = 1024;
  // A 2000-byte message fed byte by byte: refused when the 1025th byte comes.
  Bytes big = encode(RpcNotification{"n", cat({hex("91c5076c"), Bytes(1900, 1)})});
  ASSERT_GT(big.size(), cap);
  {
    RpcDecoder dec(cap);
    size_t i = 0;
    Result<std::optional<RpcMessage>> r = std::optional<RpcMessage>{};
    for (; i < big.size(); ++i) {
      ASSERT_TRUE(dec.feed(ByteView(big).subspan(i, 1)).ok());
      r = dec.next();
      EXPECT_LE(dec.buffered(), cap);
      if (!r.ok()) break;
    }
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::payload_too_large);
    EXPECT_TRUE(dec.failed());
    // The bin16 header declares 1900 bytes: refused as soon as it is read.
    EXPECT_EQ(i, 7u);
  }
  // Declared sizes alone: str32 of 4 GiB, array32 of 4 G elements.
  for (const char* h : {"9302a16191dbffffffff", "9302a161ddffffffff", "dfffffffff"}) {
    RpcDecoder dec(cap);
    Bytes b = hex(h);
    ASSERT_TRUE(dec.feed(b).ok());
    auto r = dec.next();
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::payload_too_large) << h;
    EXPECT_EQ(dec.buffered(), 0u);
  }
  // A complete oversized message inside one chunk.
  {
    RpcDecoder dec(cap);
    ASSERT_TRUE(dec.feed(big).ok());
    EXPECT_EQ(dec.next().error().code, Errc::payload_too_large);
  }
  // Exactly the cap is fine.
  {
    // 93 02 a1 6e | 91 | c5 03f8 | 1016 bytes
    Bytes fixed = encode(RpcNotification{"n", cat({hex("91c503f8"), Bytes(1016, 7)})});
    ASSERT_EQ(fixed.size(), cap);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < fixed.size(); ++i) cuts.push_back(i);
    auto events = run(fixed, cuts, RpcDecoder(cap));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(events[0].message.has_value());
  }
}

TEST(Rpc, CustomLimitsApplyToParams) {
  MsgpackLimits few;
  few.max_objects = 3;
  Bytes stream = cat(
      {encode(RpcNotification{"a", hex("9401020304")}), encode(RpcNotification{"b", hex("9101")})});
  auto events = run(stream, {}, RpcDecoder(kDefaultMaxRpcMessage, few));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].error, Errc::bad_request);
  EXPECT_TRUE(events[1].message.has_value());
}

TEST(Rpc, FeedBeforeDrainedIsMisuse) {
  Bytes two = cat({encode(RpcNotification{"a", {}}), encode(RpcNotification{"b", {}})});
  RpcDecoder dec;
  ASSERT_TRUE(dec.feed(two).ok());
  ASSERT_TRUE(dec.next().ok());
  EXPECT_EQ(dec.feed(two).error().code, Errc::invalid_state);
  EXPECT_FALSE(dec.failed());
  auto second = dec.next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(std::get<RpcNotification>(**second).method, "b");
}

}  // namespace
}  // namespace peernet
