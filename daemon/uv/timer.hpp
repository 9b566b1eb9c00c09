// A libuv timer, owned (see uv_handle.hpp for the close lifecycle).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "block.hpp"

namespace peernet::uv {

class Timer {
 public:
  Timer() = default;  // empty: every operation fails with Errc::closed
  explicit Timer(uv_loop_t* loop);

  // Fire `cb` after `timeout_ms`, then every `repeat_ms` if non-zero.
  // Replaces a pending start. `cb` may destroy or re-start this timer.
  Status start(uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> cb);
  void stop();
  // Restart a repeating timer's interval from now (uv_timer_again);
  // Errc::invalid_state if it was never started with a repeat.
  Status again();
  bool active() const;
  // Close now; no callback runs after this. Also done by the destructor.
  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 private:
  detail::Owner owner_;
};

}  // namespace peernet::uv
