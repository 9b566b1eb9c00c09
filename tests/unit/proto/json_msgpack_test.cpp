// The JSON <-> msgpack mapping of peernetctl and command handles
// (json/json_msgpack.hpp).
#include "json/json_msgpack.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace peernet {
namespace {

using json = nlohmann::ordered_json;

Bytes hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b.ok()) << h;
  return b.ok() ? *b : Bytes{};
}

// msgpack -> one line of JSON text, as a command handle's stdin gets it.
std::string text_of(const Bytes& mp) {
  auto j = msgpack_to_json(mp);
  EXPECT_TRUE(j.ok()) << to_hex(mp) << ": " << (j.ok() ? "" : j.error().message);
  return j.ok() ? dump_json(*j) : "";
}

Bytes msgpack_of(std::string_view json_text) {
  auto b = json_text_to_msgpack(json_text);
  EXPECT_TRUE(b.ok()) << json_text << ": " << (b.ok() ? "" : b.error().message);
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
  EXPECT_EQ(msgpack_of("  7 \n"), Bytes{0x07});  // whitespace around is fine
  EXPECT_EQ(msgpack_of(R"("\u00e9")"), (Bytes{0xa2, 0xc3, 0xa9}));
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
  // A key written twice keeps its first place and its last value.
  EXPECT_EQ(packed_hex(R"({"a": 1, "b": 2, "a": 3})"), "82a16103a16202");
}

TEST(JsonToMsgpack, LargeObjectsKeepTheirOrder) {
  // As many keys as the protocol allows in one map, both ways; building the
  // objects must not scan the keys before each one.
  constexpr int kKeys = 65536;
  std::string text = "{";
  for (int i = kKeys - 1; i >= 0; --i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + (i ? "," : "}");
  auto b = json_text_to_msgpack(text);
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto j = msgpack_to_json(*b);
  ASSERT_TRUE(j.ok()) << j.error().message;
  ASSERT_EQ(j->size(), size_t{kKeys});
  EXPECT_EQ(j->begin().key(), "k65535");
  EXPECT_EQ(dump_json(*j), text);
}

TEST(JsonToMsgpack, BinAndExtObjectsBecomeBinAndExt) {
  EXPECT_EQ(packed_hex(R"({"$bin": "AAEC/w=="})"), "c404000102ff");
  EXPECT_EQ(packed_hex(R"({"$bin": ""})"), "c400");
  EXPECT_EQ(packed_hex(R"({"$ext": 5, "$data": "AQI="})"), "d5050102");
  // Any other key alongside makes it an ordinary map.
  EXPECT_EQ(packed_hex(R"({"$bin": "AA==", "x": 1})"), "82a42462696ea441413d3da17801");
  // A timestamp (type -1) is an ext the protocol takes when well-formed.
  EXPECT_EQ(packed_hex(R"({"$ext": -1, "$data": "AAAAAQ=="})"), "d6ff00000001");
}

TEST(JsonToMsgpack, ResultsBeyondTheProtocolsLimitsAreRefused) {
  for (const char* text : {R"({"$ext": -5, "$data": "AA=="})",  // reserved by the msgpack spec
                           R"({"$ext": -1, "$data": "AAA="})"}) {  // not a timestamp
    auto b = json_text_to_msgpack(text);
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_EQ(b.error().code, Errc::bad_request) << text;
  }
  // One more element than a container may hold.
  std::string text = "[0";
  for (int i = 0; i < 65536; ++i) text += ",0";
  text += "]";
  auto b = json_text_to_msgpack(text);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::bad_request);
  EXPECT_NE(b.error().message.find("limits"), std::string::npos) << b.error().message;
}

TEST(JsonToMsgpack, BadBinAndExtAreUsageErrors) {
  for (const char* text : {R"({"$bin": "!!"})", R"({"$bin": 3})", R"({"$bin": "Zh=="})",
                           R"({"$ext": -1, "$data": ""})", R"({"$ext": 128, "$data": ""})",
                           R"({"$ext": 300, "$data": ""})", R"({"$ext": 1, "$data": 7})"}) {
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

  for (const char* text : {"", "hello", "[1, 2", "1 2"}) {
    auto e = json_text_to_msgpack(text);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.error().code, Errc::bad_request) << text;
  }
}

