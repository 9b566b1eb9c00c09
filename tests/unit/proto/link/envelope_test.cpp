#include "proto/link/envelope.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// A msgpack value built with the writer.
template <class F>
Bytes pack(F f) {
  Bytes out;
  MsgpackWriter w(out);
  f(w);
  return out;
}

Errc decode_error(ByteView data, const MsgpackLimits& limits = {}) {
  auto r = decode_envelope(data, limits);
  return r.ok() ? Errc::internal : r.error().code;
}
std::string decode_message(ByteView data) {
  auto r = decode_envelope(data);
  return r.ok() ? std::string("(ok)") : r.error().message;
}

const Bytes kArgs = hex("82a17801a179c0");  // {"x": 1, "y": nil}

TEST(Envelope, SendAndCallFromViewsAreTheSameBytes) {
  const Bytes args = {0x92, 0xa2, 'h', 'i', 0xc3};
  for (const Bytes& a : {args, Bytes{}, Bytes(70000, 0x01)}) {
    EXPECT_EQ(encode_send("chat", a), encode(Envelope(Send{"chat", a})));
    for (uint64_t id : {uint64_t{1}, uint64_t{300}, ~uint64_t{0}})
      EXPECT_EQ(encode_call(id, "svc.echo:v1", a), encode(Envelope(Call{id, "svc.echo:v1", a})));
  }
}

TEST(Envelope, RoundTripsEveryType) {
  std::vector<Envelope> all = {
      Call{0xfedcba9876543210, "svc.echo:v1/a-b_c", kArgs},
      Reply{7, kArgs},
      Reply{0, hex("c0")},
      ErrorReply{9, "no_such_handle", "nothing called \"x\""},
      Send{"chat", hex("93010203")},
      Ping{0},
      Pong{UINT64_MAX},
      Close{"shutdown", ""},
  };
  for (const auto& e : all) {
    ASSERT_TRUE(validate(e).ok()) << to_string(type_of(e));
    Bytes wire = encode(e);
    auto back = decode_envelope(wire);
    ASSERT_TRUE(back.ok()) << to_string(type_of(e)) << ": " << back.error().describe();
    EXPECT_EQ(*back, e) << to_string(type_of(e));
    // The append variant writes the same bytes after what is there.
    Bytes appended{0xee};
    encode_to(appended, e);
    EXPECT_EQ(Bytes(appended.begin() + 1, appended.end()), wire);
  }
}

