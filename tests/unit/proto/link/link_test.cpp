// Link: two of them wired back to back in memory, every byte stream cut into
// random chunks, as TCP may deliver it (guides/protocol.md §2–§6).
#include "proto/link/link.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace peernet {
namespace {

class TestRng : public Rng {
 public:
  explicit TestRng(uint64_t seed) : state_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<uint8_t>(state_ >> 56);
    }
  }

 private:
  uint64_t state_;
};

KeyPair key_of(uint8_t seed) {
  Bytes priv(kKeySize, seed);
  return keypair_from_private(priv).value();
}

Bytes bin_args(size_t n, uint8_t seed) {
  Bytes data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(seed + i * 7);
  Bytes out;
  MsgpackWriter(out).bin(data);
  return out;
}

Send send_of(std::string handle, size_t args_bytes = 0, uint8_t seed = 0) {
  return Send{std::move(handle), args_bytes ? bin_args(args_bytes, seed) : Bytes{0xc0}};
}

// A send to "h" whose encoding is exactly `total` bytes: [4, "h", bin] is 4
// bytes of envelope, then the bin's header (2, 3 or 5 bytes) and body.
Send send_sized(size_t total, uint8_t seed = 0) {
  size_t body = total - 4 - 2;
  if (body > 255) body = total - 4 - 3;
  if (body > 65535) body = total - 4 - 5;
  Send s = send_of("h", body, seed);
  EXPECT_EQ(encode(s).size(), total);
  return s;
}

// One side: its link, how it judges the other's key, and what it received.
struct Side {
  Side(Link l, const PublicKey& other) : link(std::move(l)), expected(other) {}

  Link link;
  PublicKey expected;  // the only key the default check accepts
  int checks = 0;
  bool refuse = false;
  int established = 0;
  std::vector<Envelope> got;
  std::optional<Error> error;  // the first error receive() returned

  RemoteCheck check() {
    return [this](const PublicKey& remote, const Hello&) -> Status {
      ++checks;
      if (refuse || remote != expected) return make_error(Errc::untrusted_peer, "not trusted");
      return {};
    };
  }
};

LinkConfig config_of(bool initiator, const KeyPair& key, uint16_t port) {
  LinkConfig c;
  c.initiator = initiator;
  c.local = key;
  c.hello.port = port;
  return c;
}

struct Pair {
  TestRng rng_i{1}, rng_r{2};
  KeyPair key_i = key_of(0x11), key_r = key_of(0x22);
  std::mt19937 cuts;
  Side ini, res;

  explicit Pair(uint32_t seed = 1, LinkConfig ci = {}, LinkConfig cr = {})
      : cuts(seed),
        ini{make(true, ci, key_i, rng_i), key_r.pub},
        res{make(false, cr, key_r, rng_r), key_i.pub} {}

  static Link make(bool initiator, LinkConfig c, const KeyPair& key, Rng& rng) {
    LinkConfig d = config_of(initiator, key, initiator ? 1111 : 2222);
    d.max_envelope = c.max_envelope;
    d.rekey_after_messages = c.rekey_after_messages;
    d.hello.max_envelope = c.hello.max_envelope;
    return Link::create(std::move(d), rng).value();
  }

  // Feeds `stream` to `to` in random chunks (sometimes whole), stopping at
  // the first error.
  void feed(Side& to, const Bytes& stream) {
    size_t off = 0;
    while (off < stream.size() && !to.error) {
      size_t n = cuts() % 4 == 0 ? stream.size() - off : 1 + cuts() % 97;
      n = std::min(n, stream.size() - off);
      Link::Received r;
      Status s = to.link.receive(ByteView(stream).subspan(off, n), to.check(), r);
      to.established += r.established ? 1 : 0;
      for (auto& e : r.envelopes) to.got.push_back(std::move(e));
      if (!s) to.error = s.error();
      off += n;
    }
  }

  // Moves everything `from` has to `to`; returns the frames.
  std::vector<Bytes> deliver(Side& from, Side& to) {
    std::vector<Bytes> frames;
    EXPECT_TRUE(from.link.take_output(frames).ok());
    Bytes stream;
    for (const auto& f : frames) stream.insert(stream.end(), f.begin(), f.end());
    feed(to, stream);
    return frames;
  }

