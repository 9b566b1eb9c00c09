// The broadcast discovery beacon: round trip and every way to be refused.
#include "proto/beacon.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

Beacon sample() {
  Beacon b;
  b.port = 7469;
  for (size_t i = 0; i < b.key.bytes.size(); ++i) b.key.bytes[i] = static_cast<uint8_t>(i);
  return b;
}

TEST(Beacon, RoundTrips) {
  Bytes wire = encode_beacon(sample());
  ASSERT_EQ(wire.size(), kBeaconSize);
  EXPECT_EQ(std::string(wire.begin(), wire.begin() + 4), "PNB1");
  EXPECT_EQ(wire[4], 1);
  EXPECT_EQ(wire[6], 0x1d);  // 7469 big-endian
  EXPECT_EQ(wire[7], 0x2d);
  auto back = parse_beacon(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, sample());
}

TEST(Beacon, RefusesAnythingElse) {
  Bytes good = encode_beacon(sample());
  EXPECT_FALSE(parse_beacon(Bytes{}).ok());
  EXPECT_FALSE(parse_beacon(Bytes(good.begin(), good.end() - 1)).ok());
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(parse_beacon(longer).ok());
  Bytes magic = good;
  magic[0] = 'X';
  EXPECT_FALSE(parse_beacon(magic).ok());
  Bytes version = good;
  version[4] = 2;
  EXPECT_FALSE(parse_beacon(version).ok());
  Bytes port = good;
  port[6] = port[7] = 0;
  EXPECT_FALSE(parse_beacon(port).ok());
  EXPECT_EQ(parse_beacon(magic).error().code, Errc::protocol_error);
}

TEST(Beacon, IgnoresTheReservedFlags) {
  Bytes wire = encode_beacon(sample());
  wire[5] = 0xff;
  EXPECT_TRUE(parse_beacon(wire).ok());
}

}  // namespace
}  // namespace peernet
