// The admin handle: peers granted in [admin] allow run any command on this
// machine, as the daemon's user, without a shell. Off by default and
// one-way (a grant says nothing about the other direction); every use is
// logged (README, "Threat model").
//
//   args   {"argv": [str, ...], "stdin": str}      ("stdin" optional)
//   reply  {"exit": int, "signal": int, "stdout": str, "stderr": str, "truncated": bool}
//
// argv[0] is an absolute path or a bare name looked up in kCommandPath;
// the program runs in "/", in a process group of its own, with the clean
// environment of command_env(). A non-zero exit is a reply, not an error:
// the caller gets the code. A command ended by a signal reports
// exit = 128 + signal, like a shell; one that cannot be found exit 127 and
// one that cannot be executed exit 126, with the reason on stderr.
// stdout and stderr together are kept up to admin.max_output (less when
// session.max_envelope is smaller, so that the reply always fits); past
// that the command runs on and the rest is dropped (`truncated`), so an
// action is never cut short by how much it prints. Past admin.timeout the
// process group is killed and the call fails with `timeout`.
//
// Peers outside the grant learn nothing: the handle is concealed
// (handles.hpp), and the handler checks again with the same answer. Every
// use, refusals included, is logged at notice with the caller's peer tag,
// fingerprint and the quoted command line. A send runs the command too and
// drops the output.
#pragma once

#include <uv.h>

#include <string>
#include <string_view>
#include <vector>

#include "handles/command_run.hpp"
#include "config/config.hpp"
#include "handles/exec_handle.hpp"
#include "handles/table.hpp"
#include "base/log.hpp"

namespace peernet {

inline constexpr std::string_view kAdminHandle = "peernet.admin.exec";

struct AdminRequest {
  std::vector<std::string> argv;  // at least argv[0]; no NUL anywhere
  std::string input;              // for stdin
};

// Errc::bad_request saying what is wrong with `args`.
Result<AdminRequest> parse_admin_request(ByteView args);

class AdminHandle final : public Handler {
 public:
  AdminHandle(uv_loop_t* loop, Logger& log, ExecHandle::NameOf name_of);

  // Applies to calls from now on. `allow` must not be empty.
  void configure(const Config::Admin& admin, uint64_t max_envelope, std::vector<PublicKey> allow);

  void on_call(IncomingCall call) override;
  void on_send(IncomingSend send) override;

  size_t running() const { return runs_.active(); }

 private:
  // Starts the request, or says why not (and `done` never runs). `done`
  // gets the reply bytes or the error, at once when there is nothing to
  // run (exit 127 or 126). Logs the request and its end.
  using Done = std::function<void(Result<Bytes>)>;
  Status run(const PublicKey& peer, const Bytes& args, std::string_view how, Done done);

  Logger& log_;
  ExecHandle::NameOf name_of_;
  Config::Admin admin_;
  uint64_t max_output_ = 0;
  std::vector<PublicKey> allow_;  // sorted
  CommandRuns runs_;
};

}  // namespace peernet
