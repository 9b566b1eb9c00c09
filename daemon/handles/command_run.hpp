// Running programs for handles (command_handles.hpp): each run is one
// program started without a shell, in a process group of its own, fed its
// input on stdin, its output collected within a bound, and ended at a
// deadline. Nothing a run starts outlives it: at the deadline, when the
// output bound kills it, or when the program exits leaving processes
// behind in its group, the whole group gets SIGTERM and, a second later,
// SIGKILL.
//
//   start ──> running ──(exit + end of stdout and stderr)──> finished: done(exited)
//                │  └──(deadline)──────────> done(timed_out)      ─┐
//                └──(output bound, kill)───> done(output_exceeded) ├─> killing ──> gone
//                                                                 ─┘
// `done` runs as soon as the outcome is known; the run itself stays (and
// counts in active()) until its process is reaped and its group is empty
// or has been sent SIGKILL.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/keys.hpp"
#include "proto/result.hpp"
#include "uv/process.hpp"

namespace peernet {

// The search path of commands and of the admin handle's bare names.
inline constexpr std::string_view kCommandPath = "/usr/local/bin:/usr/bin:/bin";
// Between SIGTERM and SIGKILL of a run's process group.
inline constexpr uint64_t kKillGraceMs = 1000;

struct RunSpec {
  std::string program;            // absolute path
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // the whole environment
  std::string input;              // written to stdin, which is then closed
  uint64_t timeout_ms = 10000;
  // Output bytes kept: stdout, plus stderr when `stderr_shares_limit`.
  uint64_t max_output = 64 << 10;
  // Past max_output: true kills the group and ends the run at once with
  // output_exceeded; false reads on and drops the rest (`truncated`).
  bool kill_on_excess = true;
  bool stderr_shares_limit = false;
  // Without a shared limit, the stderr bytes kept; the rest is dropped.
  size_t max_stderr = 512;
};

struct RunOutcome {
  enum class End { exited, timed_out, output_exceeded };
  End end = End::exited;
  uv::ExitStatus status;   // when exited
  bool truncated = false;  // output past max_output was dropped
  std::string out, err;
};

// The clean environment commands run in: PATH and LANG, and who called.
std::vector<std::string> command_env(const PublicKey& peer, std::string_view peer_name,
                                     std::string_view handle);

// The runs of one handle. Must outlive nothing: destroying it kills every
// run's process group (SIGKILL) without calling back; the processes are
// still reaped (uv_process.hpp).
class CommandRuns {
 public:
  // Receives the outcome, exactly once. It must not destroy the CommandRuns.
  using Done = std::function<void(RunOutcome)>;

  explicit CommandRuns(uv_loop_t* loop);
  ~CommandRuns();
  CommandRuns(const CommandRuns&) = delete;
  CommandRuns& operator=(const CommandRuns&) = delete;

  // Starts a run. An error (the program could not be started) never calls
  // back; otherwise `done` runs exactly once, later, on the loop.
  Status start(RunSpec spec, Done done);
  // Runs not yet gone (see the top of this file).
  size_t active() const { return runs_.size(); }

 private:
  struct Run;
  void finish(uint64_t id);
  uv_loop_t* loop_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Run>> runs_;
};

}  // namespace peernet
