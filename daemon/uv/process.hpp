// Child processes on libuv (uv_spawn), owned like every wrapper here
// (uv_handle.hpp has the close lifecycle, uv.hpp the completion contract),
// with one difference forced by reaping: libuv waits only for the children
// of open process handles, so a handle closed before its child exited
// would leave a zombie. Destroying a Process whose child still runs
// therefore kills the child's process group (SIGKILL) and keeps the handle
// open until the exit has been reaped; the handle then closes itself. No
// callback reaches the owner after destruction either way, and the loop
// keeps running until the reaping is done.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stream.hpp"

namespace peernet::uv {

// The parent's end of one of a child's stdio pipes.
class ChildPipe final : public Stream {
 public:
  ChildPipe() = default;  // empty: every operation fails with Errc::closed

 private:
  friend class Process;
};

struct ChildStdio {
  ChildPipe in;   // write to the child's stdin; close() gives it end of file
  ChildPipe out;  // read the child's stdout
  ChildPipe err;  // read the child's stderr
};

struct SpawnOptions {
  std::string file;               // the program's absolute path (PATH is not searched)
  std::vector<std::string> args;  // argv, args[0] included; empty means {file}
  std::vector<std::string> env;   // the whole environment, "NAME=value"
  std::string cwd;                // empty: the daemon's
};

struct ExitStatus {
  int64_t code = 0;  // the exit status, when `signal` is 0
  int signal = 0;    // the signal that ended the process, or 0
};

class Process {
 public:
  using ExitCallback = std::function<void(ExitStatus)>;

  Process() = default;
  Process(Process&& o) noexcept;
  Process& operator=(Process&& o) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { reset(); }

  // Starts the program in a session and process group of its own
  // (UV_PROCESS_DETACHED: setsid(2)), whose id is its pid, with stdin,
  // stdout and stderr on new pipes (real pipes, not sockets, so that
  // /dev/stdin works) whose parent ends are stored in `stdio`, and no
  // other descriptor (all of ours become close-on-exec). On success
  // `on_exit` runs exactly once, after the child exited and was reaped. On
  // an error (libuv's, e.g. "spawn /x: no such file or directory
  // (ENOENT)") no process exists and `stdio` is untouched.
  static Result<Process> spawn(uv_loop_t* loop, const SpawnOptions& options, ChildStdio& stdio,
                               ExitCallback on_exit);

  int pid() const;      // 0 when empty
  bool exited() const;  // reaped (or empty)
  // kill(2) of the child's whole process group, which outlives the child
  // while any of its descendants stays in it. False when nobody is left
  // in the group (or the Process is empty). After the child was reaped
  // its id is only held by the group's remaining members; once they are
  // gone the kernel could in principle hand the number to an unrelated
  // new group, so callers stop signalling as soon as this returns false.
  bool signal_group(int signum) const;

  // Forgets the process: see the top of this file.
  void reset();

 private:
  struct Block;
  Block* b_ = nullptr;
};

}  // namespace peernet::uv
