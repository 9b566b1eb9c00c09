// HandshakeState and TransportState (Noise spec rev 34 §5.3), driven the way
// the daemon drives XX.
#include "proto/noise/handshake_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

namespace peernet::noise {
namespace {

constexpr const char* kXX = "Noise_XX_25519_ChaChaPoly_SHA256";

template <class T>
std::optional<Errc> code(const Result<T>& r) {
  return r.ok() ? std::nullopt : std::optional<Errc>(r.error().code);
}

// Deterministic stand-in for the system generator (an LCG; any 32 bytes
// are a valid X25519 private key).
class TestRng : public Rng {
 public:
  explicit TestRng(uint64_t seed) : state_(seed) {}
  void fill(std::span<uint8_t> out) override {
    ++calls;
    for (auto& b : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<uint8_t>(state_ >> 56);
    }
  }
  int calls = 0;

 private:
  uint64_t state_;
};

struct XxPeers {
  TestRng rng_i{1}, rng_r{2};
  KeyPair static_i = generate_keypair(rng_i);
  KeyPair static_r = generate_keypair(rng_r);
  HandshakeState init = make(true);
  HandshakeState resp = make(false);

  HandshakeState make(bool initiator) {
    HandshakeConfig c;
    c.protocol_name = kXX;
    c.initiator = initiator;
    c.prologue = Bytes{'p', 'e', 'e', 'r', 'n', 'e', 't', '/', '1'};
    c.local_static = initiator ? static_i : static_r;
    auto hs = HandshakeState::create(c, initiator ? rng_i : rng_r);
    EXPECT_TRUE(hs.ok()) << hs.error().describe();
    return std::move(hs).value();
  }
};

TEST(NoiseHandshake, XxRoundTripAndTransport) {
  XxPeers p;
  EXPECT_TRUE(p.init.is_initiator());
  EXPECT_TRUE(p.init.is_my_turn());
  EXPECT_FALSE(p.resp.is_my_turn());

  // -> e
  auto m1 = p.init.write_message({});
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->size(), 32u);  // e in clear, empty cleartext payload
  ASSERT_TRUE(p.resp.read_message(*m1).ok());
  EXPECT_EQ(p.rng_i.calls, 2);  // the static key, then e from the injected Rng

  // <- e, ee, s, es
  auto m2 = p.resp.write_message(as_bytes("resp payload"));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->size(), 32u + 48u + 12u + 16u);
  auto pl2 = p.init.read_message(*m2);
  ASSERT_TRUE(pl2.ok()) << pl2.error().describe();
  EXPECT_EQ(as_chars(*pl2), "resp payload");

  // The initiator knows who answered before revealing itself in message 3.
  ASSERT_TRUE(p.init.remote_static().has_value());
  EXPECT_EQ(*p.init.remote_static(), p.static_r.pub);
  EXPECT_FALSE(p.resp.remote_static().has_value());
  EXPECT_EQ(p.init.message_index(), 2u);
  EXPECT_TRUE(p.init.is_my_turn());

  // -> s, se
  auto m3 = p.init.write_message(as_bytes("init payload"));
  ASSERT_TRUE(m3.ok());
  EXPECT_EQ(m3->size(), 48u + 12u + 16u);
  auto pl3 = p.resp.read_message(*m3);
  ASSERT_TRUE(pl3.ok());
  EXPECT_EQ(as_chars(*pl3), "init payload");
  EXPECT_EQ(*p.resp.remote_static(), p.static_i.pub);

  EXPECT_TRUE(p.init.is_finished());
  EXPECT_TRUE(p.resp.is_finished());
  EXPECT_FALSE(p.init.is_my_turn());
  EXPECT_EQ(p.init.handshake_hash(), p.resp.handshake_hash());

  auto ti = std::move(p.init).split();
  auto tr = std::move(p.resp).split();
  ASSERT_TRUE(ti.ok() && tr.ok());
  EXPECT_EQ(ti->handshake_hash(), tr->handshake_hash());
  EXPECT_EQ(*tr->remote_static(), p.static_i.pub);
  EXPECT_TRUE(ti->is_initiator());
  EXPECT_FALSE(tr->is_initiator());

