// Fuzz target: decode_hello. An accepted payload must survive
// encode/decode unchanged.
#include <vector>

#include "proto/link/hello.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  std::vector<Bytes> seeds = {encode_hello(Hello{}), encode_hello(Hello{4242, {"exec", "zstd"}, std::nullopt, std::nullopt}), encode_hello(Hello{7469, {}, std::string("417"), std::nullopt}), encode_hello(Hello{7469, {}, std::nullopt, uint64_t{1} << 20})};
  // {"caps": [], "x": [nil], "port": 1, "v": 2}
  seeds.push_back(Bytes{0x84, 0xa4, 'c', 'a', 'p', 's', 0x90, 0xa1, 'x', 0x91,
                        0xc0, 0xa4, 'p', 'o', 'r', 't', 0x01, 0xa1, 'v', 0x02});
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto hello = decode_hello(ByteView(data, size));
  if (!hello.ok()) {
    require(hello.error().code == Errc::protocol_error || hello.error().code == Errc::unsupported,
            "unexpected error code");
    return 0;
  }
  require(hello->caps.size() <= kMaxCaps, "too many caps accepted");
  auto back = decode_hello(encode_hello(*hello));
  require(back.ok() && *back == *hello, "round trip changed the hello");
  return 0;
}
