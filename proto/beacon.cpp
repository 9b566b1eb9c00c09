#include "proto/beacon.hpp"

#include <algorithm>
#include <string_view>

namespace peernet {
namespace {
constexpr std::string_view kMagic = "PNB1";
}

Bytes encode_beacon(const Beacon& b) {
  Bytes out(kMagic.begin(), kMagic.end());
  out.push_back(kBeaconVersion);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(b.port >> 8));
  out.push_back(static_cast<uint8_t>(b.port));
  out.insert(out.end(), b.key.bytes.begin(), b.key.bytes.end());
  return out;
}

Result<Beacon> parse_beacon(ByteView d) {
  if (d.size() != kBeaconSize)
    return make_error(Errc::protocol_error, "beacon of " + std::to_string(d.size()) + " bytes");
  if (!std::equal(kMagic.begin(), kMagic.end(), d.begin())) return make_error(Errc::protocol_error, "not a beacon");
  if (d[4] != kBeaconVersion) return make_error(Errc::protocol_error, "beacon version " + std::to_string(d[4]));
  Beacon b;
  b.port = static_cast<uint16_t>(d[6] << 8 | d[7]);
  if (b.port == 0) return make_error(Errc::protocol_error, "beacon with port 0");
  std::copy(d.begin() + 8, d.end(), b.key.bytes.begin());
  return b;
}

}  // namespace peernet
