#include "json_msgpack.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace peernet::ctl {
namespace {

using json = nlohmann::ordered_json;

Bytes hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b.ok()) << h;
  return b.ok() ? *b : Bytes{};
}

std::string packed_hex(std::string_view json_text) {
  auto b = json_text_to_msgpack(json_text);
  EXPECT_TRUE(b.ok()) << json_text << ": " << (b.ok() ? "" : b.error().message);
  return b.ok() ? to_hex(*b) : "";
}

json unpacked(std::string_view msgpack_hex) {
  auto j = msgpack_to_json(hex(msgpack_hex));
  EXPECT_TRUE(j.ok()) << msgpack_hex << ": " << (j.ok() ? "" : j.error().message);
  return j.ok() ? *j : json("<error>");
}

TEST(JsonToMsgpack, ScalarsUseTheSmallestEncoding) {
  EXPECT_EQ(packed_hex("null"), "c0");
  EXPECT_EQ(packed_hex("true"), "c3");
  EXPECT_EQ(packed_hex("false"), "c2");
  EXPECT_EQ(packed_hex("0"), "00");
  EXPECT_EQ(packed_hex("-1"), "ff");
  EXPECT_EQ(packed_hex("300"), "cd012c");
  EXPECT_EQ(packed_hex("18446744073709551615"), "cfffffffffffffffff");
  EXPECT_EQ(packed_hex("-9223372036854775808"), "d38000000000000000");
  EXPECT_EQ(packed_hex("\"hi\""), "a26869");
  EXPECT_EQ(packed_hex("[]"), "90");
  EXPECT_EQ(packed_hex("{}"), "80");
}

TEST(JsonToMsgpack, AnIntegerStaysAnIntegerAndAFloatAFloat) {
  EXPECT_EQ(packed_hex("1"), "01");
  EXPECT_EQ(packed_hex("1.0"), "cb3ff0000000000000");
  EXPECT_EQ(packed_hex("1.5"), "cb3ff8000000000000");
}

TEST(JsonToMsgpack, ContainersKeepTheirOrderAndKeys) {
  EXPECT_EQ(packed_hex("[1, \"a\", [null]]"), "9301a16191c0");
  EXPECT_EQ(packed_hex("{\"text\": \"hi\"}"), "81a474657874a26869");
  // Keys keep the order they were written in, both ways.
  EXPECT_EQ(packed_hex("{\"b\": 1, \"a\": 2}"), "82a16201a16102");
  EXPECT_EQ(dump_json(unpacked("82a16201a16102")), "{\"b\":1,\"a\":2}");
}

TEST(JsonToMsgpack, BinAndExtObjectsBecomeBinAndExt) {
  EXPECT_EQ(packed_hex(R"({"$bin": "AAEC/w=="})"), "c404000102ff");
  EXPECT_EQ(packed_hex(R"({"$bin": ""})"), "c400");
  EXPECT_EQ(packed_hex(R"({"$ext": 5, "$data": "AQI="})"), "d5050102");
  // Any other key alongside makes it an ordinary map.
  EXPECT_EQ(packed_hex(R"({"$bin": "AA==", "x": 1})"), "82a42462696ea441413d3da17801");
}

TEST(JsonToMsgpack, BadBinAndExtAreUsageErrors) {
  for (const char* text : {R"({"$bin": "!!"})", R"({"$bin": 3})", R"({"$bin": "Zh=="})",
                           R"({"$ext": -1, "$data": ""})", R"({"$ext": 128, "$data": ""})",
                           R"({"$ext": 1, "$data": 7})"}) {
    auto b = json_text_to_msgpack(text);
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_EQ(b.error().code, Errc::bad_request) << text;
  }
}

TEST(JsonToMsgpack, InvalidJsonSaysWhere) {
  auto b = json_text_to_msgpack("{\"a\": tru}");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::bad_request);
  EXPECT_NE(b.error().message.find("invalid JSON"), std::string::npos) << b.error().message;
  EXPECT_NE(b.error().message.find("column"), std::string::npos) << b.error().message;
  EXPECT_EQ(b.error().message.find("json.exception"), std::string::npos) << b.error().message;

  EXPECT_FALSE(json_text_to_msgpack("").ok());
  EXPECT_FALSE(json_text_to_msgpack("1 2").ok());
}

