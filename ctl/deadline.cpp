#include "ctl/deadline.hpp"

#include <climits>

namespace peernet::ctl {

Deadline Deadline::after(double seconds) {
  if (!(seconds > 0)) return now();
  // Beyond a day is "a long time" for every caller; capping keeps the
  // duration arithmetic far from overflow.
  if (seconds > 86400) seconds = 86400;
  auto d = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  return Deadline(Clock::now() + d);
}

int Deadline::poll_timeout_ms() const {
  if (!at_) return -1;
  auto left = *at_ - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace peernet::ctl
