// One Session against a scripted host, over loopback TCP: the write pump,
// backpressure, liveness, graceful close and the lifecycle notifications.
#include "peers/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/constants.hpp"
#include "../daemon_fixture.hpp"
#include "base/random.hpp"
#include "../raw_peer.hpp"

namespace peernet::testing {
namespace {

struct FakeHost final : SessionHost {
  Status on_session_check(Session&, const PublicKey& remote, const Hello& hello) override {
    seen_hello = hello;
    if (reject) return make_error(Errc::untrusted_peer, "not on the list");
    remote_key = remote;
    return {};
  }
  void on_session_established(Session&) override { ++established; }
  void on_session_envelope(Session& s, Envelope&& e) override {
    // Like the registry: a remote close is answered by closing too.
    if (auto* c = std::get_if<Close>(&e)) s.close(c->reason);
    envelopes.push_back(std::move(e));
  }
  void on_session_closing(Session&) override { ++closing; }
  void on_session_closed(Session& s, const Error& e) override {
    ++closed;
    why = e;
    reason = s.close_reason();
    session.reset();  // allowed here (session.hpp)
  }

  bool reject = false;
  int established = 0, closing = 0, closed = 0;
  std::optional<Hello> seen_hello;
  std::optional<PublicKey> remote_key;
  std::vector<Envelope> envelopes;
  std::optional<Error> why;
  std::string reason;
  std::unique_ptr<Session> session;
};

class SessionTest : public LoopTest {
 protected:
  void SetUp() override {
    LoopTest::SetUp();
    keys_a_ = generate_keypair(rng_);
    keys_b_ = generate_keypair(rng_);
  }

  Session::Params params(bool initiator, const KeyPair& keys, uint16_t port = 0) {
    Session::Params p;
    p.id = initiator ? 1 : 2;
    p.initiator = initiator;
    p.local = &keys;
    p.hello.port = port;
    p.settings = settings_;
    return p;
  }

  // A listener whose connections become responder Sessions of `host`.
  void listen_session(FakeHost& host, const KeyPair& keys) {
    auto l = uv::TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, {}, [this, &host, &keys](Result<uv::TcpStream> s) {
      ASSERT_TRUE(s.ok());
      auto sess = Session::create(&loop, std::move(*s), params(false, keys), host, rng_, log_);
      ASSERT_TRUE(sess.ok());
      host.session = std::move(*sess);
      host.session->start();
    });
    ASSERT_TRUE(l.ok());
    listener_ = std::move(*l);
  }

  // A listener whose connections go to a RawPeer.
  void listen_raw(RawPeer& raw) {
    auto l = uv::TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, {},
                                     [&raw](Result<uv::TcpStream> s) { raw.attach(std::move(*s)); });
    ASSERT_TRUE(l.ok());
    listener_ = std::move(*l);
  }

  // An initiator Session of `host` dialling our listener.
  void dial_session(FakeHost& host, const KeyPair& keys) {
    auto to = SockAddr::from_ip("127.0.0.1", listener_.port());
    FakeHost* h = &host;
    auto s = uv::TcpStream::connect(&loop, *to, {}, [this, h, &keys](Status st) {
      ASSERT_TRUE(st.ok());
      auto sess = Session::create(&loop, std::move(pending_), params(true, keys, 4242), *h, rng_, log_);
      ASSERT_TRUE(sess.ok());
      h->session = std::move(*sess);
      h->session->start();
    });
    ASSERT_TRUE(s.ok());
    pending_ = std::move(*s);
  }

  void TearDown() override {
    listener_.close();
    pending_.close();
    LoopTest::TearDown();
  }

  OsRng rng_;
  KeyPair keys_a_, keys_b_;
  SessionSettings settings_;
  CaptureSink sink_;
  Logger log_{sink_, LogLevel::debug};
  uv::TcpListener listener_;
  uv::TcpStream pending_;
};