  // The whole handshake; both sides established.
  void handshake() {
    ASSERT_TRUE(ini.link.start().ok());
    ASSERT_EQ(deliver(ini, res).size(), 1u);
    ASSERT_EQ(deliver(res, ini).size(), 1u);
    ASSERT_EQ(deliver(ini, res).size(), 1u);
    ASSERT_TRUE(ini.link.established());
    ASSERT_TRUE(res.link.established()) << (res.error ? res.error->describe() : "");
  }
};

Errc code_of(const Status& s) { return s.ok() ? Errc::internal : s.error().code; }

TEST(Link, HandshakeSucceeds) {
  Pair p;
  ASSERT_TRUE(p.ini.link.start().ok());
  EXPECT_EQ(p.ini.link.state(), Link::State::wrote_message1);
  auto m1 = p.deliver(p.ini, p.res);
  ASSERT_EQ(m1.size(), 1u);
  EXPECT_EQ(m1[0].size(), 4u + 32);
  EXPECT_EQ(p.res.link.state(), Link::State::wrote_message2);
  auto m2 = p.deliver(p.res, p.ini);
  ASSERT_EQ(m2.size(), 1u);
  const size_t hello = encode_hello(Hello{2222, {}, std::nullopt, std::nullopt}).size();
  EXPECT_EQ(m2[0].size(), 4u + 32 + 48 + hello + 16);
  EXPECT_EQ(p.ini.link.state(), Link::State::established);
  auto m3 = p.deliver(p.ini, p.res);
  ASSERT_EQ(m3.size(), 1u);
  EXPECT_EQ(m3[0].size(), 4u + 48 + hello + 16);

  for (Side* s : {&p.ini, &p.res}) {
    EXPECT_FALSE(s->error) << s->error->describe();
    EXPECT_TRUE(s->link.established());
    EXPECT_EQ(s->established, 1);
    EXPECT_EQ(s->checks, 1);
    ASSERT_TRUE(s->link.remote_static().has_value());
    EXPECT_EQ(*s->link.remote_static(), s->expected);
    EXPECT_FALSE(s->link.has_output());
  }
  EXPECT_EQ(p.ini.link.remote_hello()->port, 2222);
  EXPECT_EQ(p.res.link.remote_hello()->port, 1111);
  EXPECT_EQ(p.ini.link.handshake_hash().size(), 32u);
  EXPECT_EQ(p.ini.link.handshake_hash(), p.res.link.handshake_hash());
}

TEST(Link, InitiatorRefusalSendsNoMessage3) {
  Pair p;
  p.ini.refuse = true;
  ASSERT_TRUE(p.ini.link.start().ok());
  ASSERT_EQ(p.deliver(p.ini, p.res).size(), 1u);  // message 1, and nothing after it
  p.deliver(p.res, p.ini);
  ASSERT_TRUE(p.ini.error);
  EXPECT_EQ(p.ini.error->code, Errc::untrusted_peer);
  EXPECT_EQ(p.ini.checks, 1);
  EXPECT_EQ(p.ini.established, 0);
  EXPECT_EQ(p.ini.link.state(), Link::State::failed);
  // The key it refused is known, for the log line.
  EXPECT_EQ(*p.ini.link.remote_static(), p.key_r.pub);
  EXPECT_FALSE(p.ini.link.has_output());
  std::vector<Bytes> frames;
  EXPECT_TRUE(p.ini.link.take_output(frames).ok());
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(p.res.link.state(), Link::State::wrote_message2);
}

