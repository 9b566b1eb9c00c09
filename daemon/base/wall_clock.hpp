// The wall clock, for the times the daemon reports (a peer's "since" and
// "last seen"): milliseconds since the Unix epoch. Timers use the loop's
// monotonic clock instead; this one may jump, so it is only ever shown,
// never used to measure a delay.
#pragma once

#include <chrono>
#include <cstdint>

namespace peernet {

inline int64_t wall_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace peernet
