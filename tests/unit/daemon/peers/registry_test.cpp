// The registry's one-session-per-peer rule (protocol.md §7), end to end:
// two daemons dial each other at the same moment, keep the same single
// connection on both sides, and lose no call issued during the switch.
#include "peers/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "../daemon_fixture.hpp"
#include "base/random.hpp"
#include "../raw_peer.hpp"

namespace peernet::testing {
namespace {

using RegistryTest = DaemonTest;

// Issues `n` echo calls from `from` to `to`, counting answers in `ok`/`failed`.
void issue_calls(Node& from, const PublicKey& to, int n, int& ok, int& failed, int& issued) {
  for (int i = 0; i < n; ++i) {
    auto st = from->call(to, "echo", mp_str("x" + std::to_string(i)), 5, [&ok, &failed](Result<Bytes> r) {
      ++(r.ok() ? ok : failed);
    });
    if (st) ++issued;
  }
}

TEST_F(RegistryTest, SimultaneousDialsEndWithOneSessionAndNoLostCall) {
  Node& a = add_node();
  Node& b = add_node();
  auto handler = std::make_shared<TestHandler>();
  ASSERT_TRUE(a->expose("echo", 1, handler).ok());
  ASSERT_TRUE(b->expose("echo", 1, handler).ok());
  int ok = 0, failed = 0, issued = 0;
  // Calls go out the moment each side first sees the other up, so they
  // are in flight while the tie-break switches sessions.
  a->subscribe([&](const PeerEvent& e) {
    if (e.kind == PeerEvent::Kind::up) issue_calls(a, e.key, 20, ok, failed, issued);
  });
  b->subscribe([&](const PeerEvent& e) {
    if (e.kind == PeerEvent::Kind::up) issue_calls(b, e.key, 20, ok, failed, issued);
  });

  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    a.events.clear();
    b.events.clear();
    // Both trust each other within one loop turn: both dial at once.
    trust(a, b);
    trust(b, a);
    ASSERT_TRUE(run_until([&] {
      return online(a, b) && online(b, a) && a->status().sessions == 1 && b->status().sessions == 1 &&
             ok + failed == issued;
    })) << "round " << round;
    EXPECT_EQ(failed, 0) << "round " << round;
    EXPECT_EQ(issued, 40 * (round + 1));
    // No flapping: one up, no down, on each side.
    EXPECT_EQ(a.count(PeerEvent::Kind::up, b.key()), 1u);
    EXPECT_EQ(a.count(PeerEvent::Kind::down, b.key()), 0u);
    EXPECT_EQ(b.count(PeerEvent::Kind::up, a.key()), 1u);
    EXPECT_EQ(b.count(PeerEvent::Kind::down, a.key()), 0u);
    // Both kept the same TCP connection.
    auto ai = a.info_of(b.key());
    auto bi = b.info_of(a.key());
    ASSERT_TRUE(ai && ai->session && bi && bi->session);
    EXPECT_EQ(ai->session->local, bi->session->remote_socket);
    EXPECT_EQ(ai->session->remote_socket, bi->session->local);
    EXPECT_NE(ai->session->initiator, bi->session->initiator);
    // The initiator of the survivor is the greater key (rule 2).
    bool a_greater = a.key() > b.key();
    EXPECT_EQ(ai->session->initiator, a_greater);

    // Forget each other for the next round.
    ASSERT_TRUE(a->trust_remove(b.key()).ok());
    ASSERT_TRUE(b->trust_remove(a.key()).ok());
    ASSERT_TRUE(run_until([&] { return a->status().sessions == 0 && b->status().sessions == 0; }));
  }
  // Every round really had two sessions to choose from.
  EXPECT_GE(a->status().handshakes_ok, 2u * kRounds);
  EXPECT_NE(log_of(a).find("closing session"), std::string::npos);
}

TEST_F(RegistryTest, RedialFromTheSameSideReplacesTheOldSession) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  auto before = a.info_of(b.key())->session->local;
  // a dials again while the first session is fine: same initiator, so the
  // newer session wins on both sides (rule 1).
  std::optional<Result<PublicKey>> outcome;
  ASSERT_TRUE(a->connect(b.endpoint(), [&](Result<PublicKey> r) { outcome = std::move(r); }).ok());
  ASSERT_TRUE(run_until([&] {
    return outcome.has_value() && a->status().sessions == 1 && b->status().sessions == 1;
  }));
  ASSERT_TRUE(outcome->ok());
  EXPECT_EQ(**outcome, b.key());
  auto ai = a.info_of(b.key());
  auto bi = b.info_of(a.key());
  ASSERT_TRUE(ai && ai->session && bi && bi->session);
  EXPECT_NE(ai->session->local, before);
  EXPECT_EQ(ai->session->local, bi->session->remote_socket);
  EXPECT_EQ(a.count(PeerEvent::Kind::down, b.key()), 0u);
  EXPECT_EQ(b.count(PeerEvent::Kind::down, a.key()), 0u);
}


