// JSON <-> msgpack for command handles, in the mapping peernetctl uses.
#include "json_from_msgpack.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

std::string json(const Bytes& mp) {
  auto j = json_from_msgpack(mp);
  EXPECT_TRUE(j.ok()) << j.error().describe();
  return j.ok() ? *j : "";
}

Bytes mp(std::string_view text) {
  auto b = msgpack_from_json(text);
  EXPECT_TRUE(b.ok()) << text << ": " << b.error().describe();
  return b.ok() ? *b : Bytes{};
}

TEST(JsonFromMsgpack, Scalars) {
  EXPECT_EQ(json({}), "null");  // empty args are nil
  EXPECT_EQ(json({0xc0}), "null");
  EXPECT_EQ(json({0xc3}), "true");
  EXPECT_EQ(json({0x7f}), "127");
  EXPECT_EQ(json({0xd0, 0x80}), "-128");
  EXPECT_EQ(json({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "18446744073709551615");
  EXPECT_EQ(json({0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}), "1.5");
  EXPECT_EQ(json({0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}), "null");  // NaN
  EXPECT_EQ(json({0xa2, 'h', 'i'}), "\"hi\"");
  EXPECT_EQ(json({0xa2, 0xff, 'i'}), "\"\xef\xbf\xbdi\"");  // invalid UTF-8 replaced
}

TEST(JsonFromMsgpack, BinExtAndMaps) {
  EXPECT_EQ(json({0xc4, 0x03, 0x00, 0x01, 0xfe}), R"({"$bin":"AAH+"})");
  EXPECT_EQ(json({0xd4, 0x05, 0x2a}), R"({"$data":"Kg==","$ext":5})");
  // Keys that are not strings become their JSON text; the first of equal keys wins.
  EXPECT_EQ(json({0x83, 0x01, 0xa1, 'a', 0xa1, '1', 0xa1, 'b', 0xc0, 0x90}), R"({"1":"a","null":[]})");
  EXPECT_EQ(json({0x92, 0x80, 0x91, 0xc2}), "[{},[false]]");
}

TEST(JsonFromMsgpack, RefusesWhatIsNotOneObject) {
  EXPECT_EQ(json_from_msgpack(Bytes{0xc0, 0xc0}).error().code, Errc::bad_request);
  EXPECT_EQ(json_from_msgpack(Bytes{0x92, 0x01}).error().code, Errc::bad_request);
  EXPECT_EQ(json_from_msgpack(Bytes{0xc1}).error().code, Errc::bad_request);
}

TEST(MsgpackFromJson, RoundTrips) {
  for (std::string_view text :
       {R"(null)", R"(true)", R"(-5)", R"(18446744073709551615)", R"(2.5)", "\"x\xc3\xa9\"", R"([1,[2,[3]]])",
        R"({"a":1,"b":{"c":[]}})", R"({"$bin":"AAH+"})", R"({"$data":"Kg==","$ext":5})", R"({"$bin":1,"x":2})"})
    EXPECT_EQ(json(mp(text)), text);
  EXPECT_EQ(mp("  7 \n"), Bytes{0x07});
  EXPECT_EQ(mp(R"("\u00e9")"), (Bytes{0xa2, 0xc3, 0xa9}));
  EXPECT_EQ(mp(R"({"$bin":"AAH+"})"), (Bytes{0xc4, 0x03, 0x00, 0x01, 0xfe}));
}

TEST(MsgpackFromJson, RefusesBadInput) {
  EXPECT_EQ(msgpack_from_json("").error().code, Errc::bad_request);
  EXPECT_EQ(msgpack_from_json("hello").error().code, Errc::bad_request);
  EXPECT_EQ(msgpack_from_json("[1, 2").error().code, Errc::bad_request);
  EXPECT_EQ(msgpack_from_json("1 2").error().code, Errc::bad_request);
  EXPECT_EQ(msgpack_from_json(R"({"$bin": "!!"})").error().code, Errc::bad_request);
  EXPECT_EQ(msgpack_from_json(R"({"$ext": 300, "$data": ""})").error().code, Errc::bad_request);
  std::string deep32(32, '['), deep33(33, '[');
  deep32 += std::string(32, ']');
  deep33 += std::string(33, ']');
  EXPECT_TRUE(msgpack_from_json(deep32).ok());
  auto e = msgpack_from_json(deep33);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "JSON nested deeper than 32 levels");
  // Deep enough to overflow a recursive parser's stack: refused, not a crash.
  EXPECT_FALSE(msgpack_from_json(std::string(1 << 20, '[')).ok());
}

}  // namespace
}  // namespace peernet
