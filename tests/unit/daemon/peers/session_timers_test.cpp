// Timer policy: the reconnect backoff's jitter bounds, and the session
// timers' hooks driven directly on a loop.
#include "peers/session_timers.hpp"

#include <gtest/gtest.h>

#include "../loop_fixture.hpp"

namespace peernet {
namespace {

// Returns `value` every time: the largest draw (~0) or the smallest (0).
class FixedRng final : public Rng {
 public:
  explicit FixedRng(uint64_t v) : value(v) {}
  void fill(std::span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(value >> (8 * (i % 8)));
  }
  uint64_t value;
};

TEST(ReconnectBackoff, CeilingDoublesUpToTheCap) {
  ReconnectBackoff b(1000, 60'000);
  std::vector<uint64_t> ceilings;
  FixedRng rng(0);
  for (int i = 0; i < 9; ++i) {
    ceilings.push_back(b.ceiling_ms());
    (void)b.next_delay_ms(rng);
  }
  EXPECT_EQ(ceilings, (std::vector<uint64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000}));
  EXPECT_EQ(b.attempts(), 9u);
  b.reset();
  EXPECT_EQ(b.ceiling_ms(), 1000u);
}

TEST(ReconnectBackoff, DelaysAreDrawnBelowTheCeiling) {
  ReconnectBackoff b(1000, 60'000);
  FixedRng zero(0);
  EXPECT_EQ(b.next_delay_ms(zero), 0u);  // full jitter reaches 0
  FixedRng top(~uint64_t{0});
  for (int i = 0; i < 70; ++i) {
    uint64_t ceiling = b.ceiling_ms();
    uint64_t d = b.next_delay_ms(top);
    EXPECT_LE(d, ceiling);
  }
  EXPECT_EQ(b.ceiling_ms(), 60'000u);  // no overflow after many attempts
}

struct Events final : SessionTimerEvents {
  void on_deadline_expired() override { ++deadline; }
  void on_ping_due() override { ++pings; }
  void on_peer_dead() override { ++dead; }
  void on_rekey_due() override { ++rekeys; }
  int deadline = 0, pings = 0, dead = 0, rekeys = 0;
};

using SessionTimersTest = testing::LoopTest;

TEST_F(SessionTimersTest, HandshakeDeadlineFiresUnlessCompleted) {
  Events ev;
  SessionTimers t(&loop, {20, 10'000, 30'000, 0}, ev);
  t.on_connection_opened();
  ASSERT_TRUE(run_until([&] { return ev.deadline == 1; }));

  Events ev2;
  SessionTimers t2(&loop, {20, 10, 10'000, 0}, ev2);
  t2.on_connection_opened();
  t2.on_handshake_complete();
  ASSERT_TRUE(run_until([&] { return ev2.pings >= 3; }));  // pings run instead
  EXPECT_EQ(ev2.deadline, 0);
  t2.on_session_closed();
}

TEST_F(SessionTimersTest, DeadPeerCountsFromTheLastData) {
  Events ev;
  SessionTimers t(&loop, {1000, 10'000, 60, 0}, ev);
  t.on_connection_opened();
  t.on_handshake_complete();
  // Data keeps arriving every 20 ms for 200 ms: more than thrice the bound.
  uv::Timer feed(&loop);
  int fed = 0;
  ASSERT_TRUE(feed.start(20, 20, [&] {
                    t.on_data_received();
                    if (++fed == 10) feed.stop();
                  }).ok());
  ASSERT_TRUE(run_until([&] { return fed == 10 || ev.dead > 0; }));
  EXPECT_EQ(ev.dead, 0);
  ASSERT_TRUE(run_until([&] { return ev.dead == 1; }));  // then silence
  t.on_session_closed();
}

TEST_F(SessionTimersTest, ClosingStopsThePeriodicTimersAndBoundsTheClose) {
  Events ev;
  SessionTimers t(&loop, {30, 5, 20, 5}, ev);
  t.on_connection_opened();
  t.on_handshake_complete();
  t.on_session_closing();
  ASSERT_TRUE(run_until([&] { return ev.deadline == 1; }));
  EXPECT_EQ(ev.pings, 0);
  EXPECT_EQ(ev.dead, 0);
  EXPECT_EQ(ev.rekeys, 0);
}

TEST_F(SessionTimersTest, RekeysPeriodically) {
  Events ev;
  SessionTimers t(&loop, {1000, 10'000, 10'000, 10}, ev);
  t.on_connection_opened();
  t.on_handshake_complete();
  ASSERT_TRUE(run_until([&] { return ev.rekeys >= 2; }));
  t.on_session_closed();
}

}  // namespace
}  // namespace peernet
