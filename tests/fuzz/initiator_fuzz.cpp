// Fuzz target: the Noise XX initiator, as the daemon runs it (an initiator
// Link with a fixed static key), fed a hostile responder. The first input
// byte picks what the fuzzer controls:
//   0  the whole stream the initiator reads after writing message 1;
//   1  a real responder (the fixed peer) reads message 1 and writes message
//      2 carrying the rest of the input as its hello (bit 7 of the first
//      byte: the initiator refuses the responder's key).
// Nobody but the fixed peer can make the initiator established (keys are
// fixed, so the fuzzer may replay the fixed peer's own message 2, but it
// cannot forge another key's); an initiator that refuses the responder, or
// its hello, writes nothing more: its static key is never revealed to a
// responder it does not accept.
#include <vector>

#include "peer.hpp"

using namespace peernet;
using namespace peernet::fuzz;

std::vector<Bytes> FuzzSeeds() {
  std::vector<Bytes> seeds;
  {
    // A real message 2, as mode 0 input.
    FixedRng rng, peer_rng;
    Link link = make_link(true, rng);
    require(link.start().ok(), "start failed");
    auto b = bodies(take_all(link));
    auto res = make_peer(false, peer_rng);
    require(res.read_message(b[0]).ok(), "message 1 unreadable");
    Bytes msg2 = res.write_message(encode_hello(Hello{})).value();
    Bytes seed = {0};
    Bytes f = framed(msg2);
    seed.insert(seed.end(), f.begin(), f.end());
    seeds.push_back(seed);
  }
  for (const Hello& h : {Hello{}, Hello{7469, {"exec", "zstd"}, std::string("417"), std::nullopt}}) {
    Bytes seed = {1};
    Bytes e = encode_hello(h);
    seed.insert(seed.end(), e.begin(), e.end());
    seeds.push_back(seed);
    seed[0] = 0x81;
    seeds.push_back(seed);
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool refuse = (data[0] & 0x80) != 0;
  ByteView rest(data + 1, size - 1);
  FixedRng rng;
  Link link = make_link(true, rng);
  require(link.start().ok(), "start failed");
  auto b = bodies(take_all(link));
  require(b.size() == 1 && b[0].size() == kKeySize, "message 1 is not one 32-byte frame");
  const RemoteCheck check = refuse ? refuse_all() : accept_peer();
  Link::Received got;
  Status s;
  if ((data[0] & 0x7f) % 2 == 0) {
    s = link.receive(rest, check, got);
    if (got.established)
      require(!refuse && link.remote_static() == peer_static().pub,
              "a forged message 2 established the initiator");
  } else {
    FixedRng peer_rng;
    auto res = make_peer(false, peer_rng);
    require(res.read_message(b[0]).ok(), "the responder cannot read message 1");
    auto msg2 = res.write_message(rest);
    if (!msg2.ok()) return 0;  // a hello too large for one Noise message
    s = link.receive(framed(*msg2), check, got);
    auto hello = decode_hello(rest);
    if (got.established) {
      require(!refuse, "a refused responder was accepted");
      require(link.remote_static() == peer_static().pub, "established with the wrong key");
      require(hello.ok() && link.remote_hello() == *hello, "established with a bad hello");
      auto out = bodies(take_all(link));
      require(out.size() == 1, "no message 3 after message 2");
      require(res.read_message(out[0]).ok(), "the responder cannot read message 3");
      require(res.remote_static() == local_static().pub, "message 3 carries the wrong key");
    } else {
      require(refuse || rest.size() > 4096 || !hello.ok(), "a real handshake with a good hello failed");
    }
  }
  if (!got.established) {
    // Message 3 carries our static key: it must not go to a responder we
    // did not accept.
    require(take_all(link).empty(), "the initiator wrote after refusing the responder");
  }
  if (!s) {
    Link::Received again;
    auto r = link.receive(rest, check, again);
    require(!r && r.error().code == Errc::closed, "a failed link read on");
  }
  return 0;
}
