#include "proto/msgpack_check.hpp"

#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <random>

namespace peernet {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// One of each msgpack type, in several encodings.
const char* const kObjects[] = {
    "00",
    "7f",
    "e0",
    "ff",
    "c0",
    "c2",
    "c3",
    "cc80",
    "cd0100",
    "ce00010000",
    "cf0000000100000000",
    "d080",
    "d1ff00",
    "d2ffff0000",
    "d3ffffffff00000000",
    "ca3f800000",
    "cb3ff0000000000000",
    "a0",
    "a3616263",
    "d903616263",
    "da0003616263",
    "db00000003616263",
    "c40101",
    "c5000101",
    "c600000001 01",
    "d40101",
    "d5010102",
    "d60101020304",
    "d7010102030405060708",
    "d801000102030405060708090a0b0c0d0e0f",
    "c7020101 02",
    "c800020101 02",
    "c90000000201 0102",
    "90",
    "9101",
    "dc000101",
    "dd0000000101",
    "80",
    "81a16101",
    "de0001a16101",
    "df00000001a16101",
    "92 93 01 81 a1 61 c0 c3 dc0000",
    "82 a178 91 91 90 a179 c403010203",
};

Bytes obj(const char* h) {
  std::string s(h);
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return hex(s);
}

TEST(MsgpackCheck, SizesOfValidObjects) {
  for (const char* h : kObjects) {
    Bytes b = obj(h);
    auto n = check_object(b);
    ASSERT_TRUE(n.ok()) << h << ": " << n.error().describe();
    EXPECT_EQ(*n, b.size()) << h;
    // With trailing bytes, the first object's size.
    Bytes more = b;
    more.push_back(0xc1);
    auto m = check_object(more);
    ASSERT_TRUE(m.ok()) << h;
    EXPECT_EQ(*m, b.size()) << h;
  }
}

TEST(MsgpackCheck, TruncationsAndInvalidBytes) {
  for (const char* h : kObjects) {
    Bytes b = obj(h);
    for (size_t n = 0; n < b.size(); ++n) {
      auto r = check_object(ByteView(b).first(n));
      ASSERT_FALSE(r.ok()) << h << " cut at " << n;
      EXPECT_EQ(r.error().code, Errc::protocol_error);
    }
  }
  auto r = check_object(hex("92c1"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("invalid byte 0xc1 at offset 1"), std::string::npos)
      << r.error().message;
  EXPECT_NE(check_object(hex("9201")).error().message.find("truncated"), std::string::npos);
  EXPECT_FALSE(check_object({}).ok());
}

TEST(MsgpackCheck, ScalarsAgreeWithMsgpackC) {
  // check_object sizes a scalar from its header without the parser: for
  // every header byte that starts a str, bin, number, nil or boolean,
  // followed by random bytes of every length up to 300, it must accept
  // exactly what msgpack-c accepts, with the same size.
  std::mt19937 rng(7);
  for (int first = 0; first < 256; ++first) {
    const auto b = static_cast<uint8_t>(first);
    const bool container = (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
    const bool ext = (b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8);
    if (container || ext || b == 0xc1) continue;
    for (size_t tail = 0; tail <= 300; ++tail) {
      Bytes data{b};
      // Small declared lengths, so that many inputs are complete.
      for (size_t i = 0; i < tail; ++i) data.push_back(static_cast<uint8_t>(i < 4 ? rng() % 3 : rng()));
      size_t off = 0;
      bool parsed = false;
      try {
        msgpack::object_handle oh;
        msgpack::unpack(oh, reinterpret_cast<const char*>(data.data()), data.size(), off);
        parsed = true;
      } catch (const msgpack::insufficient_bytes&) {
      }
      auto r = check_object(data);
      ASSERT_EQ(r.ok(), parsed) << "0x" << to_hex(ByteView(&b, 1)) << " + " << tail;
      if (parsed) {
        EXPECT_EQ(*r, off) << "0x" << to_hex(ByteView(&b, 1)) << " + " << tail;
      }
    }
  }
}

Bytes nested(size_t depth, uint8_t header = 0x91) {
  Bytes b(depth, header);
  b.push_back(header == 0x91 ? 0xc0 : 0x00);
  return b;
}

TEST(MsgpackCheck, Depth) {
  EXPECT_TRUE(check_object(nested(32)).ok());
  auto r = check_object(nested(33));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nested deeper than 32"), std::string::npos);
  // Maps count too: {0: {0: ... }}.
  Bytes maps;
  for (int i = 0; i < 33; ++i) maps.insert(maps.end(), {0x81, 0x00});
  maps.push_back(0xc0);
  EXPECT_FALSE(check_object(maps).ok());
  // Empty containers do not stay open.
  Bytes flat = {0xdc, 0x00, 0x64};
  flat.insert(flat.end(), 100, 0x90);
  EXPECT_TRUE(check_object(flat).ok());
  MsgpackLimits shallow;
  shallow.max_depth = 2;
  EXPECT_TRUE(check_object(nested(2), shallow).ok());
  EXPECT_FALSE(check_object(nested(3), shallow).ok());
}

TEST(MsgpackCheck, HundredThousandNestedArrays) {
  for (uint8_t header : {uint8_t{0x91}, uint8_t{0x81}}) {
    Bytes abyss(100000, header);
    auto r = check_object(abyss);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("nested deeper"), std::string::npos) << r.error().message;
  }
  Bytes wide = hex("dc0001");
  wide.insert(wide.end(), 100000, 0x91);
  EXPECT_FALSE(check_object(wide).ok());
}

TEST(MsgpackCheck, ContainerSizes) {
  Bytes arr = hex("dd00010000");
  arr.insert(arr.end(), 65536, 0x01);
  EXPECT_TRUE(check_object(arr).ok());
  Bytes arr2 = hex("dd00010001");
  arr2.insert(arr2.end(), 65537, 0x01);
  auto r = check_object(arr2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("array of 65537 elements"), std::string::npos);
  Bytes map = hex("df00010001");
  for (int i = 0; i < 65537; ++i) map.insert(map.end(), {0x01, 0x02});
  EXPECT_FALSE(check_object(map).ok());
}

TEST(MsgpackCheck, HugeDeclaredSizesWithTinyInputs) {
  for (const char* h : {"dbffffffff", "dbffffffff6162", "c6ffffffff00", "c9ffffffff0100",
                        "ddffffffff", "ddffffffff01", "dfffffffff0102", "daffff", "c5ffff01"}) {
    auto r = check_object(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::protocol_error);
  }
}

TEST(MsgpackCheck, ObjectCount) {
  MsgpackLimits few;
  few.max_objects = 5;
  EXPECT_TRUE(check_object(hex("9401020304"), few).ok());  // 5 objects
  auto r = check_object(hex("950102030405"), few);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 5 objects"), std::string::npos);
  // The default bound: 2^18 objects.
  Bytes many = hex("dc0000");
  Bytes outer = hex("dc0005");  // 5 arrays of 65536 (too many in total)
  for (int i = 0; i < 5; ++i) {
    outer.insert(outer.end(), {0xdd, 0x00, 0x01, 0x00, 0x00});
    outer.insert(outer.end(), 65536, 0x00);
  }
  EXPECT_FALSE(check_object(outer).ok());
  EXPECT_TRUE(check_object(many).ok());
}

// The msgpack spec reserves ext types -128..-1 and defines only -1, the
// timestamp (32, 64 and 96 bit forms).
TEST(MsgpackCheck, ReservedExtTypesAndTimestamps) {
  for (const char* ok : {"d4 7f 00", "c7 00 05", "d6 ff 00000001", "c7 04 ff 00000001",
                         "d7 ff ee6b27fc 00000005", "c7 0c ff 3b9ac9ff fffffffffffffffb"}) {
    auto r = check_object(obj(ok));
    EXPECT_TRUE(r.ok()) << ok << ": " << r.error().describe();
  }
  for (const char* bad : {"d4 fe 00", "c7 00 80", "d4 ff 00", "c7 00 ff", "d8 ff 00000000000000000000000000000000",
                          "d7 ff ee6b2800 00000005", "c7 0c ff 3b9aca00 fffffffffffffffb",
                          "91 d5 fe 0000"}) {
    auto r = check_object(obj(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::protocol_error);
  }
}

TEST(MsgpackCheck, TypeNames) {
  EXPECT_EQ(msgpack_type_name(0x05), "an integer");
  EXPECT_EQ(msgpack_type_name(0xd3), "an integer");
  EXPECT_EQ(msgpack_type_name(0xa1), "a string");
  EXPECT_EQ(msgpack_type_name(0xdc), "an array");
  EXPECT_EQ(msgpack_type_name(0x81), "a map");
  EXPECT_EQ(msgpack_type_name(0xc0), "nil");
  EXPECT_EQ(msgpack_type_name(0xc4), "binary");
  EXPECT_EQ(msgpack_type_name(0xcb), "a float");
  EXPECT_EQ(msgpack_type_name(0xd8), "an extension");
  EXPECT_EQ(msgpack_type_name(0xc3), "a boolean");
}

TEST(MsgpackReader, Unsigned) {
  for (const char* h : {"07", "cc07", "cd0007", "ce00000007", "cf0000000000000007", "d007",
                        "d10007", "d200000007", "d30000000000000007"}) {
    Bytes b = hex(h);
    MsgpackReader r(b);
    auto v = r.uint("n");
    ASSERT_TRUE(v.ok()) << h;
    EXPECT_EQ(*v, 7u);
    EXPECT_TRUE(r.at_end());
  }
  for (const char* h : {"ff", "d0ff", "d1ff00", "d2ff000000", "d3ff00000000000000", "c0", "a131",
                        "cb3ff0000000000000", "cc", "cd00", "", "c3"}) {
    Bytes b = hex(h);
    MsgpackReader r(b);
    auto v = r.uint("n");
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_EQ(r.offset(), 0u) << h;  // a failed read does not move
    EXPECT_EQ(v.error().message.substr(0, 3), "n: ");
  }
}

TEST(MsgpackReader, HeadersStringsNilAndObjects) {
  Bytes b;
  for (const char* h : {"dc0003", "a3616263", "da00026869", "c0", "81a16101", "de0000",
                        "dd00000000", "df00000000", "d90161", "9f"})
    for (uint8_t x : hex(h)) b.push_back(x);
  MsgpackReader r(b);
  EXPECT_EQ(r.array("a").value(), 3u);
  EXPECT_EQ(r.str("s").value(), "abc");
  EXPECT_EQ(r.str("s").value(), "hi");
  EXPECT_FALSE(r.map("m").ok());  // nil is not a map
  EXPECT_TRUE(r.nil());
  EXPECT_FALSE(r.nil());
  auto o = r.object("o", {});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(to_hex(*o), "81a16101");
  EXPECT_EQ(r.map("m").value(), 0u);
  EXPECT_EQ(r.array("a").value(), 0u);
  EXPECT_EQ(r.map("m").value(), 0u);
  EXPECT_FALSE(r.array("a").ok());  // a string
  EXPECT_EQ(r.str("s").value(), "a");
  EXPECT_EQ(r.array("a").value(), 15u);
  EXPECT_TRUE(r.at_end());
  EXPECT_FALSE(r.str("s").ok());

  Bytes truncated = hex("a5616263");
  MsgpackReader t(truncated);
  auto s = t.str("name");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "name: truncated string");
  Bytes bad_header = hex("dc00");
  EXPECT_FALSE(MsgpackReader(bad_header).array("a").ok());
  Bytes bad_obj = hex("92c1");
  auto e = MsgpackReader(bad_obj).object("args", {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message.substr(0, 6), "args: ");
}

TEST(MsgpackWriter, SmallestEncodings) {
  Bytes out;
  MsgpackWriter w(out);
  w.array(2);
  w.map(1);
  w.uint(300);
  w.integer(-1);
  w.boolean(true);
  w.boolean(false);
  w.nil();
  w.str("ab");
  w.bin(Bytes{1});
  w.raw(Bytes{0xc0});
  EXPECT_EQ(to_hex(out), "9281cd012cffc3c2c0a26162c40101c0");
}

// Feeds the scanner growing prefixes, as a stream decoder does.
struct ScanResult {
  MsgpackScanner::State state;
  size_t size;
};
ScanResult scan_bytewise(ByteView b, size_t max_size = SIZE_MAX) {
  MsgpackScanner s(max_size);
  MsgpackScanner::State st = MsgpackScanner::State::need_more;
  for (size_t n = 1; n <= b.size(); ++n) {
    st = s.scan(b.first(n));
    if (st != MsgpackScanner::State::need_more)
      return {st, st == MsgpackScanner::State::complete ? s.size() : 0};
    EXPECT_GT(s.min_size(), n);
  }
  return {st, 0};
}

TEST(MsgpackScanner, FindsTheEndOfEveryObject) {
  for (const char* h : kObjects) {
    Bytes b = obj(h);
    Bytes more = b;
    more.insert(more.end(), {0xc1, 0x00});
    MsgpackScanner s(SIZE_MAX);
    ASSERT_EQ(s.scan(more), MsgpackScanner::State::complete) << h;
    EXPECT_EQ(s.size(), b.size()) << h;
    auto bytewise = scan_bytewise(more);
    EXPECT_EQ(bytewise.state, MsgpackScanner::State::complete) << h;
    EXPECT_EQ(bytewise.size, b.size()) << h;
  }
}

TEST(MsgpackScanner, MinSizeNeverOvershoots) {
  Bytes b = obj("82 a178 91 91 90 a179 c403010203");
  MsgpackScanner s(SIZE_MAX);
  for (size_t n = 0; n < b.size(); ++n) {
    ASSERT_EQ(s.scan(ByteView(b).first(n)), MsgpackScanner::State::need_more);
    EXPECT_GT(s.min_size(), n);
    EXPECT_LE(s.min_size(), b.size());
  }
  EXPECT_EQ(s.scan(b), MsgpackScanner::State::complete);
}

TEST(MsgpackScanner, InvalidAndTooLarge) {
  MsgpackScanner s(100);
  Bytes bad = hex("9301c1");
  EXPECT_EQ(s.scan(bad), MsgpackScanner::State::invalid);
  EXPECT_EQ(s.error_offset(), 2u);
  EXPECT_EQ(s.scan(bad), MsgpackScanner::State::invalid);  // final until reset
  s.reset();
  EXPECT_EQ(s.scan(hex("dbffffffff")), MsgpackScanner::State::too_large);
  s.reset();
  EXPECT_EQ(s.scan(hex("dc0062")), MsgpackScanner::State::too_large);  // 3 + 98 owed bytes
  s.reset();
  EXPECT_EQ(s.scan(hex("dc0061")), MsgpackScanner::State::need_more);  // 3 + 97 fit
  s.reset();
  Bytes over = hex("c463");  // bin 8 of 99 bytes: 101 in all
  EXPECT_EQ(s.scan(over), MsgpackScanner::State::too_large);
  s.reset();
  Bytes fits = hex("c462");
  fits.resize(100);
  EXPECT_EQ(s.scan(fits), MsgpackScanner::State::complete);
  EXPECT_EQ(s.size(), 100u);
  // A 100000-deep nest needs no stack from the scanner.
  MsgpackScanner deep(SIZE_MAX);
  Bytes abyss(100000, 0x91);
  abyss.push_back(0xc0);
  EXPECT_EQ(deep.scan(abyss), MsgpackScanner::State::complete);
  EXPECT_EQ(deep.size(), abyss.size());
}

TEST(MsgpackScanner, AgreesWithMsgpackCOnRandomBytes) {
  std::mt19937 rng(2024);
  MsgpackLimits unlimited{1000000, UINT32_MAX, UINT64_MAX};
  int completes = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes b(1 + rng() % 24);
    for (auto& x : b) {
      // Bias towards headers and small lengths so that objects complete.
      uint32_t k = rng() % 4;
      x = k == 0   ? static_cast<uint8_t>(rng())
          : k == 1 ? static_cast<uint8_t>(0x90 + rng() % 3)
                   : static_cast<uint8_t>(rng() % 3);
    }
    MsgpackScanner s(SIZE_MAX);
    auto st = s.scan(b);
    auto c = check_object(b, unlimited);
    if (st == MsgpackScanner::State::complete) {
      // The scanner judges syntax only; check_object also refuses the ext
      // types the msgpack spec reserves.
      if (!c.ok()) {
        EXPECT_TRUE(c.error().message.find("reserved ext type") != std::string::npos ||
                    c.error().message.find("timestamp") != std::string::npos)
            << to_hex(b) << ": " << c.error().message;
        continue;
      }
      ++completes;
      EXPECT_EQ(*c, s.size()) << to_hex(b);
    } else {
      EXPECT_FALSE(c.ok()) << to_hex(b);
    }
  }
  EXPECT_GT(completes, 1000);
}

}  // namespace
}  // namespace peernet
