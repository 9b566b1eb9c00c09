#include "base/deadlines.hpp"

#include <algorithm>

namespace peernet {

uint64_t Deadlines::add(uint64_t key, uint64_t deadline_ms) {
  uint64_t token = next_token_++;
  heap_.push_back(Item{deadline_ms, token, key});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++pending_;
  if (!armed_ || deadline_ms < armed_for_) arm();
  return token;
}

void Deadlines::forget() {
  if (pending_ > 0) --pending_;
  if (pending_ == 0) return clear();
  // Stale entries are dropped when they come up; rebuilding once they
  // outnumber the pending ones bounds the heap at twice the pending calls
  // (amortised O(1) per call).
  if (heap_.size() > 2 * pending_ + 64) compact();
}

void Deadlines::clear() {
  heap_.clear();
  pending_ = 0;
  timer_.stop();
  armed_ = false;
}

void Deadlines::pop() {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
}

void Deadlines::compact() {
  std::erase_if(heap_, [this](const Item& i) { return !live_(i.key, i.token); });
  std::make_heap(heap_.begin(), heap_.end(), later);
  pending_ = heap_.size();
}

void Deadlines::arm() {
  if (heap_.empty()) {
    timer_.stop();
    armed_ = false;
    return;
  }
  uint64_t next = heap_.front().deadline_ms;
  uint64_t now = uv_now(loop_);
  armed_ = true;
  armed_for_ = next;
  (void)timer_.start(next > now ? next - now : 0, 0, [this] { on_timer(); });
}

void Deadlines::on_timer() {
  armed_ = false;
  uint64_t now = uv_now(loop_);
  std::vector<uint64_t> due;
  while (!heap_.empty() && heap_.front().deadline_ms <= now) {
    Item i = heap_.front();
    pop();
    if (live_(i.key, i.token)) due.push_back(i.key);
  }
  pending_ -= std::min(pending_, due.size());
  if (pending_ == 0)
    clear();
  else
    arm();
  // Last, from a copy: the owner may end itself (and this object) here.
  if (due.empty()) return;
  Expire expire = expire_;
  expire(std::move(due));
}

}  // namespace peernet
