#include "proto/result.hpp"
#include "proto/bytes.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

TEST(Errc, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Errc::handler_failed); ++i) {
    auto code = static_cast<Errc>(i);
    auto name = to_string(code);
    ASSERT_FALSE(name.empty());
    auto back = errc_from_string(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, code);
  }
  EXPECT_EQ(to_string(Errc::peer_offline), "peer_offline");
  EXPECT_FALSE(errc_from_string("no_such_code").has_value());
}

Result<int> half(int x) {
  if (x % 2) return make_error(Errc::bad_request, "odd");
  return x / 2;
}

Result<int> quarter(int x) {
  PEERNET_TRY(int h, half(x));
  return half(h);
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(quarter(8).value(), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::bad_request);
  EXPECT_EQ(r.error().describe(), "bad_request: odd");
}

TEST(Hex, RoundTripAndErrors) {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(to_hex(b), "007fff10");
  EXPECT_EQ(from_hex("007FFF10").value(), b);
  EXPECT_FALSE(from_hex("abc").ok());
  EXPECT_FALSE(from_hex("zz").ok());
}

}  // namespace
}  // namespace peernet