TEST(JsonToMsgpack, NestingIsCappedAt32) {
  std::string ok = std::string(32, '[') + std::string(32, ']');
  std::string deep = std::string(33, '[') + std::string(33, ']');
  EXPECT_TRUE(json_text_to_msgpack(ok).ok());
  auto b = json_text_to_msgpack(deep);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::bad_request);
  EXPECT_NE(b.error().message.find("deeper than 32"), std::string::npos);
  // Hostile depth is stopped while parsing, long before the tree is built.
  EXPECT_FALSE(json_text_to_msgpack(std::string(100000, '[')).ok());
  // A value built in memory is checked too.
  json v = json::array();
  for (int i = 0; i < 40; ++i) v = json::array({v});
  EXPECT_FALSE(json_to_msgpack(v).ok());
}

TEST(MsgpackToJson, Scalars) {
  EXPECT_EQ(unpacked("c0"), json(nullptr));
  EXPECT_EQ(unpacked(""), json(nullptr));  // empty args mean nil
  EXPECT_EQ(unpacked("c3"), json(true));
  EXPECT_EQ(unpacked("cfffffffffffffffff"), json(18446744073709551615ull));
  EXPECT_EQ(unpacked("d38000000000000000"), json(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(unpacked("ca3fc00000"), json(1.5));  // float 32
  EXPECT_EQ(unpacked("a26869"), json("hi"));
}

TEST(MsgpackToJson, NonFiniteFloatsBecomeNull) {
  EXPECT_EQ(unpacked("cb7ff8000000000000"), json(nullptr));  // NaN
  EXPECT_EQ(unpacked("cb7ff0000000000000"), json(nullptr));  // +inf
}

TEST(MsgpackToJson, BinAndExtAreTaggedObjects) {
  EXPECT_EQ(unpacked("c404000102ff"), json({{"$bin", "AAEC/w=="}}));
  EXPECT_EQ(unpacked("d5050102"), json({{"$ext", 5}, {"$data", "AQI="}}));
}

TEST(MsgpackToJson, NonStringKeysBecomeTheirJsonText) {
  // {1: "a", nil: 2, [1, 2]: 3, true: 4}
  EXPECT_EQ(unpacked("8401a161c002920102" "03c304"),
            json({{"1", "a"}, {"null", 2}, {"[1,2]", 3}, {"true", 4}}));
  // {1: "a", "1": "b"}: both are "1"; the first wins.
  EXPECT_EQ(unpacked("8201a161a131a162"), json({{"1", "a"}}));
}

TEST(MsgpackToJson, InvalidUtf8IsReplacedWhenPrinted) {
  json j = unpacked("a2ff41");
  EXPECT_EQ(dump_json(j), "\"\xEF\xBF\xBD" "A\"");
}

TEST(MsgpackToJson, RefusesWhatIsNotExactlyOneObject) {
  for (const char* h : {"0101", "92", "c1", "a3616263ff"}) {
    auto j = msgpack_to_json(hex(h));
    ASSERT_FALSE(j.ok()) << h;
    EXPECT_EQ(j.error().code, Errc::protocol_error) << h;
  }
}

TEST(MsgpackToJson, NestingIsCappedAt32) {
  std::string ok, deep;
  for (int i = 0; i < 31; ++i) ok += "91";
  ok += "90";
  for (int i = 0; i < 32; ++i) deep += "91";
  deep += "90";
  EXPECT_TRUE(msgpack_to_json(hex(ok)).ok());
  EXPECT_FALSE(msgpack_to_json(hex(deep)).ok());
}

TEST(JsonMsgpack, RoundTripsThroughBothDirections) {
  const char* text =
      R"({"a":[1,-2,3.25,"x",null,true],"b":{"$bin":"3q2+7w=="},"c":{"nested":{"deep":[[]]}},)"
      R"("d":{"$ext":1,"$data":"AA=="},"e":"üñí"})";
  json original = json::parse(text);
  auto packed = json_to_msgpack(original);
  ASSERT_TRUE(packed.ok());
  auto back = msgpack_to_json(*packed);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, original);
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},     {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), encoded);
    auto d = base64_decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(as_chars(*d), plain);
  }
}

TEST(Base64, DecodingTakesMissingPaddingAndRefusesJunk) {
  auto d = base64_decode("Zm8");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(as_chars(*d), "fo");
  EXPECT_FALSE(base64_decode("Z").ok());       // impossible length
  EXPECT_FALSE(base64_decode("Zm9v!").ok());   // not in the alphabet
  EXPECT_FALSE(base64_decode("Zh==").ok());    // non-zero padding bits
  EXPECT_FALSE(base64_decode("Zm 9v").ok());   // no whitespace inside
}

}  // namespace
}  // namespace peernet::ctl
