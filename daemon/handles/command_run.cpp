#include "handles/command_run.hpp"

#include <signal.h>

#include <algorithm>

#include "proto/peer_id.hpp"
#include "uv/timer.hpp"

namespace peernet {

std::vector<std::string> command_env(const PublicKey& peer, std::string_view peer_name,
                                     std::string_view handle) {
  return {
      "PATH=" + std::string(kCommandPath),
      "LANG=C.UTF-8",
      "PEERNET_PEER=" + peer_id_text(peer),
      "PEERNET_PEER_NAME=" + std::string(peer_name),
      "PEERNET_HANDLE=" + std::string(handle),
  };
}

struct CommandRuns::Run {
  Run(CommandRuns& o, uint64_t i, RunSpec s, Done d)
      : owner(o), id(i), spec(std::move(s)), done(std::move(d)), deadline(o.loop_), grace(o.loop_) {}
  ~Run() {
    // Destroyed before its end (the owner went away): whatever is left of
    // the group goes now. (A process not yet reaped is killed by Process.)
    if (!gone && process.exited()) process.signal_group(SIGKILL);
  }

  Status start();
  void on_output(ByteView data, bool is_stderr);
  void on_eof(bool is_stderr);
  void on_exit(uv::ExitStatus status);
  void on_deadline();
  void on_grace_over();
  void deliver(RunOutcome::End end);
  void terminate();
  void check_end();

  CommandRuns& owner;
  const uint64_t id;
  RunSpec spec;
  Done done;  // empty once delivered
  uv::Process process;
  uv::ChildStdio io;
  uv::Timer deadline, grace;
  RunOutcome outcome;
  bool out_eof = false, err_eof = false;
  bool killing = false;      // SIGTERM sent to the group
  bool killed_hard = false;  // SIGKILL sent to the group
  bool gone = false;
};

Status CommandRuns::Run::start() {
  uv::SpawnOptions o;
  o.file = spec.program;
  o.args = spec.argv;
  o.env = spec.env;
  o.cwd = "/";  // not wherever the daemon was started
  PEERNET_TRY(process, uv::Process::spawn(owner.loop_, o, io,
                                          [this](uv::ExitStatus st) { on_exit(st); }));

  // A program that does not read its input makes the write fail (EPIPE) or
  // wait until it exits; either way stdin closes then.
  auto close_in = [this](Status) { io.in.close(); };
  if (spec.input.empty() || !io.in.write({Bytes(spec.input.begin(), spec.input.end())}, close_in))
    io.in.close();
  (void)io.out.read_start([this](ByteView d) { on_output(d, false); }, [this] { on_eof(false); },
                          [this](const Error&) { on_eof(false); });
  (void)io.err.read_start([this](ByteView d) { on_output(d, true); }, [this] { on_eof(true); },
                          [this](const Error&) { on_eof(true); });
  return deadline.start(spec.timeout_ms, 0, [this] { on_deadline(); });
}

void CommandRuns::Run::on_output(ByteView data, bool is_stderr) {
  if (!done) return;  // the outcome is out; the rest is drained and dropped
  std::string& to = is_stderr ? outcome.err : outcome.out;
  size_t room;
  if (is_stderr && !spec.stderr_shares_limit) {
    // A chatty stderr is dropped, not fatal: only its start goes into messages.
    room = spec.max_stderr - std::min(spec.max_stderr, to.size());
    to.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
    return;
  }
  uint64_t used = outcome.out.size() + (spec.stderr_shares_limit ? outcome.err.size() : 0);
  room = static_cast<size_t>(spec.max_output - std::min(spec.max_output, used));
  to.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
  if (data.size() <= room) return;
  outcome.truncated = true;
  if (!spec.kill_on_excess) return;
  deliver(RunOutcome::End::output_exceeded);
  terminate();
  check_end();
}

void CommandRuns::Run::on_eof(bool is_stderr) {
  (is_stderr ? err_eof : out_eof) = true;
  check_end();
}

void CommandRuns::Run::on_exit(uv::ExitStatus status) {
  outcome.status = status;
  check_end();
}

void CommandRuns::Run::on_deadline() {
  deliver(RunOutcome::End::timed_out);
  terminate();
  check_end();
}

void CommandRuns::Run::on_grace_over() {
  process.signal_group(SIGKILL);
  killed_hard = true;
  check_end();
}

void CommandRuns::Run::deliver(RunOutcome::End end) {
  if (!done) return;
  deadline.stop();
  outcome.end = end;
  Done d = std::move(done);
  done = nullptr;
  d(std::move(outcome));
}

void CommandRuns::Run::terminate() {
  if (killing) return;
  killing = true;
  process.signal_group(SIGTERM);
  (void)grace.start(kKillGraceMs, 0, [this] { on_grace_over(); });
}

// Called after every event: delivers a natural end, clears up what the
// program left in its group, and lets the run go when nothing is left.
// Must be the last thing its caller does: it may destroy the run.
void CommandRuns::Run::check_end() {
  if (!process.exited()) return;
  // The program's output ends when everyone holding its pipes is done:
  // a background process that keeps them runs the call into its deadline.
  if (done && out_eof && err_eof) deliver(RunOutcome::End::exited);
  if (done) return;
  if (!killed_hard && process.signal_group(0)) return terminate();
  gone = true;
  owner.finish(id);
}

CommandRuns::CommandRuns(uv_loop_t* loop) : loop_(loop) {}
CommandRuns::~CommandRuns() = default;

Status CommandRuns::start(RunSpec spec, Done done) {
  uint64_t id = next_id_++;
  auto run = std::make_unique<Run>(*this, id, std::move(spec), std::move(done));
  PEERNET_TRY_VOID(run->start());
  runs_.emplace(id, std::move(run));
  return {};
}

void CommandRuns::finish(uint64_t id) { runs_.erase(id); }

}  // namespace peernet
