#include "base/random.hpp"

#include <algorithm>
#include <array>

#include <gtest/gtest.h>

namespace peernet {
namespace {

TEST(OsRng, FillsBuffersWithFreshBytes) {
  OsRng rng;
  std::array<uint8_t, 64> a{}, b{};
  rng.fill(a);
  rng.fill(b);
  // 2^-512 chance each of a false failure.
  EXPECT_NE(a, (std::array<uint8_t, 64>{}));
  EXPECT_NE(a, b);
  EXPECT_NE(rng.next_u64(), rng.next_u64());
  rng.fill(std::span<uint8_t>());  // An empty request is fine.
}

}  // namespace
}  // namespace peernet
