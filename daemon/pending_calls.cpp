#include "pending_calls.hpp"

namespace peernet {

uint64_t PendingCalls::new_id(Rng& rng) const {
  for (;;) {
    uint64_t id = rng.next_u64();
    if (id != 0 && calls_.count(id) == 0) return id;
  }
}

void PendingCalls::add(uint64_t id, uint64_t timeout_ms, std::string timeout_message, Callback cb) {
  uint64_t deadline = uv_now(loop_) + timeout_ms;
  calls_.emplace(id, Entry{deadline, std::move(timeout_message), std::move(cb)});
  deadlines_.emplace(deadline, id);
  if (armed_for_ == 0 || deadline < armed_for_) arm();
}

PendingCalls::Callback PendingCalls::take(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return {};
  Callback cb = std::move(it->second.cb);
  deadlines_.erase({it->second.deadline_ms, id});
  calls_.erase(it);
  if (calls_.empty()) {
    timer_.stop();
    armed_for_ = 0;
  }
  return cb;
}

std::vector<PendingCalls::Callback> PendingCalls::take_all() {
  std::vector<Callback> out;
  out.reserve(calls_.size());
  for (auto& [id, e] : calls_) out.push_back(std::move(e.cb));
  calls_.clear();
  deadlines_.clear();
  timer_.stop();
  armed_for_ = 0;
  return out;
}

void PendingCalls::arm() {
  if (deadlines_.empty()) {
    timer_.stop();
    armed_for_ = 0;
    return;
  }
  uint64_t next = deadlines_.begin()->first;
  uint64_t now = uv_now(loop_);
  armed_for_ = next;
  (void)timer_.start(next > now ? next - now : 0, 0, [this] { on_timer(); });
}

void PendingCalls::on_timer() {
  armed_for_ = 0;
  uint64_t now = uv_now(loop_);
  std::vector<std::pair<Callback, std::string>> expired;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    uint64_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = calls_.find(id);
    expired.emplace_back(std::move(it->second.cb), std::move(it->second.timeout_message));
    calls_.erase(it);
  }
  arm();
  // Callbacks last: one may end this object (a trust removal), so nothing
  // here touches it after they start.
  for (auto& [cb, message] : expired) cb(make_error(Errc::timeout, std::move(message)));
}

}  // namespace peernet
