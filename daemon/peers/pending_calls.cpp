#include "peers/pending_calls.hpp"

namespace peernet {

PendingCalls::PendingCalls(uv_loop_t* loop)
    : deadlines_(
          loop,
          [this](uint64_t id, uint64_t token) {
            auto it = calls_.find(id);
            return it != calls_.end() && it->second.token == token;
          },
          [this](std::vector<uint64_t> ids) { expire(std::move(ids)); }) {}

uint64_t PendingCalls::new_id(Rng& rng) const {
  for (;;) {
    uint64_t id = rng.next_u64();
    if (id != 0 && calls_.count(id) == 0) return id;
  }
}

void PendingCalls::add(uint64_t id, uint64_t timeout_ms, Describe timeout_message, Callback cb,
                       uint64_t session) {
  uint64_t token = deadlines_.add(id, deadlines_.deadline_in(timeout_ms));
  calls_.emplace(id, Entry{token, std::move(timeout_message), std::move(cb), session});
}

std::vector<PendingCalls::Callback> PendingCalls::take_sent_on(uint64_t session) {
  std::vector<Callback> out;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->second.session != session) {
      ++it;
      continue;
    }
    out.push_back(std::move(it->second.cb));
    it = calls_.erase(it);
  }
  for (size_t i = 0; i < out.size(); ++i) deadlines_.forget();
  return out;
}

PendingCalls::Callback PendingCalls::take(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return {};
  Callback cb = std::move(it->second.cb);
  calls_.erase(it);
  deadlines_.forget();
  return cb;
}

std::vector<PendingCalls::Callback> PendingCalls::take_all() {
  std::vector<Callback> out;
  out.reserve(calls_.size());
  for (auto& [id, e] : calls_) out.push_back(std::move(e.cb));
  calls_.clear();
  deadlines_.clear();
  return out;
}

void PendingCalls::expire(std::vector<uint64_t> ids) {
  std::vector<std::pair<Callback, Describe>> expired;
  expired.reserve(ids.size());
  for (uint64_t id : ids) {
    auto it = calls_.find(id);
    expired.emplace_back(std::move(it->second.cb), std::move(it->second.timeout_message));
    calls_.erase(it);
  }
  // Callbacks last: one may end this object (a trust removal), so nothing
  // here touches it after they start.
  for (auto& [cb, message] : expired) cb(make_error(Errc::timeout, message()));
}

}  // namespace peernet
