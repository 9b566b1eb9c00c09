#include "proto/link/hello.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// Builds a map from (key, already-encoded value) pairs.
Bytes map_of(std::vector<std::pair<std::string, Bytes>> entries) {
  Bytes out;
  MsgpackWriter w(out);
  w.map(static_cast<uint32_t>(entries.size()));
  for (auto& [k, v] : entries) {
    w.str(k);
    w.raw(v);
  }
  return out;
}
Bytes uint_of(uint64_t v) {
  Bytes out;
  MsgpackWriter(out).uint(v);
  return out;
}
Bytes caps_of(std::vector<std::string> caps) {
  Bytes out;
  MsgpackWriter w(out);
  w.array(static_cast<uint32_t>(caps.size()));
  for (auto& c : caps) w.str(c);
  return out;
}

Errc error_of(ByteView payload) {
  auto r = decode_hello(payload);
  return r.ok() ? Errc::internal : r.error().code;
}

TEST(Hello, RoundTrip) {
  for (const Hello& h :
       {Hello{}, Hello{4242, {"exec", "compress.zstd"}, std::nullopt, std::nullopt}, Hello{65535, {std::string(64, 'c')}, std::nullopt, std::nullopt}}) {
    auto back = decode_hello(encode_hello(h));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(*back, h);
  }
}

TEST(Hello, ExactEncoding) {
  EXPECT_EQ(to_hex(encode_hello(Hello{80, {"a"}, std::nullopt, std::nullopt})), "83a17601a4706f727450a46361707391a161");
}

// The maximum envelope a peer accepts: optional (older peers send none),
// written after caps and before pair, and bounded.
TEST(Hello, MaxEnvelope) {
  Hello h{7469, {}, std::string("417"), 65536};
  auto back = decode_hello(encode_hello(h));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, h);
  EXPECT_EQ(to_hex(encode_hello(Hello{80, {"a"}, std::nullopt, 1024})),
            "84a17601a4706f727450a46361707391a161ac6d61785f656e76656c6f7065cd0400");
  EXPECT_FALSE(decode_hello(encode_hello(Hello{80, {}, std::nullopt, std::nullopt})).value().max_envelope);
  auto with = [](Bytes max) {
    return map_of({{"v", uint_of(1)}, {"port", uint_of(1)}, {"caps", caps_of({})}, {"max_envelope", std::move(max)}});
  };
  EXPECT_EQ(error_of(with(uint_of(1023))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(uint_of((uint64_t{1} << 32) + 1))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(hex("a131"))), Errc::protocol_error);
  EXPECT_EQ(decode_hello(with(uint_of(1024))).value().max_envelope, 1024u);
}

TEST(Hello, KeyOrderDoesNotMatterAndUnknownKeysAreIgnored) {
  Bytes p = map_of({{"caps", caps_of({"x"})},
                    {"future", hex("82a161c0a162c3")},
                    {"port", uint_of(9)},
                    {"v", uint_of(1)},
                    {"zz", hex("c0")}});
  auto h = decode_hello(p);
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_EQ(h->port, 9);
  EXPECT_EQ(h->caps, std::vector<std::string>{"x"});
}

TEST(Hello, Version) {
  EXPECT_EQ(error_of(map_of({{"port", uint_of(1)}, {"caps", caps_of({})}})), Errc::protocol_error);
  // Another version is unsupported, whatever else the map holds.
  EXPECT_EQ(error_of(map_of({{"v", uint_of(2)}})), Errc::unsupported);
  EXPECT_EQ(error_of(map_of({{"port", hex("a178")}, {"v", uint_of(0)}})), Errc::unsupported);
  EXPECT_EQ(error_of(map_of({{"v", hex("a131")}, {"port", uint_of(1)}, {"caps", caps_of({})}})),
            Errc::protocol_error);
  EXPECT_EQ(error_of(map_of({{"v", hex("ff")}, {"port", uint_of(1)}, {"caps", caps_of({})}})),
            Errc::protocol_error);
}