TEST(JsonToMsgpack, NestingIsCappedAt32) {
  std::string ok = std::string(32, '[') + std::string(32, ']');
  std::string deep = std::string(33, '[') + std::string(33, ']');
  EXPECT_TRUE(json_text_to_msgpack(ok).ok());
  auto b = json_text_to_msgpack(deep);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::bad_request);
  EXPECT_EQ(b.error().message, "JSON nested deeper than 32 levels");
  // Hostile depth is stopped while parsing, long before the tree is built
  // (or a recursive parser's stack overflows).
  EXPECT_FALSE(json_text_to_msgpack(std::string(1 << 20, '[')).ok());
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
  // The same as the one line of text a command handle reads.
  EXPECT_EQ(text_of({}), "null");
  EXPECT_EQ(text_of({0xc3}), "true");
  EXPECT_EQ(text_of({0x7f}), "127");
  EXPECT_EQ(text_of({0xd0, 0x80}), "-128");
  EXPECT_EQ(text_of({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "18446744073709551615");
  EXPECT_EQ(text_of({0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}), "1.5");
  EXPECT_EQ(text_of({0xa2, 'h', 'i'}), "\"hi\"");
  EXPECT_EQ(text_of({0x92, 0x80, 0x91, 0xc2}), "[{},[false]]");
}

TEST(MsgpackToJson, NonFiniteFloatsBecomeNull) {
  EXPECT_EQ(unpacked("cb7ff8000000000000"), json(nullptr));  // NaN
  EXPECT_EQ(unpacked("cb7ff0000000000000"), json(nullptr));  // +inf
}

TEST(MsgpackToJson, BinAndExtAreTaggedObjects) {
  EXPECT_EQ(unpacked("c404000102ff"), json({{"$bin", "AAEC/w=="}}));
  EXPECT_EQ(unpacked("d5050102"), json({{"$ext", 5}, {"$data", "AQI="}}));
  EXPECT_EQ(text_of({0xc4, 0x03, 0x00, 0x01, 0xfe}), R"({"$bin":"AAH+"})");
  EXPECT_EQ(text_of({0xd4, 0x05, 0x2a}), R"({"$ext":5,"$data":"Kg=="})");
}

TEST(MsgpackToJson, NonStringKeysBecomeTheirJsonText) {
  // {1: "a", nil: 2, [1, 2]: 3, true: 4}
  EXPECT_EQ(unpacked("8401a161c002920102" "03c304"),
            json({{"1", "a"}, {"null", 2}, {"[1,2]", 3}, {"true", 4}}));
  // {1: "a", "1": "b"}: both are "1"; the first wins.
  EXPECT_EQ(unpacked("8201a161a131a162"), json({{"1", "a"}}));
  // {1: "a", "1": "b", nil: []}
  EXPECT_EQ(text_of({0x83, 0x01, 0xa1, 'a', 0xa1, '1', 0xa1, 'b', 0xc0, 0x90}), R"({"1":"a","null":[]})");
}

TEST(MsgpackToJson, InvalidUtf8IsReplacedWhenPrinted) {
  json j = unpacked("a2ff41");
  EXPECT_EQ(dump_json(j), "\"\xEF\xBF\xBD" "A\"");
}

TEST(MsgpackToJson, RefusesWhatIsNotExactlyOneObject) {
  for (const char* h : {"0101", "c0c0", "92", "9201", "c1", "a3616263ff"}) {
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
  // JSON text -> msgpack -> the same text.
  for (std::string_view t :
       {R"(null)", R"(true)", R"(-5)", R"(18446744073709551615)", R"(2.5)", "\"x\xc3\xa9\"", R"([1,[2,[3]]])",
        R"({"a":1,"b":{"c":[]}})", R"({"b":1,"a":2})", R"({"$bin":"AAH+"})", R"({"$ext":5,"$data":"Kg=="})",
        R"({"$bin":1,"x":2})"})
    EXPECT_EQ(text_of(msgpack_of(t)), t);
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
}  // namespace peernet
