// The ownership scheme every libuv wrapper in daemon/uv_*.hpp follows
// (libuv docs, "uv_close"): a handle's memory may be released only in its
// close callback, one loop iteration after uv_close().
//
//   wrapper (move-only) ──owns──> Block (heap) { uv_xxx_t handle; callbacks; closing }
//                                  ^ handle.data
//
// Destroying or close()-ing the wrapper marks the block `closing` and calls
// uv_close; the block is deleted in the close callback. Anything libuv still
// delivers in between (a cancelled write, a connect that failed because of
// the close) finds `closing` set and calls nobody, so after its owner is gone
// no callback can reach it. The loop must run once more to free the block;
// a loop closed before that reports UV_EBUSY (the tests' leak check).
#pragma once

#include <uv.h>

#include <string_view>
#include <utility>

#include "proto/result.hpp"

namespace peernet::uv {

// A libuv error as an Error. Errc: cancelled (UV_ECANCELED), timeout
// (UV_ETIMEDOUT), closed (UV_EOF, UV_ECONNRESET, UV_EPIPE, UV_ENOTCONN),
// io_error otherwise. Message: "<what>: <strerror> (<ERRNAME>)".
Error error_from_uv(int code, std::string_view what);

namespace detail {

struct Block {
  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  virtual ~Block() = default;
  virtual uv_handle_t* handle() = 0;

  bool closing = false;
};

// Calls `slot` unless the block is closing. The function is moved out for
// the duration of the call, so a callback may close its owner or replace
// itself (re-arm a timer with new work) without destroying the function
// that is running; it is put back unless it was replaced or the owner
// closed.
template <class Fn, class... Args>
void invoke(Block& block, Fn& slot, Args&&... args) {
  if (block.closing || !slot) return;
  Fn running = std::move(slot);
  slot = nullptr;
  running(std::forward<Args>(args)...);
  if (!block.closing && !slot) slot = std::move(running);
}

// Sets handle.data so callbacks find the block; call right after uv_*_init.
inline void attach(Block* block) { block->handle()->data = block; }

template <class B>
B* block_of(const uv_handle_t* handle) {
  return static_cast<B*>(static_cast<Block*>(handle->data));
}

// Move-only owner of one initialized Block; the destructor closes it.
class Owner {
 public:
  Owner() = default;
  explicit Owner(Block* block) : b_(block) {}
  Owner(Owner&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  Owner& operator=(Owner&& o) noexcept {
    if (this != &o) {
      reset();
      b_ = std::exchange(o.b_, nullptr);
    }
    return *this;
  }
  ~Owner() { reset(); }

  // Close the handle (no callback runs after this) and forget it.
  void reset();
  Block* get() const { return b_; }
  explicit operator bool() const { return b_ != nullptr; }

 private:
  Block* b_ = nullptr;
};

}  // namespace detail
}  // namespace peernet::uv
