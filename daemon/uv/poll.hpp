// A libuv poll handle over a file descriptor it owns (see uv_handle.hpp for
// the close lifecycle): the descriptor is closed with the handle, in its
// close callback, so it is never closed while libuv still watches it.
#pragma once

#include <uv.h>

#include <functional>

#include "block.hpp"

namespace peernet::uv {

class Poll {
 public:
  // Runs when the descriptor is readable, or with a libuv error.
  using Callback = std::function<void(Status)>;

  Poll() = default;  // empty: every operation fails with Errc::closed
  // Takes ownership of `fd` (closed on error too).
  static Result<Poll> create(uv_loop_t* loop, int fd);

  Status start_readable(Callback cb);
  int fd() const;
  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 private:
  detail::Owner owner_;
};

}  // namespace peernet::uv