TEST_F(SessionTest, HandshakeThenGracefulCloseOnBothSides) {
  FakeHost a, b;
  listen_session(b, keys_b_);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.established && b.established; }));
  EXPECT_EQ(*a.session->remote(), keys_b_.pub);
  EXPECT_EQ(*b.session->remote(), keys_a_.pub);
  ASSERT_TRUE(b.seen_hello);
  EXPECT_EQ(b.seen_hello->port, 4242);  // the initiator's hello
  ASSERT_TRUE(a.session->send(Send{"h", mp_str("hi")}, Session::Priority::work).ok());
  ASSERT_TRUE(run_until([&] { return b.envelopes.size() == 1; }));

  a.session->close(kReasonShutdown, "bye");
  EXPECT_EQ(a.closing, 0);  // never from inside the call
  EXPECT_EQ(a.session->send(Send{"h", {}}, Session::Priority::work).error().code, Errc::closed);
  ASSERT_TRUE(run_until([&] { return a.closed && b.closed; }));
  EXPECT_EQ(a.closing, 1);
  EXPECT_EQ(b.closing, 1);
  EXPECT_EQ(a.reason, "shutdown");
  EXPECT_EQ(b.reason, "shutdown");
  auto* close = std::get_if<Close>(&b.envelopes.back());
  ASSERT_NE(close, nullptr);
  EXPECT_EQ(close->message, "bye");
  run_nowait();
  EXPECT_EQ(a.closed, 1);
  EXPECT_EQ(b.closed, 1);
}

TEST_F(SessionTest, RejectedInitiatorGetsACloseWithTheReason) {
  FakeHost b;
  b.reject = true;
  listen_session(b, keys_b_);
  RawPeer raw(rng_, true, keys_a_);
  auto s = uv::TcpStream::connect(&loop, *SockAddr::from_ip("127.0.0.1", listener_.port()), {}, [](Status) {});
  ASSERT_TRUE(s.ok());
  raw.attach(std::move(*s));
  ASSERT_TRUE(run_until([&] { return b.closed && raw.eof; }));
  EXPECT_EQ(b.established, 0);
  EXPECT_EQ(b.closing, 0);  // it never was open
  EXPECT_EQ(b.why->code, Errc::untrusted_peer);
  ASSERT_EQ(raw.received.size(), 1u);
  EXPECT_EQ(std::get<Close>(raw.received[0]).reason, "untrusted_peer");
}

TEST_F(SessionTest, QueuedEnvelopesShareNoiseMessages) {
  FakeHost a;
  RawPeer raw(rng_, false, keys_b_);
  listen_raw(raw);
  dial_session(a, keys_a_);
  // Established on both sides, and the pong to the responder's
  // confirmation ping arrived: nothing else is under way.
  ASSERT_TRUE(run_until([&] { return a.established && raw.established() && raw.received.size() == 1; }));
  ASSERT_TRUE(std::holds_alternative<Pong>(raw.received[0]));
  size_t before = raw.frames_received();  // message 1, message 3, the pong
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(a.session->send(Send{"h", mp_str(std::to_string(i))}, Session::Priority::work).ok());
  ASSERT_TRUE(run_until([&] { return raw.received.size() == 101; }));
  // The first went out at once, the other 99 together once it was written.
  EXPECT_LE(raw.frames_received() - before, 3u);
  EXPECT_EQ(std::get<Send>(raw.received[100]).args, mp_str("99"));
}

TEST_F(SessionTest, StalledReaderMeetsBusyWithBoundedMemory) {
  settings_.max_envelope = 64 * 1024;
  settings_.write_queue_limit = 256 * 1024;
  settings_.timers.handshake_timeout_ms = 300;  // bounds the final close
  FakeHost a;
  RawPeer raw(rng_, false, keys_b_);
  listen_raw(raw);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.established && raw.established(); }));
  raw.stop_reading();
  const size_t bound = settings_.write_queue_limit + settings_.max_envelope;
  Send big{"h", mp_bin(60'000)};
  size_t accepted = 0;
  // Fill the kernel's buffers and our queue, round after round, until even
  // a round of loop iterations lets nothing more through.
  for (int round = 0; round < 200; ++round) {
    size_t before = accepted;
    while (a.session->send(big, Session::Priority::work).ok()) ++accepted;
    ASSERT_LE(a.session->queued_bytes(), bound);
    run_nowait(5);
    if (accepted == before && round > 3) break;
  }
  EXPECT_EQ(a.session->send(big, Session::Priority::work).error().code, Errc::busy);
  EXPECT_TRUE(a.session->open());  // busy is the sender's problem, not the session's
  EXPECT_LE(a.session->queued_bytes(), bound);

  // Answers may go up to twice the limit; beyond, the session closes (busy).
  Status st;
  int answers = 0;
  while ((st = a.session->send(Reply{1, mp_bin(60'000)}, Session::Priority::answer)).ok()) ++answers;
  EXPECT_GT(answers, 0);
  EXPECT_EQ(st.error().code, Errc::busy);
  EXPECT_LE(a.session->queued_bytes(), kControlQueueFactor * settings_.write_queue_limit + settings_.max_envelope);
  ASSERT_TRUE(run_until([&] { return a.closed == 1; }));
  EXPECT_EQ(a.reason, "busy");
}

TEST_F(SessionTest, PingsMeasureRoundTripTime) {
  settings_.timers.ping_interval_ms = 20;
  FakeHost a;
  RawPeer raw(rng_, false, keys_b_);
  listen_raw(raw);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.session && a.session->rtt_ms().has_value(); }));
  EXPECT_GE(*a.session->rtt_ms(), 0.0);
  EXPECT_TRUE(a.session->open());
  // Our ping (after the pong that answered the responder's confirmation).
  EXPECT_TRUE(std::any_of(raw.received.begin(), raw.received.end(),
                          [](const Envelope& e) { return std::holds_alternative<Ping>(e); }));
}

TEST_F(SessionTest, SilentPeerIsDeclaredDead) {
  settings_.timers.ping_interval_ms = 30;
  settings_.timers.dead_after_ms = 100;
  settings_.timers.handshake_timeout_ms = 300;
  FakeHost a;
  RawPeer raw(rng_, false, keys_b_);
  raw.answer_pings = false;
  listen_raw(raw);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.closed == 1; }));
  EXPECT_EQ(a.reason, "timeout");
  EXPECT_EQ(a.why->code, Errc::timeout);
  ASSERT_TRUE(run_until([&] { return raw.eof; }));
  ASSERT_FALSE(raw.received.empty());
  EXPECT_EQ(std::get<Close>(raw.received.back()).reason, "timeout");
}