TEST(Link, ResponderRefusalSendsCloseUntrustedPeer) {
  Pair p(2);
  p.res.refuse = true;
  ASSERT_TRUE(p.ini.link.start().ok());
  p.deliver(p.ini, p.res);
  p.deliver(p.res, p.ini);
  // The initiator may send at once after message 3, in the same flush.
  ASSERT_TRUE(p.ini.link.queue(send_of("early")).ok());
  ASSERT_EQ(p.deliver(p.ini, p.res).size(), 2u);
  ASSERT_TRUE(p.res.error);
  EXPECT_EQ(p.res.error->code, Errc::untrusted_peer);
  EXPECT_EQ(p.res.established, 0);
  EXPECT_TRUE(p.res.got.empty());  // the early send is not read
  EXPECT_EQ(p.res.link.state(), Link::State::failed);
  EXPECT_TRUE(p.res.link.closing());

  auto frames = p.deliver(p.res, p.ini);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(p.ini.got.size(), 1u);
  EXPECT_EQ(p.ini.got[0], Envelope(Close{"untrusted_peer", ""}));
  EXPECT_TRUE(p.ini.link.remote_closed());
  EXPECT_EQ(code_of(p.ini.link.queue(Ping{1})), Errc::closed);

  // Nothing more from the failed side.
  EXPECT_EQ(code_of(p.res.link.queue(Ping{1})), Errc::invalid_state);
  p.res.link.queue_close("shutdown", "");
  p.res.link.request_rekey();
  EXPECT_FALSE(p.res.link.has_output());
  frames.clear();
  EXPECT_TRUE(p.res.link.take_output(frames).ok());
  EXPECT_TRUE(frames.empty());
}

TEST(Link, AnEmptyCheckRefusesEveryone) {
  TestRng rng(3);
  Link res = Link::create(config_of(false, key_of(0x22), 1), rng).value();
  Link ini = Link::create(config_of(true, key_of(0x11), 1), rng).value();
  ASSERT_TRUE(ini.start().ok());
  std::vector<Bytes> f;
  Link::Received r;
  ASSERT_TRUE(ini.take_output(f).ok());
  ASSERT_TRUE(res.receive(f[0], {}, r).ok());
  f.clear();
  ASSERT_TRUE(res.take_output(f).ok());
  EXPECT_EQ(code_of(ini.receive(f[0], {}, r)), Errc::untrusted_peer);
  EXPECT_FALSE(r.established);
}

// A hello the responder cannot accept, sent by a bare Noise initiator: the
// responder says why in a close (§3.1).
TEST(Link, ResponderClosesOnAnUnsupportedHello) {
  TestRng rng(4);
  Link res = Link::create(config_of(false, key_of(0x22), 1), rng).value();
  noise::HandshakeConfig hc;
  hc.protocol_name = std::string(kNoiseProtocolName);
  hc.initiator = true;
  hc.prologue = Bytes(kPrologue.begin(), kPrologue.end());
  hc.local_static = key_of(0x11);
  auto hs = noise::HandshakeState::create(hc, rng).value();
  const Bytes v2 = from_hex("83a17602a4706f727400a46361707390").value();  // {"v":2,"port":0,"caps":[]}

  int checks = 0;
  RemoteCheck check = [&](const PublicKey&, const Hello&) -> Status {
    ++checks;
    return {};
  };
  Link::Received r;
  Bytes frame;
  ASSERT_TRUE(append_frame(frame, hs.write_message({}).value()).ok());
  ASSERT_TRUE(res.receive(frame, check, r).ok());
  std::vector<Bytes> out;
  ASSERT_TRUE(res.take_output(out).ok());
  ASSERT_TRUE(hs.read_message(ByteView(out[0]).subspan(4)).ok());
  frame.clear();
  ASSERT_TRUE(append_frame(frame, hs.write_message(v2).value()).ok());
  EXPECT_EQ(code_of(res.receive(frame, check, r)), Errc::unsupported);
  EXPECT_FALSE(r.established);
  EXPECT_EQ(checks, 0);

  out.clear();
  ASSERT_TRUE(res.take_output(out).ok());
  ASSERT_EQ(out.size(), 1u);
  auto ts = std::move(hs).split().value();
  Bytes plain = ts.decrypt(ByteView(out[0]).subspan(4)).value();
  RecordReader reader;
  ASSERT_TRUE(reader.feed(plain).ok());
  auto env = reader.next().value();
  ASSERT_TRUE(env.has_value());
  auto close = decode_envelope(*env).value();
  ASSERT_TRUE(std::holds_alternative<Close>(close));
  EXPECT_EQ(std::get<Close>(close).reason, "unsupported");
}

