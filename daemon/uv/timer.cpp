#include "timer.hpp"

namespace peernet::uv {
namespace {

struct TimerBlock final : detail::Block {
  uv_timer_t timer;
  std::function<void()> cb;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&timer); }
};

TimerBlock* block(const detail::Owner& o) { return static_cast<TimerBlock*>(o.get()); }

Error closed() { return make_error(Errc::closed, "timer is closed"); }

}  // namespace

Timer::Timer(uv_loop_t* loop) {
  auto* b = new TimerBlock;
  uv_timer_init(loop, &b->timer);  // Cannot fail: it only links the handle into the loop.
  detail::attach(b);
  owner_ = detail::Owner(b);
}

Status Timer::start(uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> cb) {
  TimerBlock* b = block(owner_);
  if (b == nullptr) return closed();
  b->cb = std::move(cb);
  int rc = uv_timer_start(
      &b->timer,
      [](uv_timer_t* t) {
        auto* tb = detail::block_of<TimerBlock>(reinterpret_cast<uv_handle_t*>(t));
        detail::invoke(*tb, tb->cb);
      },
      timeout_ms, repeat_ms);
  if (rc != 0) return error_from_uv(rc, "start timer");
  return {};
}

void Timer::stop() {
  if (TimerBlock* b = block(owner_)) uv_timer_stop(&b->timer);
}

Status Timer::again() {
  TimerBlock* b = block(owner_);
  if (b == nullptr) return closed();
  if (uv_timer_again(&b->timer) != 0)
    return make_error(Errc::invalid_state, "timer was never started with a repeat interval");
  return {};
}

bool Timer::active() const {
  TimerBlock* b = block(owner_);
  return b != nullptr && uv_is_active(b->handle()) != 0;
}

}  // namespace peernet::uv
