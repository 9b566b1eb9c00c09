// Fuzz target: the Noise XX responder, as the daemon runs it (a responder
// Link with a fixed static key), fed a hostile initiator. The first input
// byte picks what the fuzzer controls:
//   0  the whole stream the responder reads: message 1, then message 3, then
//      anything after them;
//   1  message 1 comes from a real initiator (the fixed peer); the rest of
//      the input is the stream that follows message 2 (message 3 and on);
//   2  a real initiator runs the whole handshake; the rest of the input is
//      the hello it sends in message 3 (bit 7 of the first byte: the
//      responder refuses the initiator's key).
// Nobody but the fixed peer can complete the handshake (keys are fixed, so
// the fuzzer may replay the fixed peer's own messages, but it cannot forge
// another key's): whenever the responder reports it established, the
// remote key is the peer's, the check accepted it, and its hello is one
// decode_hello accepts.
#include <vector>

#include "peer.hpp"

using namespace peernet;
using namespace peernet::fuzz;

std::vector<Bytes> FuzzSeeds() {
  FixedRng rng;
  auto ini = make_peer(true, rng);
  Bytes msg1 = ini.write_message({}).value();
  std::vector<Bytes> seeds;
  Bytes raw = {0};
  Bytes f1 = framed(msg1);
  raw.insert(raw.end(), f1.begin(), f1.end());
  seeds.push_back(raw);
  Bytes m3 = {1, 0, 0, 0, 64};
  m3.resize(m3.size() + 64, 0x5a);
  seeds.push_back(m3);
  Bytes hello = {2};
  Bytes h = encode_hello(Hello{7469, {"exec", "zstd"}, std::string("417"), std::nullopt});
  hello.insert(hello.end(), h.begin(), h.end());
  seeds.push_back(hello);
  Bytes empty_hello = {2};
  Bytes e = encode_hello(Hello{});
  empty_hello.insert(empty_hello.end(), e.begin(), e.end());
  seeds.push_back(empty_hello);
  empty_hello[0] = 0x82;
  seeds.push_back(empty_hello);
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] & 0x7f;
  const bool refuse = (data[0] & 0x80) != 0;
  ByteView rest(data + 1, size - 1);
  FixedRng rng;
  Link link = make_link(false, rng);
  const RemoteCheck check = refuse ? refuse_all() : accept_peer();
  Link::Received got;
  Status s;
  switch (mode % 3) {
    case 0:
      s = link.receive(rest, check, got);
      break;
    case 1: {
      FixedRng peer_rng;
      auto ini = make_peer(true, peer_rng);
      Bytes msg1 = ini.write_message({}).value();
      require(link.receive(framed(msg1), check, got).ok(), "a real message 1 was refused");
      require(link.state() == Link::State::wrote_message2, "no message 2 after message 1");
      require(!take_all(link).empty(), "message 2 was not written");
      s = link.receive(rest, check, got);
      break;
    }
    default: {
      FixedRng peer_rng;
      auto ini = make_peer(true, peer_rng);
      Bytes msg1 = ini.write_message({}).value();
      require(link.receive(framed(msg1), check, got).ok(), "a real message 1 was refused");
      auto b = bodies(take_all(link));
      require(b.size() == 1, "the responder did not write exactly message 2");
      require(ini.read_message(b[0]).ok(), "the initiator cannot read message 2");
      auto msg3 = ini.write_message(rest);
      if (!msg3.ok()) return 0;  // a hello too large for one Noise message
      s = link.receive(framed(*msg3), check, got);
      auto hello = decode_hello(rest);
      if (got.established) {
        require(!refuse, "a refused initiator was established");
        require(link.remote_static() == peer_static().pub, "established with the wrong key");
        require(hello.ok() && link.remote_hello() == *hello, "established with a bad hello");
      } else if (!refuse && rest.size() <= 4096 && hello.ok()) {
        require(false, "a real handshake with a good hello failed");
      }
      break;
    }
  }
  if (got.established) {
    require(!refuse && link.remote_static() == peer_static().pub,
            "a forged handshake established the responder");
    require(link.remote_hello().has_value(), "established without a hello");
  }
  if (!s) {
    require(link.state() == Link::State::failed, "an error did not fail the link");
    Link::Received again;
    auto r = link.receive(rest, check, again);
    require(!r && r.error().code == Errc::closed, "a failed link read on");
  }
  (void)take_all(link);
  return 0;
}