TEST(Link, Message1OfTheWrongSize) {
  for (size_t n : {31u, 33u, 80u}) {
    TestRng rng(5);
    Link res = Link::create(config_of(false, key_of(0x22), 1), rng).value();
    Bytes frame;
    ASSERT_TRUE(append_frame(frame, Bytes(n, 9)).ok());
    Link::Received r;
    EXPECT_EQ(code_of(res.receive(frame, {}, r)), Errc::protocol_error) << n;
    EXPECT_EQ(res.state(), Link::State::failed);
    EXPECT_FALSE(res.has_output());
    EXPECT_EQ(code_of(res.receive(frame, {}, r)), Errc::closed);
  }
}

// Message 2 is queued, then the same chunk fails the handshake: the queued
// message is dropped with everything else.
TEST(Link, FailureDropsAQueuedHandshakeMessage) {
  Pair p(6);
  ASSERT_TRUE(p.ini.link.start().ok());
  std::vector<Bytes> f;
  ASSERT_TRUE(p.ini.link.take_output(f).ok());
  Bytes stream = f[0];
  ASSERT_TRUE(append_frame(stream, Bytes(64, 1)).ok());  // not a valid message 3
  p.feed(p.res, stream);
  ASSERT_TRUE(p.res.error);
  EXPECT_EQ(p.res.link.state(), Link::State::failed);
  EXPECT_FALSE(p.res.link.has_output());
}

TEST(Link, GarbageAfterTheHandshakeIsDecryptFailed) {
  Pair p(7);
  p.handshake();
  // Queued before the failure and never sent: only the close goes out.
  ASSERT_TRUE(p.res.link.queue(send_of("a")).ok());
  ASSERT_TRUE(p.res.link.queue(send_of("b")).ok());
  Bytes garbage;
  ASSERT_TRUE(append_frame(garbage, Bytes(40, 0x5a)).ok());
  p.feed(p.res, garbage);
  ASSERT_TRUE(p.res.error);
  EXPECT_EQ(p.res.error->code, Errc::decrypt_failed);
  EXPECT_EQ(p.res.link.state(), Link::State::failed);
  EXPECT_EQ(p.deliver(p.res, p.ini).size(), 1u);
  ASSERT_EQ(p.ini.got.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<Close>(p.ini.got[0]));
  EXPECT_EQ(std::get<Close>(p.ini.got[0]).reason, "protocol_error");
  EXPECT_FALSE(p.res.link.has_output());
  Link::Received r;
  EXPECT_EQ(code_of(p.res.link.receive(garbage, {}, r)), Errc::closed);
}

TEST(Link, QueueRefusesAnOversizedEnvelope) {
  LinkConfig small;
  small.max_envelope = 1000;
  Pair p(8, small, small);
  p.handshake();
  EXPECT_EQ(code_of(p.ini.link.queue(send_sized(1001))), Errc::payload_too_large);
  EXPECT_EQ(code_of(p.ini.link.queue_encoded(Bytes(1001, 0xc0))), Errc::payload_too_large);
  EXPECT_TRUE(p.ini.link.established());  // the caller's mistake, not the link's
  EXPECT_FALSE(p.ini.link.has_output());
  ASSERT_TRUE(p.ini.link.queue(send_sized(1000)).ok());
  p.deliver(p.ini, p.res);
  ASSERT_EQ(p.res.got.size(), 1u);
  EXPECT_EQ(encode(p.res.got[0]).size(), 1000u);
}

// The responder announces a smaller maximum than the initiator's own: the
// initiator refuses what the responder would refuse, that envelope only, and
// the link goes on. A peer that announces nothing gets the sender's own.
TEST(Link, QueueRefusesWhatThePeerAnnouncedItRefuses) {
  LinkConfig ini, small;
  small.max_envelope = 2000;
  small.hello.max_envelope = 2000;
  Pair p(12, ini, small);
  p.handshake();
  ASSERT_TRUE(p.ini.link.remote_hello() && p.ini.link.remote_hello()->max_envelope);
  EXPECT_EQ(*p.ini.link.remote_hello()->max_envelope, 2000u);
  Status st = p.ini.link.queue(send_sized(2001));
  EXPECT_EQ(code_of(st), Errc::payload_too_large);
  EXPECT_NE(st.error().message.find("peer's maximum"), std::string::npos) << st.error().message;
  EXPECT_EQ(code_of(p.ini.link.queue_encoded(Bytes(2001, 0xc0))), Errc::payload_too_large);
  EXPECT_TRUE(p.ini.link.established());
  ASSERT_TRUE(p.ini.link.queue(send_sized(2000)).ok());
  p.deliver(p.ini, p.res);
  ASSERT_EQ(p.res.got.size(), 1u);
  EXPECT_FALSE(p.res.error);
  // The other way: the initiator announced nothing, so its default applies.
  EXPECT_FALSE(p.res.link.remote_hello()->max_envelope);
  EXPECT_TRUE(p.res.link.queue(send_sized(1500)).ok());
}