TEST_F(SessionTest, TrafficKeepsASessionAliveWithoutPongs) {
  settings_.timers.ping_interval_ms = 10'000;
  settings_.timers.dead_after_ms = 600;
  FakeHost a;
  RawPeer raw(rng_, false, keys_b_);
  raw.answer_pings = false;
  listen_raw(raw);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.established && raw.established(); }));
  // 30 sends, 40 ms apart: twice the dead-peer bound.
  uv::Timer tick(&loop);
  int sent = 0;
  ASSERT_TRUE(tick.start(40, 40, [&] {
                    if (raw.send(Send{"h", {}}) && ++sent == 30) tick.stop();
                  }).ok());
  ASSERT_TRUE(run_until([&] { return sent == 30 || a.closed; }));
  EXPECT_EQ(a.closed, 0) << a.reason;
  EXPECT_TRUE(a.session->open());
}

TEST_F(SessionTest, HandshakeDeadline) {
  settings_.timers.handshake_timeout_ms = 50;
  FakeHost a;
  // A listener that accepts and never answers.
  std::vector<uv::TcpStream> mute;
  auto l = uv::TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, {},
                                   [&](Result<uv::TcpStream> s) { mute.push_back(std::move(*s)); });
  ASSERT_TRUE(l.ok());
  listener_ = std::move(*l);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.closed == 1; }));
  EXPECT_EQ(a.why->code, Errc::timeout);
  EXPECT_EQ(a.established, 0);
  mute.clear();
}

}  // namespace
}  // namespace peernet::testing

namespace peernet::testing {
namespace {

// protocol.md §3: an initiator counts the session as established only once
// the responder's first transport message says it was accepted.
TEST_F(SessionTest, RefusedInitiatorNeverHearsEstablished) {
  FakeHost a, b;
  b.reject = true;
  listen_session(b, keys_b_);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.closed == 1 && b.closed == 1; }));
  EXPECT_EQ(a.established, 0);
  EXPECT_EQ(a.closing, 0);  // it never was a session to the initiator's host
  EXPECT_EQ(a.why->code, Errc::untrusted_peer);
  EXPECT_EQ(b.established, 0);
}

TEST_F(SessionTest, AcceptedInitiatorIsEstablishedOnceTheResponderSpeaks) {
  FakeHost a, b;
  listen_session(b, keys_b_);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.established == 1 && b.established == 1; }));
  // The responder's confirmation was a ping; the initiator answered it.
  ASSERT_TRUE(run_until([&] { return b.session->rtt_ms().has_value(); }));
  EXPECT_TRUE(b.envelopes.empty());  // pings and pongs stay in the session
}

TEST_F(SessionTest, SilentResponderIsNotAnAcceptance) {
  settings_.timers.handshake_timeout_ms = 200;
  FakeHost a;
  RawPeer raw(rng_, false, keys_b_);
  raw.confirm_acceptance = false;  // completes the handshake, then says nothing
  listen_raw(raw);
  dial_session(a, keys_a_);
  ASSERT_TRUE(run_until([&] { return a.closed == 1; }));
  EXPECT_TRUE(raw.established());
  EXPECT_EQ(a.established, 0);
  EXPECT_EQ(a.why->code, Errc::timeout);
}

}  // namespace
}  // namespace peernet::testing