TEST(Hello, FieldErrors) {
  auto with = [](Bytes port, Bytes caps) {
    return map_of({{"v", uint_of(1)}, {"port", std::move(port)}, {"caps", std::move(caps)}});
  };
  EXPECT_EQ(error_of(with(uint_of(65536), caps_of({}))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(hex("ff"), caps_of({}))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(hex("c0"), caps_of({}))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(uint_of(1), hex("c0"))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(uint_of(1), hex("9101"))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(uint_of(1), caps_of({""}))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(uint_of(1), caps_of({std::string(65, 'c')}))), Errc::protocol_error);
  EXPECT_EQ(error_of(with(uint_of(1), caps_of(std::vector<std::string>(33, "c")))),
            Errc::protocol_error);
  EXPECT_TRUE(decode_hello(with(uint_of(1), caps_of(std::vector<std::string>(32, "c")))).ok());
  // Missing keys.
  EXPECT_EQ(error_of(map_of({{"v", uint_of(1)}, {"caps", caps_of({})}})), Errc::protocol_error);
  EXPECT_EQ(error_of(map_of({{"v", uint_of(1)}, {"port", uint_of(1)}})), Errc::protocol_error);
}

TEST(Hello, StructureErrors) {
  Bytes good = encode_hello(Hello{1, {"a"}, std::nullopt, std::nullopt});
  EXPECT_EQ(error_of({}), Errc::protocol_error);  // message 1's empty payload is not a Hello
  EXPECT_EQ(error_of(hex("93010203")), Errc::protocol_error);
  // Trailing bytes.
  Bytes trailing = good;
  trailing.push_back(0xc0);
  EXPECT_EQ(error_of(trailing), Errc::protocol_error);
  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(error_of(ByteView(good).first(n)), Errc::protocol_error) << n;
  // A non-string key.
  EXPECT_EQ(error_of(hex("8401c0a17601a4706f727401a46361707390")), Errc::protocol_error);
  // A duplicate known key.
  EXPECT_EQ(
      error_of(map_of(
          {{"v", uint_of(1)}, {"v", uint_of(1)}, {"port", uint_of(1)}, {"caps", caps_of({})}})),
      Errc::protocol_error);
}

TEST(Hello, UnknownValuesAreStillBounded) {
  std::vector<std::pair<std::string, Bytes>> entries = {
      {"v", uint_of(1)}, {"port", uint_of(1)}, {"caps", caps_of({})}};
  Bytes deep(40, 0x91);
  deep.push_back(0xc0);
  entries.push_back({"x", deep});
  EXPECT_EQ(error_of(map_of(entries)), Errc::protocol_error);
  entries.pop_back();
  entries.push_back({"x", hex("dbffffffff")});
  EXPECT_EQ(error_of(map_of(entries)), Errc::protocol_error);
  entries.pop_back();
  for (int i = 0; i < 62; ++i) entries.push_back({"k" + std::to_string(i), hex("c0")});
  EXPECT_EQ(error_of(map_of(entries)), Errc::protocol_error);  // 65 entries
  entries.pop_back();
  EXPECT_TRUE(decode_hello(map_of(entries)).ok());  // 64
}

}  // namespace
}  // namespace peernet

namespace peernet {
namespace {

// A pairing handshake's hello carries the nameplate last (protocol.md §10.2).
TEST(Hello, PairingNameplate) {
  Hello h{7469, {}, std::string("417"), std::nullopt};
  Bytes b = encode_hello(h);
  EXPECT_EQ(to_hex(b), "84a17601a4706f7274cd1d2da46361707390a470616972a3343137");
  auto back = decode_hello(b);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, h);
  EXPECT_EQ(error_of(map_of({{"v", uint_of(1)}, {"port", uint_of(1)}, {"caps", caps_of({})},
                             {"pair", uint_of(417)}})),
            Errc::protocol_error);
  Hello bad{1, {}, std::string("41x"), std::nullopt};
  EXPECT_EQ(error_of(encode_hello(bad)), Errc::protocol_error);
}

}  // namespace
}  // namespace peernet
