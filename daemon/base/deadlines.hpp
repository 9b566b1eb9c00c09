// Many deadlines on one libuv timer: a min-heap of (deadline, key), the
// timer armed for the earliest. Adding one costs a heap push, and the
// timer is re-armed only for a deadline earlier than every other one.
//
// The owner keeps its own table of what is pending and tells this class
// which heap entries still count (`live`): forgetting a key is then O(1)
// (the entry stays in the heap until it comes up or the heap is rebuilt
// without the stale entries, whichever is first). The timer may fire early
// for a forgotten key; it finds nothing due and re-arms.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "uv/timer.hpp"

namespace peernet {

class Deadlines {
 public:
  // Whether `key` is still pending under `token` (what add() returned).
  using Live = std::function<bool(uint64_t key, uint64_t token)>;
  // The keys whose deadlines passed, earliest first (ties in the order they
  // were added); they are no longer counted here. Runs last in the timer
  // callback: it may destroy the owner and this object.
  using Expire = std::function<void(std::vector<uint64_t> keys)>;

  Deadlines(uv_loop_t* loop, Live live, Expire expire)
      : loop_(loop), timer_(loop), live_(std::move(live)), expire_(std::move(expire)) {}

  // Counts `key` as pending until `deadline_ms` (the loop's clock, see
  // deadline_in()). The owner records the token it returns with the key;
  // no two adds return the same token.
  uint64_t add(uint64_t key, uint64_t deadline_ms);
  // The loop's now + `delay_ms`.
  uint64_t deadline_in(uint64_t delay_ms) const { return uv_now(loop_) + delay_ms; }
  // The owner forgot one key it added (answered before its deadline).
  void forget();
  // The owner forgot every key.
  void clear();
  size_t size() const { return pending_; }

 private:
  struct Item {
    uint64_t deadline_ms;
    uint64_t token;  // also the insertion order among equal deadlines
    uint64_t key;
  };
  // std::push_heap builds a max-heap: "less" is "later".
  static bool later(const Item& a, const Item& b) {
    return a.deadline_ms != b.deadline_ms ? a.deadline_ms > b.deadline_ms : a.token > b.token;
  }
  void pop();
  void arm();
  void compact();
  void on_timer();

  uv_loop_t* loop_;
  uv::Timer timer_;
  Live live_;
  Expire expire_;
  std::vector<Item> heap_;
  size_t pending_ = 0;  // live entries in heap_
  uint64_t next_token_ = 1;
  bool armed_ = false;
  uint64_t armed_for_ = 0;
};

}  // namespace peernet
