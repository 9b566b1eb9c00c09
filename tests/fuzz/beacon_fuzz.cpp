// Fuzz target: parse_beacon (a UDP datagram from anyone on the link). An
// accepted datagram is 40 bytes with a non-zero port and encodes back to
// itself, flags aside; anything else is Errc::protocol_error.
#include <vector>

#include "proto/beacon.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  PublicKey k;
  k.bytes.fill(0x42);
  Bytes flagged = encode_beacon(Beacon{7469, k});
  flagged[5] = 0xff;
  return {encode_beacon(Beacon{7469, k}), encode_beacon(Beacon{1, PublicKey{}}), flagged,
          Bytes{'P', 'N', 'B', '1', 2, 0, 0, 1}};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto b = parse_beacon(ByteView(data, size));
  if (!b.ok()) {
    require(b.error().code == Errc::protocol_error, "unexpected error code");
    return 0;
  }
  require(size == kBeaconSize && b->port != 0, "accepted a beacon of the wrong size or port 0");
  Bytes back = encode_beacon(*b);
  require(back.size() == kBeaconSize, "encode_beacon is not 40 bytes");
  for (size_t i = 0; i < size; ++i)
    require(i == 5 || back[i] == data[i], "round trip changed the beacon");
  return 0;
}
