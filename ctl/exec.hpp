// Private to peernetctl: running `listen --exec CMD` once per message.
//
// CMD runs as /bin/sh -c CMD in its own process group, with `input` on its
// stdin and extra environment variables. Both its stdout and stderr are
// captured, and both the time and the output are bounded: past the timeout
// or the output limit the whole process group is killed (SIGKILL), so a
// handler that hangs or floods cannot stall the listener for longer.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "proto/result.hpp"

namespace peernet::ctl {

struct ExecRequest {
  std::string command;
  std::string input;
  std::vector<std::pair<std::string, std::string>> env;  // set (or replaced) in the child
  double timeout = 30;                                   // seconds
  size_t max_output = size_t{1} << 20;                   // stdout bytes
  size_t max_error = 4096;                               // stderr bytes kept; the rest is read and dropped
};

struct ExecResult {
  bool exited = false;  // exited normally (exit_code is valid); else killed by `signal`
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;      // we killed it at the timeout
  bool output_too_large = false;  // we killed it at max_output
  std::string out;
  std::string err;  // the first max_error bytes of stderr
};

// Errc::io_error when the command cannot be started at all.
Result<ExecResult> run_command(const ExecRequest& request);

}  // namespace peernet::ctl
