// One daemon per state directory: an exclusive flock(2) on
// <state_dir>/lock, held for the process's lifetime. Two daemons sharing a
// state dir would share an identity and race on trust.toml. flock locks go
// away with the process, so a crashed daemon never leaves a stale lock.
#pragma once

#include <string>
#include <utility>

#include "proto/result.hpp"

namespace peernet {

class StateDirLock {
 public:
  // Errc::busy when another process holds it, Errc::io_error otherwise.
  static Result<StateDirLock> acquire(const std::string& state_dir);

  StateDirLock(StateDirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  StateDirLock& operator=(StateDirLock&& o) noexcept;
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace peernet
