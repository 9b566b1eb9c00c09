// A command handle: the Handler behind a [[handle]] entry of the config
// (peernetd.toml(5), [[handle]]). Per call it runs the entry's program (command_run.hpp) with
// the call's args as one line of JSON on stdin and answers with its
// stdout:
//
//   exit 0                 reply: stdout parsed as JSON, as msgpack; if it
//                          is not JSON, a str without its trailing newline
//   exit N != 0            handler_failed "exit N: <first 512 bytes of stderr>"
//   killed by a signal     handler_failed "killed by signal N"
//   past the deadline      timeout        (the process group is killed)
//   stdout past the bound  payload_too_large "output exceeds N bytes" (killed)
//   max_concurrent running busy, at once; the program does not start
//
// A send runs the program the same way and drops whatever it says.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "handles/command_run.hpp"
#include "config/config.hpp"
#include "handles/table.hpp"
#include "base/log.hpp"

namespace peernet {

class ExecHandle final : public Handler {
 public:
  // The caller's alias from the trust list, or "" (PEERNET_PEER_NAME).
  using NameOf = std::function<std::string(const PublicKey&)>;

  ExecHandle(uv_loop_t* loop, Logger& log, NameOf name_of);

  // The entry and its resolved allow-list. Applies to calls from now on;
  // running ones keep what they started with.
  void configure(const CommandHandleConfig& config, std::vector<PublicKey> allow);

  void on_call(IncomingCall call) override;
  void on_send(IncomingSend send) override;

  // Programs of this handle not yet gone (command_run.hpp).
  size_t running() const { return runs_.active(); }

 private:
  // Why `peer` may not run the program now, or the spec to run it with.
  Result<RunSpec> prepare(const PublicKey& peer, const Bytes& args);

  Logger& log_;
  NameOf name_of_;
  CommandHandleConfig config_;
  std::vector<PublicKey> allow_;  // sorted
  CommandRuns runs_;
};

}  // namespace peernet
