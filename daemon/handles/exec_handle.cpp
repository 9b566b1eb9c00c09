#include "handles/exec_handle.hpp"

#include <algorithm>

#include "json/json_msgpack.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"

namespace peernet {
namespace {

// The start of stderr that goes into handler_failed messages.
constexpr size_t kStderrInMessage = 512;

// What the caller gets for a program that ended on its own.
Result<Bytes> reply_of(const RunOutcome& o) {
  if (o.status.signal != 0)
    return make_error(Errc::handler_failed, "killed by signal " + std::to_string(o.status.signal));
  if (o.status.code != 0) {
    std::string_view err = o.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.remove_suffix(1);
    return make_error(Errc::handler_failed, "exit " + std::to_string(o.status.code) + ": " + std::string(err));
  }
  if (auto j = json_text_to_msgpack(o.out)) return std::move(*j);
  std::string_view text = o.out;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  Bytes b;
  MsgpackWriter(b).str(text);
  return b;
}

}  // namespace

ExecHandle::ExecHandle(uv_loop_t* loop, Logger& log, NameOf name_of)
    : log_(log), name_of_(std::move(name_of)), runs_(loop) {}

void ExecHandle::configure(const CommandHandleConfig& config, std::vector<PublicKey> allow) {
  config_ = config;
  std::sort(allow.begin(), allow.end());
  allow_ = std::move(allow);
}

Result<RunSpec> ExecHandle::prepare(const PublicKey& peer, const Bytes& args) {
  // Handles::route checked the allow-list already; a handle that runs
  // programs checks again rather than trust every path to it.
  if (!std::binary_search(allow_.begin(), allow_.end(), peer))
    return no_such_handle(config_.name);
  if (runs_.active() >= config_.max_concurrent)
    return make_error(Errc::busy, "handle " + quote(config_.name) + " is running " +
                                      std::to_string(config_.max_concurrent) + " commands already");
  // The session checked the args against the protocol's limits already; a
  // refusal here is the caller's, whatever the mapping calls it.
  auto input = msgpack_to_json(args);
  if (!input) return make_error(Errc::bad_request, "args: " + input.error().message);
  RunSpec spec;
  spec.program = config_.command.at(0);
  spec.argv = config_.command;
  spec.env = command_env(peer, name_of_ ? name_of_(peer) : std::string(), config_.name);
  spec.input = dump_json(*input) + "\n";
  spec.timeout_ms = seconds_to_ms(config_.timeout);
  spec.max_output = config_.max_output;
  spec.kill_on_excess = true;
  spec.stderr_shares_limit = false;
  spec.max_stderr = kStderrInMessage;
  return spec;
}

void ExecHandle::on_call(IncomingCall call) {
  auto spec = prepare(call.peer, call.args);
  if (!spec) {
    if (log_.enabled(LogLevel::debug))
      log_.debug("handle " + quote(config_.name) + " refused " + peer_tag(call.peer) + ": " +
                 spec.error().describe());
    return call.responder.fail(spec.error());
  }
  std::string name = config_.name;
  std::string tag = peer_tag(call.peer);
  uint64_t max_output = config_.max_output;
  double timeout = config_.timeout;
  auto responder = std::make_shared<Responder>(std::move(call.responder));
  auto done = [this, name, tag, max_output, timeout, responder](RunOutcome o) {
    Result<Bytes> r = make_error(Errc::internal, "");
    switch (o.end) {
      case RunOutcome::End::exited: r = reply_of(o); break;
      case RunOutcome::End::timed_out:
        r = make_error(Errc::timeout, "command did not finish within " + format_duration(timeout));
        break;
      case RunOutcome::End::output_exceeded:
        r = make_error(Errc::payload_too_large, "output exceeds " + std::to_string(max_output) + " bytes");
        break;
    }
    if (r) return responder->reply(std::move(*r));
    log_.info("handle " + quote(name) + " called by " + tag + ": " + r.error().describe());
    responder->fail(r.error());
  };
  if (auto st = runs_.start(std::move(*spec), std::move(done)); !st) {
    Error e = log_.fail(std::move(st).error(), "handle " + quote(config_.name), LogLevel::warning);
    responder->fail(to_string(Errc::handler_failed), e.message);
  }
}

void ExecHandle::on_send(IncomingSend send) {
  auto spec = prepare(send.peer, send.args);
  if (!spec) {
    if (log_.enabled(LogLevel::debug))
      log_.debug("send to handle " + quote(config_.name) + " from " + peer_tag(send.peer) +
                 " dropped: " + spec.error().describe());
    return;
  }
  std::string name = config_.name;
  std::string tag = peer_tag(send.peer);
  auto done = [this, name, tag](RunOutcome o) {
    if (o.end == RunOutcome::End::exited && o.status.code == 0 && o.status.signal == 0) return;
    auto r = o.end == RunOutcome::End::exited ? reply_of(o).error().describe()
                                              : std::string(o.end == RunOutcome::End::timed_out
                                                                ? "timed out"
                                                                : "output too large");
    log_.info("send to handle " + quote(name) + " from " + tag + ": " + r);
  };
  if (auto st = runs_.start(std::move(*spec), std::move(done)); !st)
    (void)log_.fail(std::move(st).error(), "handle " + quote(config_.name), LogLevel::warning);
}

}  // namespace peernet
