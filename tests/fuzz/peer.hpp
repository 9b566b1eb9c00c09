// What the handshake and Link fuzz targets share: fixed keys, a fixed
// generator, and a fixed peer that speaks raw Noise (noise::HandshakeState and
// noise::TransportState), so that a target can hand the Link under test
// messages a real peer would send with payloads of the fuzzer's choosing.
// Everything is deterministic: the same input always takes the same path.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/link/frame.hpp"
#include "proto/link/hello.hpp"
#include "proto/link/link.hpp"
#include "proto/noise/handshake_state.hpp"
#include "proto/rng.hpp"
#include "require.hpp"

namespace peernet::fuzz {

class FixedRng final : public Rng {
 public:
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(++n_ * 37);
  }

 private:
  uint32_t n_ = 0;
};

inline KeyPair key_of(uint8_t seed) {
  Bytes priv(kKeySize, seed);
  return keypair_from_private(priv).value();
}

// The keys every run uses: the Link under test, and the fixed peer.
inline const KeyPair& local_static() {
  static const KeyPair k = key_of(0x11);
  return k;
}
inline const KeyPair& local_ephemeral() {
  static const KeyPair k = key_of(0x12);
  return k;
}
inline const KeyPair& peer_static() {
  static const KeyPair k = key_of(0x21);
  return k;
}
inline const KeyPair& peer_ephemeral() {
  static const KeyPair k = key_of(0x22);
  return k;
}

// The Link under test, with fixed keys.
inline Link make_link(bool initiator, Rng& rng) {
  LinkConfig c;
  c.initiator = initiator;
  c.local = local_static();
  c.fixed_ephemeral = local_ephemeral();
  c.hello = Hello{4242, {"exec"}, std::nullopt, std::nullopt};
  auto link = Link::create(std::move(c), rng);
  require(link.ok(), "Link::create failed");
  return std::move(*link);
}

// The fixed peer's side of the handshake, as raw Noise.
inline noise::HandshakeState make_peer(bool initiator, Rng& rng) {
  noise::HandshakeConfig hc;
  hc.protocol_name = std::string(kNoiseProtocolName);
  hc.initiator = initiator;
  const ByteView prologue = as_bytes(kPrologue);
  hc.prologue.assign(prologue.begin(), prologue.end());
  hc.local_static = peer_static();
  hc.local_ephemeral = peer_ephemeral();
  auto hs = noise::HandshakeState::create(hc, rng);
  require(hs.ok(), "HandshakeState::create failed");
  return std::move(*hs);
}

// Accepts the fixed peer only.
inline RemoteCheck accept_peer() {
  return [](const PublicKey& remote, const Hello&) -> Status {
    if (remote != peer_static().pub) return make_error(Errc::untrusted_peer, "not the fixed peer");
    return {};
  };
}

inline RemoteCheck refuse_all() {
  return [](const PublicKey&, const Hello&) -> Status {
    return make_error(Errc::untrusted_peer, "refused");
  };
}

inline Bytes framed(ByteView body) {
  Bytes out;
  require(append_frame(out, body).ok(), "cannot frame a message");
  return out;
}

// The frames the link has to send, concatenated.
inline Bytes take_all(Link& link) {
  std::vector<Bytes> frames;
  (void)link.take_output(frames);
  Bytes out;
  for (auto& f : frames) out.insert(out.end(), f.begin(), f.end());
  return out;
}

// Splits a stream of whole frames into their bodies.
inline std::vector<Bytes> bodies(const Bytes& stream) {
  FrameDecoder dec;
  std::vector<Bytes> out;
  require(dec.feed(stream).ok(), "the link wrote a bad frame header");
  for (;;) {
    auto body = dec.next();
    require(body.ok(), "the link wrote a bad frame");
    if (!*body) break;
    out.emplace_back((**body).begin(), (**body).end());
  }
  return out;
}

// Fuzz input read as length-prefixed pieces: a big-endian u16 length, then
// that many bytes (fewer at the end of the input).
class Pieces {
 public:
  Pieces(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  ByteView next() {
    size_t n = data_[at_++];
    if (at_ < size_) n = (n << 8) | data_[at_++];
    if (n > size_ - at_) n = size_ - at_;
    ByteView piece(data_ + at_, n);
    at_ += n;
    return piece;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

inline void put_piece(Bytes& out, ByteView piece) {
  out.push_back(static_cast<uint8_t>(piece.size() >> 8));
  out.push_back(static_cast<uint8_t>(piece.size()));
  out.insert(out.end(), piece.begin(), piece.end());
}

}  // namespace peernet::fuzz
