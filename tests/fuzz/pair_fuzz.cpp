// Fuzz target: the pairing exchange fed by a hostile other side. The input
// is a sequence of frames (a length byte, then that many bytes), each
// decoded as an envelope and, when it is a pair envelope, handed to a host
// exchange and to a joiner exchange. Neither may crash; a step that fails
// ends that exchange for good; nobody without the code can make the host
// accept its confirmation, so the host never reports success.
#include <vector>

#include "proto/link/envelope.hpp"
#include "proto/pairing/exchange.hpp"
#include "require.hpp"

using namespace peernet;

namespace {

class FixedRng final : public Rng {
 public:
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(++n_ * 37);
  }

 private:
  uint32_t n_ = 0;
};

PublicKey key(uint8_t fill) {
  PublicKey k;
  k.bytes.fill(fill);
  return k;
}

Bytes frames(const std::vector<Envelope>& envelopes) {
  Bytes out;
  for (const Envelope& e : envelopes) {
    Bytes b = encode(e);
    out.push_back(static_cast<uint8_t>(b.size()));
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  return {
      frames({Pair{1, Bytes(32, 0x42), ""}, Pair{3, Bytes(32, 0x17), "laptop"}}),
      frames({Pair{2, Bytes(32, 0x99), ""}, Pair{4, Bytes(32, 0x01), "pi"}}),
      frames({Pair{1, Bytes(32, 0), ""}}),
      frames({Pair{3, Bytes(32, 1), "x"}, Pair{1, Bytes(31, 2), ""}}),
      frames({Ping{1}, Pair{1, Bytes(64, 0xff), std::string(64, 'n')}}),
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FixedRng rng;
  const Bytes hash(32, 7);
  Pair first;
  auto host = pairing::Exchange::start({pairing::Side::host, "417-k7hx2", hash, key(1), key(2), "pi"}, rng, first);
  auto joiner =
      pairing::Exchange::start({pairing::Side::joiner, "417-k7hx2", hash, key(1), key(2), "laptop"}, rng, first);
  require(host.ok() && joiner.ok(), "an exchange did not start");
  bool host_dead = false, joiner_dead = false;
  size_t at = 0;
  while (at < size) {
    size_t n = data[at++];
    if (n > size - at) n = size - at;
    auto e = decode_envelope(ByteView(data + at, n));
    at += n;
    if (!e.ok()) continue;
    auto* pair = std::get_if<Pair>(&*e);
    if (pair == nullptr) continue;
    auto h = host->on_message(*pair);
    if (!h.ok()) {
      host_dead = true;
    } else {
      require(!host_dead, "the host exchange went on after a failure");
      require(!h->paired_with, "the host accepted a confirmation from someone without the code");
    }
    auto j = joiner->on_message(*pair);
    if (!j.ok()) {
      joiner_dead = true;
    } else {
      require(!joiner_dead, "the joiner exchange went on after a failure");
      require(!j->paired_with, "the joiner accepted a confirmation from someone without the code");
    }
  }
  return 0;
}