  for (int round = 0; round < 3; ++round) {
    auto a = ti->encrypt(as_bytes("ping"));
    ASSERT_TRUE(a.ok());
    auto a_pt = tr->decrypt(*a);
    ASSERT_TRUE(a_pt.ok());
    EXPECT_EQ(as_chars(*a_pt), "ping");
    auto b = tr->encrypt(as_bytes("pong"));
    ASSERT_TRUE(b.ok());
    auto b_pt = ti->decrypt(*b);
    ASSERT_TRUE(b_pt.ok());
    EXPECT_EQ(as_chars(*b_pt), "pong");
  }
  // The two directions use different keys: a message cannot be reflected.
  auto own = ti->encrypt(as_bytes("mirror")).value();
  EXPECT_EQ(code(ti->decrypt(own)), Errc::decrypt_failed);
}

TEST(NoiseHandshake, TamperedMessageLeavesTheStateUnchanged) {
  XxPeers p;
  ASSERT_TRUE(p.resp.read_message(p.init.write_message({}).value()).ok());
  Bytes m2 = p.resp.write_message(as_bytes("hello")).value();

  const Digest hash_before = p.init.handshake_hash();
  const size_t index_before = p.init.message_index();
  for (size_t at : {size_t{5}, size_t{40}, m2.size() - 1}) {  // e, encrypted s, payload tag
    Bytes bad = m2;
    bad[at] ^= 0x01;
    auto r = p.init.read_message(bad);
    ASSERT_FALSE(r.ok()) << "flipped byte " << at;
    EXPECT_EQ(r.error().code, Errc::decrypt_failed);
    EXPECT_EQ(p.init.handshake_hash(), hash_before);
    EXPECT_EQ(p.init.message_index(), index_before);
    EXPECT_FALSE(p.init.remote_static().has_value());
    EXPECT_FALSE(p.init.remote_ephemeral().has_value());
  }
  // Too short for its keys: a protocol error, still nothing changed.
  EXPECT_EQ(code(p.init.read_message(ByteView(m2).first(50))), Errc::protocol_error);
  EXPECT_EQ(p.init.handshake_hash(), hash_before);

  // The genuine message is still accepted, and the handshake completes.
  auto pl = p.init.read_message(m2);
  ASSERT_TRUE(pl.ok()) << pl.error().describe();
  EXPECT_EQ(as_chars(*pl), "hello");
  ASSERT_TRUE(p.resp.read_message(p.init.write_message({}).value()).ok());
  EXPECT_EQ(p.init.handshake_hash(), p.resp.handshake_hash());
}

TEST(NoiseHandshake, MisuseIsAnError) {
  XxPeers p;
  // The responder may not write first; the initiator may not read first.
  EXPECT_EQ(code(p.resp.write_message({})), Errc::invalid_state);
  EXPECT_EQ(code(p.init.read_message(Bytes(32))), Errc::invalid_state);
  EXPECT_EQ(p.init.message_index(), 0u);

  // Split before the end, which leaves the handshake usable.
  EXPECT_EQ(code(std::move(p.init).split()), Errc::invalid_state);
  Bytes m1 = p.init.write_message({}).value();
  EXPECT_EQ(code(p.init.write_message({})), Errc::invalid_state);  // twice in a row
  ASSERT_TRUE(p.resp.read_message(m1).ok());
  ASSERT_TRUE(p.init.read_message(p.resp.write_message({}).value()).ok());
  ASSERT_TRUE(p.resp.read_message(p.init.write_message({}).value()).ok());

  // After the last message nothing more is accepted.
  EXPECT_EQ(code(p.init.write_message({})), Errc::invalid_state);
  EXPECT_EQ(code(p.resp.read_message(m1)), Errc::invalid_state);
  auto t = std::move(p.init).split();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(code(std::move(p.init).split()), Errc::invalid_state);  // NOLINT: consumed
}

