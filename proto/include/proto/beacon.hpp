// The UDP broadcast beacon: the optional discovery for networks without
// multicast. Each daemon broadcasts on its discovery port, periodically and
// when the network changes, one fixed-size datagram:
//
//     beacon = magic "PNB1" | version:u8 (1) | flags:u8 (0) | port:u16 | key:32
//
// 40 bytes, integers big-endian. `port` is the TCP port peers dial, `key`
// the sender's static public key. A receiver pairs the key with the
// datagram's source address and `port` to get a candidate address; the
// Noise handshake proves the key, so the beacon carries nothing secret and
// needs no signature. Any other size, magic or version is ignored; flags
// are reserved (sent as 0, ignored on receipt).
#pragma once

#include <cstdint>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kBeaconSize = 40;
inline constexpr uint8_t kBeaconVersion = 1;

struct Beacon {
  uint16_t port = 0;
  PublicKey key{};
  friend bool operator==(const Beacon&, const Beacon&) = default;
};

Bytes encode_beacon(const Beacon& b);
// Errc::protocol_error for anything but a version-1 beacon with a non-zero port.
Result<Beacon> parse_beacon(ByteView datagram);

}  // namespace peernet