TEST(Link, QueueBeforeTheHandshake) {
  Pair p(9);
  EXPECT_EQ(code_of(p.ini.link.queue(Ping{1})), Errc::invalid_state);
  p.ini.link.request_rekey();
  p.ini.link.queue_close("shutdown", "");
  EXPECT_FALSE(p.ini.link.has_output());
  EXPECT_TRUE(p.ini.link.handshake_hash().empty());
}

TEST(Link, CoalescesSmallEnvelopes) {
  Pair p(10);
  p.handshake();
  std::vector<Envelope> sent;
  for (uint64_t i = 0; i < 100; ++i) {
    sent.push_back(i % 2 ? Envelope(Ping{i}) : Envelope(Call{i + 1, "h" + std::to_string(i), {0x90}}));
    ASSERT_TRUE(p.ini.link.queue(sent.back()).ok());
  }
  EXPECT_EQ(p.deliver(p.ini, p.res).size(), 1u);
  EXPECT_EQ(p.ini.link.messages_sent(), 1u);
  EXPECT_EQ(p.res.link.messages_received(), 1u);
  EXPECT_EQ(p.res.got, sent);
}

TEST(Link, OneMebibyteEnvelopeSpansFrames) {
  Pair p(11);
  p.handshake();
  Envelope big = send_sized(kDefaultMaxEnvelope, 3);
  EXPECT_EQ(code_of(p.ini.link.queue(send_sized(kDefaultMaxEnvelope + 1))), Errc::payload_too_large);
  ASSERT_TRUE(p.ini.link.queue(Ping{1}).ok());
  ASSERT_TRUE(p.ini.link.queue(big).ok());
  ASSERT_TRUE(p.ini.link.queue(Ping{2}).ok());
  auto frames = p.deliver(p.ini, p.res);
  // The first message holds ping 1 and the first 65507 bytes, 15 more are
  // full FRAGMENT_MOREs of 65516 bytes, and the last has the other 329 and
  // ping 2.
  EXPECT_EQ(frames.size(), 17u);
  for (const auto& f : frames) EXPECT_LE(f.size(), kFrameHeaderSize + kMaxFrameBody);
  ASSERT_FALSE(p.res.error) << p.res.error->describe();
  ASSERT_EQ(p.res.got.size(), 3u);
  EXPECT_EQ(p.res.got[0], Envelope(Ping{1}));
  EXPECT_EQ(p.res.got[1], big);
  EXPECT_EQ(p.res.got[2], Envelope(Ping{2}));
}

// Frame body sizes tell which messages carry REKEY: a ping [5, n] is 3
// bytes, its record 6, REKEY 3 more, the tag 16.
TEST(Link, RekeysEveryThirdMessageBothWays) {
  LinkConfig c;
  c.rekey_after_messages = 3;
  Pair p(12, c, c);
  p.handshake();
  for (uint64_t i = 0; i < 30; ++i) {
    for (Side* s : {&p.ini, &p.res}) {
      Side& other = s == &p.ini ? p.res : p.ini;
      ASSERT_TRUE(s->link.queue(Ping{i}).ok());
      auto frames = p.deliver(*s, other);
      ASSERT_EQ(frames.size(), 1u);
      const bool rekey = (i + 1) % 3 == 0;
      EXPECT_EQ(frames[0].size(), 4u + 6 + (rekey ? 3 : 0) + 16) << i;
      ASSERT_FALSE(other.error) << i << ": " << other.error->describe();
      ASSERT_EQ(other.got.size(), i + 1);
      EXPECT_EQ(other.got.back(), Envelope(Ping{i}));
    }
  }
}