TEST(NoiseHandshake, MessageSizeLimit) {
  XxPeers p;
  // Message 1 is e (32 bytes) plus the cleartext payload: 65503 fits,
  // 65504 would make a 65536-byte message.
  EXPECT_EQ(code(p.init.write_message(Bytes(65535 - 32 + 1))), Errc::payload_too_large);
  EXPECT_EQ(code(p.init.write_message(Bytes(70000))), Errc::payload_too_large);
  EXPECT_EQ(p.init.message_index(), 0u);
  auto m1 = p.init.write_message(Bytes(65535 - 32, 'x'));
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->size(), 65535u);
  EXPECT_EQ(code(p.resp.read_message(Bytes(65536))), Errc::payload_too_large);
  auto pl = p.resp.read_message(*m1);
  ASSERT_TRUE(pl.ok());
  EXPECT_EQ(pl->size(), 65535u - 32);

  // Message 2 carries e, encrypted s and a tag: 65535 - 32 - 48 - 16.
  EXPECT_EQ(code(p.resp.write_message(Bytes(65535 - 96 + 1))), Errc::payload_too_large);
  auto m2 = p.resp.write_message(Bytes(65535 - 96));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->size(), 65535u);
}

TEST(NoiseHandshake, CreateValidatesKeys) {
  TestRng rng(3);
  HandshakeConfig c;
  c.protocol_name = kXX;
  c.initiator = true;
  EXPECT_EQ(code(HandshakeState::create(c, rng)), Errc::bad_key);  // XX sends s

  c.local_static = generate_keypair(rng);
  c.remote_static = generate_keypair(rng).pub;  // XX transmits it instead
  EXPECT_EQ(code(HandshakeState::create(c, rng)), Errc::bad_request);

  HandshakeConfig nk;
  nk.protocol_name = "Noise_NK_25519_ChaChaPoly_SHA256";
  nk.initiator = true;
  EXPECT_EQ(code(HandshakeState::create(nk, rng)), Errc::bad_key);  // needs rs up front
  nk.remote_static = generate_keypair(rng).pub;
  EXPECT_TRUE(HandshakeState::create(nk, rng).ok());

  HandshakeConfig psk;
  psk.protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256";
  EXPECT_EQ(code(HandshakeState::create(psk, rng)), Errc::bad_request);  // no psk
  psk.psks = {Bytes(31)};
  EXPECT_EQ(code(HandshakeState::create(psk, rng)), Errc::bad_key);
  psk.psks = {Bytes(32, 7)};
  EXPECT_TRUE(HandshakeState::create(psk, rng).ok());

  HandshakeConfig other;
  other.protocol_name = "Noise_XX_448_ChaChaPoly_SHA256";
  EXPECT_EQ(code(HandshakeState::create(other, rng)), Errc::unsupported);
}

TEST(NoiseHandshake, PrologueMismatchFailsTheHandshake) {
  TestRng rng_i(4), rng_r(5);
  HandshakeConfig ci, cr;
  ci.protocol_name = cr.protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256";
  ci.initiator = true;
  ci.prologue = Bytes{'v', '1'};
  cr.prologue = Bytes{'v', '2'};
  auto init = HandshakeState::create(ci, rng_i).value();
  auto resp = HandshakeState::create(cr, rng_r).value();
  ASSERT_TRUE(resp.read_message(init.write_message({}).value()).ok());  // m1 is unencrypted
  EXPECT_EQ(code(init.read_message(resp.write_message({}).value())), Errc::decrypt_failed);
}

TEST(NoiseHandshake, LowOrderKeysAreRejected) {
  // Writing: the responder's ee against an all-zero initiator e yields an
  // all-zero DH output, which x25519() refuses.
  XxPeers p;
  ASSERT_TRUE(p.init.write_message({}).ok());
  ASSERT_TRUE(p.resp.read_message(Bytes(32, 0)).ok());  // "e" alone does no DH
  EXPECT_EQ(code(p.resp.write_message({})), Errc::bad_key);
  EXPECT_EQ(p.resp.message_index(), 1u);

  // Reading: message 2 with an all-zero e fails at ee, state unchanged.
  XxPeers q;
  ASSERT_TRUE(q.resp.read_message(q.init.write_message({}).value()).ok());
  Bytes m2 = q.resp.write_message({}).value();
  std::fill_n(m2.begin(), 32, 0);
  EXPECT_EQ(code(q.init.read_message(m2)), Errc::bad_key);
  EXPECT_EQ(q.init.message_index(), 1u);
  EXPECT_FALSE(q.init.remote_ephemeral().has_value());
}

