// A point in time by which a blocking operation of the client gives up.
//
// The client never blocks without one: every poll() it makes waits at most
// until its deadline, so a daemon that stops answering costs a bounded wait.
#pragma once

#include <chrono>
#include <optional>

namespace peernet::ctl {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Waits as long as it takes (for a loop that serves until told to stop).
  static Deadline never() { return Deadline(std::nullopt); }
  // Does not wait at all: take what is already there.
  static Deadline now() { return Deadline(Clock::now()); }
  // `seconds` from now; negative counts as 0.
  static Deadline after(double seconds);

  bool is_never() const { return !at_.has_value(); }
  bool passed() const { return at_.has_value() && Clock::now() >= *at_; }
  // The timeout argument of poll(): -1 for never, 0 once passed, else the
  // milliseconds left rounded up (so poll never wakes just before it).
  int poll_timeout_ms() const;

 private:
  explicit Deadline(std::optional<Clock::time_point> at) : at_(at) {}
  std::optional<Clock::time_point> at_;
};

}  // namespace peernet::ctl