// Every message ends with REKEY, and an envelope of 65514..65516 bytes does
// not fit beside it: it is fragmented rather than deferred forever.
TEST(Link, RekeyEveryMessageWithEnvelopesThatBarelyFit) {
  LinkConfig c;
  c.rekey_after_messages = 1;
  Pair p(13, c, c);
  p.handshake();
  for (size_t n : {65513u, 65514u, 65516u}) {
    Envelope e = send_sized(n, static_cast<uint8_t>(n));
    ASSERT_TRUE(p.ini.link.queue(e).ok());
    auto frames = p.deliver(p.ini, p.res);
    EXPECT_EQ(frames.size(), n == 65513 ? 1u : 2u) << n;
    ASSERT_FALSE(p.res.error) << p.res.error->describe();
    ASSERT_FALSE(p.res.got.empty());
    EXPECT_EQ(p.res.got.back(), e);
  }
  ASSERT_TRUE(p.res.link.queue(Pong{5}).ok());
  p.deliver(p.res, p.ini);
  ASSERT_EQ(p.ini.got.size(), 1u);
}

TEST(Link, RequestRekey) {
  Pair p(14);
  p.handshake();
  p.ini.link.request_rekey();
  EXPECT_TRUE(p.ini.link.has_output());
  auto frames = p.deliver(p.ini, p.res);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].size(), 4u + 3 + 16);  // a REKEY record alone
  EXPECT_FALSE(p.ini.link.has_output());
  EXPECT_TRUE(p.res.got.empty());
  // Both directions still work, and the rekeyed one keeps its nonce order.
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.ini.link.queue(Ping{i}).ok());
    p.ini.link.request_rekey();
    EXPECT_EQ(p.deliver(p.ini, p.res)[0].size(), 4u + 6 + 3 + 16);
    ASSERT_TRUE(p.res.link.queue(Pong{i}).ok());
    p.deliver(p.res, p.ini);
  }
  ASSERT_FALSE(p.res.error);
  ASSERT_FALSE(p.ini.error);
  EXPECT_EQ(p.res.got.size(), 3u);
  EXPECT_EQ(p.ini.got.size(), 3u);
  EXPECT_EQ(p.ini.link.messages_sent(), 4u);
}

TEST(Link, StartMisuse) {
  Pair p(15);
  EXPECT_EQ(code_of(p.res.link.start()), Errc::invalid_state);
  EXPECT_EQ(p.res.link.state(), Link::State::initial);
  EXPECT_FALSE(p.res.link.has_output());
  ASSERT_TRUE(p.ini.link.start().ok());
  EXPECT_EQ(code_of(p.ini.link.start()), Errc::invalid_state);
  EXPECT_EQ(p.ini.link.state(), Link::State::wrote_message1);
  // Neither misuse harmed the links.
  p.deliver(p.ini, p.res);
  p.deliver(p.res, p.ini);
  p.deliver(p.ini, p.res);
  EXPECT_TRUE(p.ini.link.established());
  EXPECT_TRUE(p.res.link.established());
  EXPECT_EQ(code_of(p.ini.link.start()), Errc::invalid_state);

  // A responder may not speak first.
  Pair q(16);
  Bytes frame;
  ASSERT_TRUE(append_frame(frame, Bytes(32, 1)).ok());
  q.feed(q.ini, frame);
  ASSERT_TRUE(q.ini.error);
  EXPECT_EQ(q.ini.error->code, Errc::protocol_error);
}

// A transport message is processed whole or not at all (§4.2).
TEST(Link, ABadEnvelopeVoidsItsWholeMessage) {
  Pair p(17);
  p.handshake();
  ASSERT_TRUE(p.ini.link.queue(Ping{1}).ok());
  std::vector<Bytes> first;
  ASSERT_TRUE(p.ini.link.take_output(first).ok());
  ASSERT_TRUE(p.ini.link.queue(Ping{2}).ok());
  ASSERT_TRUE(p.ini.link.queue_encoded(Bytes{0x92, 0x05}).ok());  // truncated ping
  ASSERT_TRUE(p.ini.link.queue(Ping{3}).ok());
  std::vector<Bytes> second;
  ASSERT_TRUE(p.ini.link.take_output(second).ok());
  ASSERT_EQ(second.size(), 1u);
  Bytes stream = first[0];
  stream.insert(stream.end(), second[0].begin(), second[0].end());
  Link::Received r;
  EXPECT_EQ(code_of(p.res.link.receive(stream, p.res.check(), r)), Errc::protocol_error);
  ASSERT_EQ(r.envelopes.size(), 1u);  // the first message's, not the second's
  EXPECT_EQ(r.envelopes[0], Envelope(Ping{1}));
}

