// A libuv signal watcher, owned (see uv_handle.hpp for the close lifecycle).
// The callback runs on the loop, not in signal context.
#pragma once

#include <uv.h>

#include <functional>

#include "block.hpp"

namespace peernet::uv {

class Signal {
 public:
  Signal() = default;  // empty: every operation fails with Errc::closed
  static Result<Signal> create(uv_loop_t* loop);

  // Call `cb` each time `signum` arrives, until stop() or close().
  Status start(int signum, std::function<void()> cb);
  void stop();
  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 private:
  detail::Owner owner_;
};

}  // namespace peernet::uv
