// Deadlines on one timer, and the pending calls built on them: every call
// ends exactly once, timeouts fire in deadline order, answered calls never
// time out.
#include "base/deadlines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "../loop_fixture.hpp"
#include "peers/pending_calls.hpp"

namespace peernet {
namespace {

using DeadlinesTest = testing::LoopTest;

TEST_F(DeadlinesTest, ManyConcurrentCallsTimeOutInDeadlineOrderExactlyOnce) {
  PendingCalls calls(&loop);
  constexpr int kCalls = 2000;
  std::mt19937 gen(7);
  std::uniform_int_distribution<uint64_t> timeout(1, 40);
  struct Call {
    uint64_t id;
    uint64_t timeout_ms;
    int order;  // insertion order
  };
  std::vector<Call> all;
  std::map<uint64_t, int> ends;  // id -> how many times its callback ran
  std::vector<uint64_t> timed_out;
  for (int i = 0; i < kCalls; ++i) {
    Call c{static_cast<uint64_t>(i) * 7919 + 1, timeout(gen), i};
    all.push_back(c);
    calls.add(c.id, c.timeout_ms, "call " + std::to_string(c.id), [&, id = c.id](Result<Bytes> r) {
      ++ends[id];
      if (r) return;  // answered
      EXPECT_EQ(r.error().code, Errc::timeout);
      EXPECT_EQ(r.error().message, "call " + std::to_string(id));
      timed_out.push_back(id);
    });
  }
  // Every third call is answered before its deadline.
  std::vector<Call> expected;
  for (const Call& c : all) {
    if (c.order % 3 == 0) {
      auto cb = calls.take(c.id);
      ASSERT_TRUE(static_cast<bool>(cb));
      cb(Bytes{0xc0});
    } else {
      expected.push_back(c);
    }
  }
  EXPECT_FALSE(static_cast<bool>(calls.take(all[0].id)));  // already answered: no second end
  EXPECT_EQ(calls.size(), expected.size());
  // The loop's clock does not move until it runs: deadline order is timeout
  // order, ties in the order the calls were made.
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Call& a, const Call& b) { return a.timeout_ms < b.timeout_ms; });
  ASSERT_TRUE(run_until([&] { return calls.size() == 0; }));
  ASSERT_EQ(timed_out.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(timed_out[i], expected[i].id) << "at " << i;
  ASSERT_EQ(ends.size(), static_cast<size_t>(kCalls));
  for (const auto& [id, n] : ends) EXPECT_EQ(n, 1) << id;
}

TEST_F(DeadlinesTest, AnsweredCallsLeaveNoTimerAndTheRestStillFire) {
  // Many calls answered out of order (the heap is rebuilt without them
  // along the way); the few left still time out.
  PendingCalls calls(&loop);
  constexpr uint64_t kCalls = 5000;
  int timeouts = 0;
  for (uint64_t id = 1; id <= kCalls; ++id)
    calls.add(id, 5 + id % 20, "t", [&](Result<Bytes> r) {
      EXPECT_FALSE(r);
      ++timeouts;
    });
  for (uint64_t id = kCalls; id >= 1; --id)
    if (id % 1000 != 0) {
      ASSERT_TRUE(static_cast<bool>(calls.take(id)));
    }
  EXPECT_EQ(calls.size(), 5u);
  ASSERT_TRUE(run_until([&] { return timeouts == 5; }));
  EXPECT_EQ(calls.size(), 0u);
  // Nothing is armed any more: the loop ends on its own.
  EXPECT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
}

TEST_F(DeadlinesTest, TakeAllEndsEveryCallOnceAndNothingFiresLater) {
  PendingCalls calls(&loop);
  int timeouts = 0;
  for (uint64_t id = 1; id <= 100; ++id) calls.add(id, 1, "t", [&](Result<Bytes>) { ++timeouts; });
  auto cbs = calls.take_all();
  EXPECT_EQ(cbs.size(), 100u);
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  EXPECT_EQ(timeouts, 0);
}

TEST_F(DeadlinesTest, AnOwnerMayEndItselfInATimeout) {
  auto calls = std::make_unique<PendingCalls>(&loop);
  int timeouts = 0;
  for (uint64_t id = 1; id <= 10; ++id)
    calls->add(id, 1, "t", [&](Result<Bytes>) {
      ++timeouts;
      calls.reset();  // e.g. the peer's trust was removed
    });
  ASSERT_TRUE(run_until([&] { return timeouts == 10; }));
  EXPECT_EQ(calls, nullptr);
}

TEST_F(DeadlinesTest, TokensTellAReusedKeyFromItsEarlierDeadline) {
  std::map<uint64_t, uint64_t> live;  // key -> token
  std::vector<uint64_t> due;
  Deadlines d(
      &loop, [&](uint64_t key, uint64_t token) { return live.count(key) && live[key] == token; },
      [&](std::vector<uint64_t> keys) {
        for (uint64_t k : keys) {
          live.erase(k);
          due.push_back(k);
        }
      });
  live[1] = d.add(1, d.deadline_in(1));
  live.erase(1);
  d.forget();
  live[1] = d.add(1, d.deadline_in(30));  // the same key again, later
  live[2] = d.add(2, d.deadline_in(10));
  ASSERT_TRUE(run_until([&] { return due.size() == 2; }));
  EXPECT_EQ(due, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(d.size(), 0u);
}

}  // namespace
}  // namespace peernet