TEST(Envelope, ExactEncodings) {
  EXPECT_EQ(to_hex(encode(Ping{7})), "920507");
  EXPECT_EQ(to_hex(encode(Pong{300})), "9206cd012c");
  EXPECT_EQ(to_hex(encode(Call{1, "h", hex("c3")})), "940101a168c3");
  EXPECT_EQ(to_hex(encode(Close{"bye", "x"})), "9307a3627965a178");
  // Empty args/result go out as nil and come back as nil's bytes.
  EXPECT_EQ(to_hex(encode(Send{"h", {}})), "9304a168c0");
  auto back = decode_envelope(encode(Reply{5, {}}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<Reply>(*back).result, hex("c0"));
}

TEST(Envelope, TypeNamesAndCodes) {
  EXPECT_EQ(type_of(Envelope{Close{}}), EnvelopeType::close);
  EXPECT_EQ(static_cast<int>(type_of(Envelope{Call{}})), 1);
  EXPECT_EQ(to_string(EnvelopeType::error), "error");
}

TEST(Envelope, AnyIntegerWidthIsAccepted) {
  // [5, 7] with 7 as uint8, uint16, uint32, uint64, int8 and int64.
  for (const char* h : {"9205cc07", "9205cd0007", "9205ce00000007", "9205cf0000000000000007",
                        "9205d007", "9205d30000000000000007", "92d00507"}) {
    auto r = decode_envelope(hex(h));
    ASSERT_TRUE(r.ok()) << h << ": " << r.error().describe();
    EXPECT_EQ(std::get<Ping>(*r).nonce, 7u);
  }
  auto big = decode_envelope(hex("9205cfffffffffffffffff"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(std::get<Ping>(*big).nonce, UINT64_MAX);
}

TEST(Envelope, NegativeAndNonIntegersRejected) {
  EXPECT_EQ(decode_error(hex("9205ff")), Errc::protocol_error);    // -1 fixint
  EXPECT_EQ(decode_error(hex("9205d0ff")), Errc::protocol_error);  // int8 -1
  EXPECT_EQ(decode_error(hex("9205d38000000000000000")), Errc::protocol_error);
  EXPECT_EQ(decode_error(hex("9205cb3ff0000000000000")), Errc::protocol_error);  // 1.0
  EXPECT_EQ(decode_error(hex("9205a131")), Errc::protocol_error);                // "1"
  EXPECT_EQ(decode_error(hex("92a13507")), Errc::protocol_error);                // type as a string
  EXPECT_NE(decode_message(hex("9205ff")).find("negative"), std::string::npos);
}

TEST(Envelope, StructureErrors) {
  EXPECT_EQ(decode_error({}), Errc::protocol_error);
  EXPECT_EQ(decode_error(hex("90")), Errc::protocol_error);  // []
  EXPECT_EQ(decode_error(hex("c0")), Errc::protocol_error);  // nil
  EXPECT_EQ(decode_error(hex("810507")), Errc::protocol_error);
  EXPECT_EQ(decode_error(hex("820507")), Errc::protocol_error);  // a map
  EXPECT_EQ(decode_error(hex("c1")), Errc::protocol_error);
  // Unknown type codes, and the message names them.
  EXPECT_EQ(decode_error(hex("9200")), Errc::protocol_error);
  EXPECT_EQ(decode_error(hex("920807")), Errc::protocol_error);
  EXPECT_NE(decode_message(hex("92cd012c07")).find("unknown envelope type 300"), std::string::npos);
  // Wrong lengths for each type.
  for (const char* h : {"930101a168", "95010101a168c0c0", "9202", "940201c0c0", "930301a161",
                        "9204a168", "9105", "930507c0", "9306", "9207a161", "9407a161a161c0"}) {
    EXPECT_EQ(decode_error(hex(h)), Errc::protocol_error) << h;
  }
  EXPECT_NE(decode_message(hex("930101a168")).find("call envelope has 3 elements, expected 4"),
            std::string::npos);
  // Trailing bytes after a valid envelope.
  EXPECT_EQ(decode_error(hex("920507c0")), Errc::protocol_error);
  EXPECT_NE(decode_message(hex("92050700")).find("1 bytes after the ping envelope"),
            std::string::npos);
}

TEST(Envelope, EveryTruncationIsRejected) {
  Bytes wire = encode(Call{42, "some.handle", kArgs});
  for (size_t n = 0; n < wire.size(); ++n)
    EXPECT_EQ(decode_error(ByteView(wire).first(n)), Errc::protocol_error) << n;
  wire = encode(ErrorReply{3, "timeout", "took too long"});
  for (size_t n = 0; n < wire.size(); ++n)
    EXPECT_EQ(decode_error(ByteView(wire).first(n)), Errc::protocol_error) << n;
}

TEST(Envelope, FieldRules) {
  auto call_with = [](std::string handle) { return encode(Call{1, std::move(handle), {}}); };
  EXPECT_EQ(decode_error(call_with("")), Errc::protocol_error);
  EXPECT_EQ(decode_error(call_with(std::string(129, 'a'))), Errc::protocol_error);
  EXPECT_TRUE(decode_envelope(call_with(std::string(128, 'a'))).ok());
  EXPECT_EQ(decode_error(call_with("has space")), Errc::protocol_error);
  EXPECT_EQ(decode_error(call_with("caf\xc3\xa9")), Errc::protocol_error);
  EXPECT_EQ(decode_error(call_with(std::string("a\0b", 3))), Errc::protocol_error);
  EXPECT_EQ(decode_error(encode(Send{"", {}})), Errc::protocol_error);
  // req_id 0 is reserved in a call.
  EXPECT_EQ(decode_error(encode(Call{0, "h", {}})), Errc::protocol_error);
  // Codes and reasons.
  EXPECT_EQ(decode_error(encode(ErrorReply{1, "Timeout", ""})), Errc::protocol_error);
  EXPECT_EQ(decode_error(encode(ErrorReply{1, "", ""})), Errc::protocol_error);
  EXPECT_EQ(decode_error(encode(ErrorReply{1, std::string(65, 'a'), ""})), Errc::protocol_error);
  EXPECT_TRUE(decode_envelope(encode(ErrorReply{1, std::string(64, 'a'), ""})).ok());
  EXPECT_EQ(decode_error(encode(Close{"bye-bye", ""})), Errc::protocol_error);
  // Messages: length-capped, not required to be UTF-8.
  EXPECT_TRUE(decode_envelope(encode(ErrorReply{1, "x", std::string(1024, '\xff')})).ok());
  EXPECT_EQ(decode_error(encode(ErrorReply{1, "x", std::string(1025, 'm')})), Errc::protocol_error);
  EXPECT_EQ(decode_error(encode(Close{"x", std::string(1025, 'm')})), Errc::protocol_error);
  // A bin where a str is required.
  EXPECT_EQ(decode_error(hex("9304c40168c0")), Errc::protocol_error);
}

TEST(Envelope, ValidateMirrorsTheFieldRules) {
  EXPECT_TRUE(validate(Call{1, "a/b:c.d-e_f", {}}).ok());
  EXPECT_EQ(validate(Call{0, "h", {}}).error().code, Errc::bad_request);
  EXPECT_EQ(validate(Call{1, "bad handle", {}}).error().code, Errc::bad_request);
  EXPECT_EQ(validate(Send{std::string(129, 'x'), {}}).error().code, Errc::bad_request);
  EXPECT_EQ(validate(ErrorReply{1, "UPPER", ""}).error().code, Errc::bad_request);
  EXPECT_EQ(validate(ErrorReply{1, "ok", std::string(1025, 'm')}).error().code, Errc::bad_request);
  EXPECT_EQ(validate(Close{"", ""}).error().code, Errc::bad_request);
  EXPECT_EQ(validate(Close{"ok", std::string(1025, 'm')}).error().code, Errc::bad_request);
  EXPECT_TRUE(validate(Ping{}).ok());
  EXPECT_TRUE(valid_handle_name("x"));
  EXPECT_FALSE(valid_code("a-b"));
}

Bytes call_with_args(ByteView args) {
  Bytes out = hex("940101a168");
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

TEST(Envelope, ArgsLimits) {
  // Depth 32 is the limit.
  Bytes ok_deep(32, 0x91);
  ok_deep.push_back(0xc0);
  EXPECT_TRUE(decode_envelope(call_with_args(ok_deep)).ok());
  Bytes too_deep(33, 0x91);
  too_deep.push_back(0xc0);
  EXPECT_EQ(decode_error(call_with_args(too_deep)), Errc::protocol_error);
  EXPECT_NE(decode_message(call_with_args(too_deep)).find("call args"), std::string::npos);
  // 100000 nested arrays: refused at depth 33, no recursion anywhere.
  Bytes abyss(100000, 0x91);
  abyss.push_back(0xc0);
  EXPECT_EQ(decode_error(call_with_args(abyss)), Errc::protocol_error);
  // Huge declared sizes with tiny inputs.
  EXPECT_EQ(decode_error(call_with_args(hex("dbffffffff61"))), Errc::protocol_error);    // str32
  EXPECT_EQ(decode_error(call_with_args(hex("c6ffffffff"))), Errc::protocol_error);      // bin32
  EXPECT_EQ(decode_error(call_with_args(hex("c9ffffffff01"))), Errc::protocol_error);    // ext32
  EXPECT_EQ(decode_error(call_with_args(hex("ddffffffffc0"))), Errc::protocol_error);    // array32
  EXPECT_EQ(decode_error(call_with_args(hex("dfffffffffc0c0"))), Errc::protocol_error);  // map32
  // A container above 65536 elements, though every element is present.
  Bytes wide = hex("dd00010001");
  wide.insert(wide.end(), 65537, 0x00);
  EXPECT_EQ(decode_error(call_with_args(wide)), Errc::protocol_error);
  // Total object count, with a custom limit.
  MsgpackLimits few;
  few.max_objects = 4;
  EXPECT_TRUE(decode_envelope(call_with_args(hex("93010203")), few).ok());
  EXPECT_EQ(decode_error(call_with_args(hex("9401020304")), few), Errc::protocol_error);
  // Args that are not msgpack.
  EXPECT_EQ(decode_error(call_with_args(hex("c1"))), Errc::protocol_error);
}

TEST(Envelope, ArgsKeepTheirOriginalBytes) {
  // A non-canonical encoding (uint16 for 1) is kept, not re-encoded.
  Bytes args = hex("91cd0001");
  auto r = decode_envelope(call_with_args(args));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Call>(*r).args, args);
}

}  // namespace
}  // namespace peernet

namespace peernet {
namespace {

// The pairing step (protocol.md §5, §10): [8, step, bin, str].
TEST(Envelope, PairEncodingAndLimits) {
  Pair p{3, Bytes{0xab, 0xcd}, "pi"};
  EXPECT_EQ(to_hex(encode(p)), "940803c402abcda27069");
  auto back = decode_envelope(encode(p));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(std::get<Pair>(*back), p);
  EXPECT_EQ(type_of(Envelope{Pair{}}), EnvelopeType::pair);
  // A step outside 1..4, data that is a str, data over 64 bytes, a control
  // character in the name: refused from a peer and from our own callers.
  for (const Pair& bad : {Pair{5, {}, ""}, Pair{0, {}, ""}, Pair{1, Bytes(65, 1), ""},
                          Pair{3, {}, "a\nb"}, Pair{3, {}, std::string(65, 'n')}}) {
    EXPECT_EQ(decode_error(encode(bad)), Errc::protocol_error);
    EXPECT_FALSE(validate(bad).ok());
  }
  EXPECT_EQ(decode_error(hex("940801a178a0")), Errc::protocol_error);  // data as str
}

}  // namespace
}  // namespace peernet