TEST(Link, NothingIsReadAfterAClose) {
  Pair p(18);
  p.handshake();
  ASSERT_TRUE(p.res.link.queue(Pong{9}).ok());  // dropped once the close is read
  ASSERT_TRUE(p.ini.link.queue(Ping{1}).ok());
  p.ini.link.queue_close("shutdown", "bye");
  EXPECT_TRUE(p.ini.link.closing());
  EXPECT_EQ(code_of(p.ini.link.queue(Ping{2})), Errc::closed);
  p.ini.link.request_rekey();  // ignored: nothing follows a close
  std::vector<Bytes> frames;
  ASSERT_TRUE(p.ini.link.take_output(frames).ok());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].size(), 4u + 6 + 3 + 15 + 16);  // ping, then [7, "shutdown", "bye"]
  Bytes stream = frames[0];
  ASSERT_TRUE(append_frame(stream, Bytes(40, 0x5a)).ok());  // after the close: ignored
  p.feed(p.res, stream);
  ASSERT_FALSE(p.res.error) << p.res.error->describe();
  ASSERT_EQ(p.res.got.size(), 2u);
  EXPECT_EQ(p.res.got[1], Envelope(Close{"shutdown", "bye"}));
  EXPECT_TRUE(p.res.link.remote_closed());
  // The receiver does not answer a close.
  EXPECT_EQ(code_of(p.res.link.queue(Pong{1})), Errc::closed);
  p.res.link.queue_close("shutdown", "");
  EXPECT_FALSE(p.res.link.has_output());
  EXPECT_TRUE(p.res.link.established());
}

TEST(Link, OneCloseOnly) {
  Pair p(19);
  p.handshake();
  p.ini.link.queue_close("duplicate", "");
  p.ini.link.queue_close("shutdown", "");
  p.ini.link.queue_close("Not A Code", "");
  p.deliver(p.ini, p.res);
  ASSERT_EQ(p.res.got.size(), 1u);
  EXPECT_EQ(p.res.got[0], Envelope(Close{"duplicate", ""}));
}

TEST(Link, CreateRefusesABadHello) {
  TestRng rng(20);
  LinkConfig c = config_of(true, key_of(1), 1);
  c.hello.caps = {""};
  EXPECT_EQ(Link::create(c, rng).error().code, Errc::bad_request);
  c.hello.caps = std::vector<std::string>(33, "x");
  EXPECT_EQ(Link::create(c, rng).error().code, Errc::bad_request);
  c.hello.caps = std::vector<std::string>(32, std::string(64, 'x'));
  EXPECT_TRUE(Link::create(c, rng).ok());
}

// Many envelopes of mixed sizes both ways, cut at random: FIFO per direction.
TEST(Link, RandomTraffic) {
  LinkConfig c;
  c.rekey_after_messages = 5;
  Pair p(21, c, c);
  p.handshake();
  std::mt19937 gen(21);
  std::vector<Envelope> sent_i, sent_r;
  for (int round = 0; round < 40; ++round) {
    for (Side* s : {&p.ini, &p.res}) {
      auto& sent = s == &p.ini ? sent_i : sent_r;
      int n = 1 + static_cast<int>(gen() % 6);
      for (int k = 0; k < n; ++k) {
        size_t size = gen() % 8 == 0 ? 1 + gen() % 150000 : gen() % 300;
        sent.push_back(send_of("s" + std::to_string(round), size, static_cast<uint8_t>(gen())));
        ASSERT_TRUE(s->link.queue(sent.back()).ok());
      }
      if (gen() % 7 == 0) s->link.request_rekey();
      p.deliver(*s, s == &p.ini ? p.res : p.ini);
    }
  }
  ASSERT_FALSE(p.ini.error);
  ASSERT_FALSE(p.res.error);
  EXPECT_EQ(p.res.got, sent_i);
  EXPECT_EQ(p.ini.got, sent_r);
}

}  // namespace
}  // namespace peernet