TEST(NoiseTransport, OneWayResponderOnlyReceives) {
  TestRng rng_i(6), rng_r(7);
  KeyPair rs = generate_keypair(rng_r);
  HandshakeConfig ci, cr;
  ci.protocol_name = cr.protocol_name = "Noise_N_25519_ChaChaPoly_SHA256";
  ci.initiator = true;
  ci.remote_static = rs.pub;
  cr.local_static = rs;
  auto init = HandshakeState::create(ci, rng_i).value();
  auto resp = HandshakeState::create(cr, rng_r).value();
  ASSERT_TRUE(resp.read_message(init.write_message(as_bytes("one")).value()).ok());
  ASSERT_TRUE(init.is_finished() && resp.is_finished());
  auto ti = std::move(init).split().value();
  auto tr = std::move(resp).split().value();
  EXPECT_TRUE(ti.can_send());
  EXPECT_FALSE(ti.can_receive());
  EXPECT_FALSE(tr.can_send());
  auto m = ti.encrypt(as_bytes("two")).value();
  EXPECT_EQ(as_chars(tr.decrypt(m).value()), "two");
  // Never plaintext on the wire from the keyless direction.
  EXPECT_EQ(code(tr.encrypt(as_bytes("back"))), Errc::invalid_state);
  EXPECT_EQ(code(ti.decrypt(m)), Errc::invalid_state);
  EXPECT_EQ(code(tr.rekey_send()), Errc::invalid_state);
}

struct Transports {
  TransportState i, r;
};

Transports finished_xx() {
  XxPeers p;
  EXPECT_TRUE(p.resp.read_message(p.init.write_message({}).value()).ok());
  EXPECT_TRUE(p.init.read_message(p.resp.write_message({}).value()).ok());
  EXPECT_TRUE(p.resp.read_message(p.init.write_message({}).value()).ok());
  return Transports{std::move(p.init).split().value(), std::move(p.resp).split().value()};
}

TEST(NoiseTransport, TamperedMessageKeepsTheReceiveNonce) {
  auto t = finished_xx();
  auto m = t.i.encrypt(as_bytes("data")).value();
  Bytes bad = m;
  bad[0] ^= 1;
  EXPECT_EQ(code(t.r.decrypt(bad)), Errc::decrypt_failed);
  EXPECT_EQ(t.r.recv_nonce(), 0u);
  EXPECT_EQ(as_chars(t.r.decrypt(m).value()), "data");
  EXPECT_EQ(t.r.recv_nonce(), 1u);
  EXPECT_EQ(t.i.send_nonce(), 1u);
}

TEST(NoiseTransport, SizeLimitAndCallerBuffers) {
  auto t = finished_xx();
  EXPECT_EQ(code(t.i.encrypt(Bytes(TransportState::kMaxPlaintext + 1))), Errc::payload_too_large);
  EXPECT_EQ(code(t.r.decrypt(Bytes(65536))), Errc::payload_too_large);
  EXPECT_EQ(t.i.send_nonce(), 0u);

  // Largest message, sealed in place in the caller's buffer.
  Bytes buf(65535, 'q');
  auto n = t.i.encrypt(ByteView(buf).first(TransportState::kMaxPlaintext), buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 65535u);
  auto m = t.r.decrypt(buf, buf);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, TransportState::kMaxPlaintext);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + 16), Bytes(16, 'q'));
}

TEST(NoiseTransport, RekeyPerDirection) {
  auto t = finished_xx();
  ASSERT_TRUE(t.i.rekey_send().ok());
  auto m = t.i.encrypt(as_bytes("a")).value();
  EXPECT_EQ(code(t.r.decrypt(m)), Errc::decrypt_failed);  // r has not rekeyed
  ASSERT_TRUE(t.r.rekey_recv().ok());
  EXPECT_EQ(as_chars(t.r.decrypt(m).value()), "a");
  // The other direction kept its key.
  auto back = t.r.encrypt(as_bytes("b")).value();
  EXPECT_EQ(as_chars(t.i.decrypt(back).value()), "b");
}

}  // namespace
}  // namespace peernet::noise
