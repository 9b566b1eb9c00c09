// The outgoing calls to one peer that wait for their reply, keyed by
// request id (protocol.md §5: unique among the caller's outstanding calls
// to that peer). Replies are matched per peer, not per session, so a call
// survives the switch to a new session (§7).
//
// Timeouts share one timer (Deadlines): a call costs a map insert and a
// heap push, a reply a map erase.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/deadlines.hpp"
#include "proto/bytes.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet {

class PendingCalls {
 public:
  using Callback = std::function<void(Result<Bytes>)>;

  explicit PendingCalls(uv_loop_t* loop);
  PendingCalls(const PendingCalls&) = delete;
  PendingCalls& operator=(const PendingCalls&) = delete;

  // A random non-zero id that no pending call uses.
  uint64_t new_id(Rng& rng) const;
  // `timeout_message` makes the Errc::timeout message the callback gets if
  // no answer comes within `timeout_ms` (made then only: most calls are
  // answered). `session`: the id of the session the call left on.
  using Describe = std::function<std::string()>;
  void add(uint64_t id, uint64_t timeout_ms, Describe timeout_message, Callback cb, uint64_t session = 0);
  void add(uint64_t id, uint64_t timeout_ms, std::string timeout_message, Callback cb, uint64_t session = 0) {
    add(id, timeout_ms, Describe([m = std::move(timeout_message)] { return m; }), std::move(cb), session);
  }
  // Removes the call and returns its callback; empty for an unknown id (a
  // late or forged answer).
  Callback take(uint64_t id);
  // Removes every call, returning the callbacks for the caller to run.
  std::vector<Callback> take_all();
  // Removes the calls that left on `session`, returning their callbacks.
  std::vector<Callback> take_sent_on(uint64_t session);
  size_t size() const { return calls_.size(); }

 private:
  struct Entry {
    uint64_t token;  // Deadlines::add's
    Describe timeout_message;
    Callback cb;
    uint64_t session = 0;
  };
  void expire(std::vector<uint64_t> ids);

  std::unordered_map<uint64_t, Entry> calls_;
  Deadlines deadlines_;
};

}  // namespace peernet