// The remote lost a tie-break on our active session and says so before our
// side has its replacement: we keep sending on it (the remote still reads)
// until the replacement is up, without the peer going down.
class RemoteDuplicateTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    a_ = &add_node([](Config& c) { c.network.handshake_timeout = 0.3; });
    keys_ = generate_keypair(rng_);
    ASSERT_TRUE((*a_)->trust_add(TrustedPeer{keys_.pub, "", {}}).ok());
  }

  std::unique_ptr<RawPeer> dial_raw() {
    auto raw = std::make_unique<RawPeer>(rng_, true, keys_);
    auto s = uv::TcpStream::connect(&loop, *SockAddr::from_endpoint(a_->endpoint()), {}, [](Status) {});
    EXPECT_TRUE(s.ok());
    raw->attach(std::move(*s));
    return raw;
  }

  bool call_reaches(RawPeer& raw) {
    size_t before = raw.received.size();
    auto st = (*a_)->call(keys_.pub, "h", {}, 5, [](Result<Bytes>) {});
    return st && run_until([&] {
             return raw.received.size() > before && std::holds_alternative<Call>(raw.received.back());
           });
  }

  OsRng rng_;
  KeyPair keys_;
  Node* a_ = nullptr;
};

TEST_F(RemoteDuplicateTest, KeepsSendingUntilTheReplacementIsUp) {
  auto first = dial_raw();
  ASSERT_TRUE(run_until([&] { return a_->state_of(keys_.pub) == PeerState::online; }));
  ASSERT_TRUE(first->send(Close{"duplicate", "the other one won"}));
  ASSERT_TRUE(call_reaches(*first));  // still the way to the peer
  EXPECT_EQ(a_->state_of(keys_.pub), PeerState::online);

  auto second = dial_raw();
  ASSERT_TRUE(run_until([&] { return first->eof && (*a_)->status().sessions == 1; }));
  EXPECT_TRUE(call_reaches(*second));
  EXPECT_EQ(a_->count(PeerEvent::Kind::down, keys_.pub), 0u);
  EXPECT_EQ(a_->count(PeerEvent::Kind::up, keys_.pub), 1u);
  // We did not answer the remote's close with one of our own.
  for (const Envelope& e : first->received) EXPECT_FALSE(std::holds_alternative<Close>(e));
}

TEST_F(RemoteDuplicateTest, GivesUpWhenNoReplacementComes) {
  auto first = dial_raw();
  ASSERT_TRUE(run_until([&] { return a_->state_of(keys_.pub) == PeerState::online; }));
  ASSERT_TRUE(first->send(Close{"duplicate", ""}));
  ASSERT_TRUE(run_until([&] { return a_->count(PeerEvent::Kind::down, keys_.pub) == 1; }));
  EXPECT_EQ(a_->events.back().reason, "timeout");
}

// A call that left on a session whose remote vanished (it reads nothing
// more and never closes) fails as soon as a new session replaces that one,
// with a code the caller may retry on, instead of waiting for its timeout.
TEST_F(RemoteDuplicateTest, ACallOnAVanishedSessionFailsWhenTheSessionIsReplaced) {
  auto first = dial_raw();
  ASSERT_TRUE(run_until([&] { return a_->state_of(keys_.pub) == PeerState::online; }));
  std::optional<Result<Bytes>> got;
  ASSERT_TRUE((*a_)->call(keys_.pub, "h", {}, 600, [&](Result<Bytes> r) { got = std::move(r); }).ok());
  ASSERT_TRUE(run_until([&] {
    return std::any_of(first->received.begin(), first->received.end(),
                       [](const Envelope& e) { return std::holds_alternative<Call>(e); });
  }));
  first->stop_reading();
  auto second = dial_raw();  // the same key again: the newer session wins (rule 1)
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, Errc::peer_offline) << got->error().describe();
  EXPECT_EQ(a_->state_of(keys_.pub), PeerState::online);
  EXPECT_EQ(a_->count(PeerEvent::Kind::down, keys_.pub), 0u);
  EXPECT_TRUE(call_reaches(*second));
}

}  // namespace
}  // namespace peernet::testing
