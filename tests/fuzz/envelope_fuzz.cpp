// Fuzz target: decode_envelope.
//
// Anything it accepts must satisfy validate(), and survive encode/decode
// unchanged; encoding is canonical (a second round gives the same bytes).
#include <vector>

#include "proto/link/envelope.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  const Bytes args = {0x82, 0xa1, 0x78, 0x01, 0xa1, 0x79, 0x92, 0xc3, 0xc4, 0x01, 0xff};
  std::vector<Envelope> all = {
      Call{0x1122334455667788, "svc.echo", args},
      Reply{7, args},
      ErrorReply{9, "timeout", "slow"},
      Send{"chat/room:1", Bytes{0xa2, 0x68, 0x69}},
      Ping{1},
      Pong{0xffffffffffff},
      Close{"shutdown", "bye"},
      Pair{1, Bytes(32, 7), ""},
      Pair{3, Bytes(32, 9), "laptop"},
  };
  std::vector<Bytes> seeds;
  for (const auto& e : all) seeds.push_back(encode(e));
  seeds.push_back(Bytes{0x92, 0x08, 0x00});  // unknown type
  seeds.push_back(Bytes{0x94, 0x01, 0x01, 0xa1, 0x68, 0xdd, 0xff, 0xff, 0xff, 0xff});
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto env = decode_envelope(ByteView(data, size));
  if (!env.ok()) {
    require(env.error().code == Errc::protocol_error, "unexpected error code");
    return 0;
  }
  require(validate(*env).ok(), "accepted an envelope that validate() refuses");
  Bytes wire = encode(*env);
  auto back = decode_envelope(wire);
  require(back.ok(), "re-encoded envelope rejected");
  require(*back == *env, "round trip changed the envelope");
  require(encode(*back) == wire, "encoding is not canonical");
  return 0;
}
