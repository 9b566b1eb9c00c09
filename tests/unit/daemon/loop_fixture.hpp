// A libuv loop per test, with the leak check every daemon test ends with:
// after the test body has closed (destroyed) its wrappers, the loop runs
// until their close callbacks have freed everything, and uv_loop_close()
// must return 0. A handle left open fails the test and is printed.
#pragma once

#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <functional>

#include <gtest/gtest.h>

namespace peernet::testing {

class LoopTest : public ::testing::Test {
 protected:
  // Upper bound for any wait: a hang guard, never a timing assertion.
  static constexpr uint64_t kGuardMs = 10000;

  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    ASSERT_EQ(uv_loop_init(&loop), 0);
    // Both helpers are unreferenced: they never keep the loop alive, so
    // uv_run returns as soon as nothing the test started is left.
    ASSERT_EQ(uv_timer_init(&loop, &guard_), 0);
    ASSERT_EQ(uv_prepare_init(&loop, &check_), 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&guard_));
    uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
    guard_.data = this;
    check_.data = this;
  }

  void TearDown() override {
    uv_timer_start(&guard_, on_guard, kGuardMs, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    int rc = uv_loop_close(&loop);
    if (rc != 0) uv_print_all_handles(&loop, stderr);
    ASSERT_EQ(rc, 0) << "handles or requests left open: " << uv_err_name(rc);
  }

  // Run the loop until `done()` holds, nothing is left to run, or the
  // guard fires; returns done(). done() is checked before every poll, so
  // the loop never sleeps once it holds.
  bool run_until(std::function<bool()> done) {
    done_ = std::move(done);
    uv_timer_start(&guard_, on_guard, kGuardMs, 0);
    uv_prepare_start(&check_, [](uv_prepare_t* p) {
      auto* self = static_cast<LoopTest*>(p->data);
      if (self->done_()) uv_stop(&self->loop);
    });
    if (!done_()) uv_run(&loop, UV_RUN_DEFAULT);
    uv_prepare_stop(&check_);
    uv_timer_stop(&guard_);
    return done_();
  }

  // Let everything already pending run (closes, completions) without blocking.
  void run_nowait(int rounds = 3) {
    for (int i = 0; i < rounds; ++i) uv_run(&loop, UV_RUN_NOWAIT);
  }

  uv_loop_t loop{};

 private:
  static void on_guard(uv_timer_t* t) { uv_stop(&static_cast<LoopTest*>(t->data)->loop); }

  uv_timer_t guard_{};
  uv_prepare_t check_{};
  std::function<bool()> done_;
};

}  // namespace peernet::testing
