#include "handles/admin_handle.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>

#include "proto/msgpack_check.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"

namespace peernet {
namespace {

// Room for the reply's envelope and map around the output (guides/protocol.md
// §5: a reply envelope adds a dozen bytes, the map's keys some forty).
constexpr uint64_t kReplyOverhead = 1024;
// The command line in log lines stops after this many bytes.
constexpr size_t kMaxLoggedCommand = 2048;

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) {
    if (line.size() > kMaxLoggedCommand) return line + " …";
    if (!line.empty()) line += ' ';
    line += quote(a);
  }
  return line;
}

Bytes encode_reply(int64_t exit, int signal, std::string_view out, std::string_view err, bool truncated) {
  Bytes b;
  MsgpackWriter w(b);
  w.map(5);
  w.str("exit");
  w.integer(exit);
  w.str("signal");
  w.integer(signal);
  w.str("stdout");
  w.str(out);
  w.str("stderr");
  w.str(err);
  w.str("truncated");
  w.boolean(truncated);
  return b;
}

// Where argv[0] is, like a shell would look for it with PATH=kCommandPath;
// nullopt with `why` set to the shell's exit code and message when it is
// missing (127) or cannot be executed (126).
struct Lookup {
  std::optional<std::string> path;
  int exit = 0;
  std::string why;
};

Lookup find_program(const std::string& name) {
  auto usable = [](const std::string& p, Lookup& l) {
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0) {
      l = Lookup{std::nullopt, 127, std::strerror(errno)};
      return false;
    }
    if (!S_ISREG(st.st_mode) || ::access(p.c_str(), X_OK) != 0) {
      l = Lookup{std::nullopt, 126, std::strerror(S_ISREG(st.st_mode) ? errno : EACCES)};
      return false;
    }
    l = Lookup{p, 0, ""};
    return true;
  };
  Lookup l;
  if (name.front() == '/') {
    usable(name, l);
    return l;
  }
  Lookup first_denied;
  std::string_view dirs = kCommandPath;
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string candidate = std::string(dirs.substr(0, colon)) + "/" + name;
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    if (usable(candidate, l)) return l;
    if (l.exit == 126 && first_denied.exit == 0) first_denied = l;
  }
  // Like a shell: a command found but not executable beats "not found".
  if (first_denied.exit != 0) return first_denied;
  return Lookup{std::nullopt, 127, "command not found"};
}

}  // namespace

Result<AdminRequest> parse_admin_request(ByteView args) {
  auto bad = [](std::string what) { return make_error(Errc::bad_request, std::move(what)); };
  auto fix = [&](Error e) { return bad(std::move(e.message)); };
  MsgpackReader r(args);
  auto n = r.map("args");
  if (!n) return fix(std::move(n).error());
  AdminRequest req;
  bool have_argv = false, have_stdin = false;
  for (uint32_t i = 0; i < *n; ++i) {
    auto key = r.str("key of args");
    if (!key) return fix(std::move(key).error());
    if (*key == "argv" && !have_argv) {
      have_argv = true;
      auto count = r.array("argv");
      if (!count) return fix(std::move(count).error());
      for (uint32_t j = 0; j < *count; ++j) {
        auto a = r.str("argv element");
        if (!a) return fix(std::move(a).error());
        if (a->find('\0') != std::string_view::npos) return bad("argv elements must not contain NUL");
        req.argv.emplace_back(*a);
      }
    } else if (*key == "stdin" && !have_stdin) {
      have_stdin = true;
      auto s = r.str("stdin");
      if (!s) return fix(std::move(s).error());
      req.input = std::string(*s);
    } else {
      return bad("unexpected key " + quote(*key) + " in args (expected \"argv\" and \"stdin\")");
    }
  }
  if (!r.at_end()) return bad("args must be one map");
  if (req.argv.empty() || req.argv[0].empty()) return bad("argv must name a command");
  if (req.argv[0].front() != '/' && req.argv[0].find('/') != std::string::npos)
    return bad("argv[0] must be an absolute path or a command name, not " + quote(req.argv[0]));
  return req;
}

AdminHandle::AdminHandle(uv_loop_t* loop, Logger& log, ExecHandle::NameOf name_of)
    : log_(log), name_of_(std::move(name_of)), runs_(loop) {}

void AdminHandle::configure(const Config::Admin& admin, uint64_t max_envelope, std::vector<PublicKey> allow) {
  admin_ = admin;
  max_output_ = std::min(admin.max_output, max_envelope > 2 * kReplyOverhead ? max_envelope - kReplyOverhead
                                                                             : max_envelope / 4);
  std::sort(allow.begin(), allow.end());
  allow_ = std::move(allow);
}

Status AdminHandle::run(const PublicKey& peer, const Bytes& args, std::string_view how, Done done) {
  std::string who = "admin exec " + std::string(how) + "by " + peer_tag(peer) + " (fingerprint " +
                    fingerprint(peer) + ")";
  auto refuse = [&](Error e) {
    log_.notice(who + " refused: " + e.describe());
    return e;
  };
  auto req = parse_admin_request(args);
  if (!req) return refuse(std::move(req).error());
  log_.notice(who + ": " + command_line(req->argv));
  if (runs_.active() >= admin_.max_concurrent)
    return refuse(make_error(Errc::busy, "running " + std::to_string(admin_.max_concurrent) +
                                             " admin commands already"));
  Lookup found = find_program(req->argv[0]);
  if (!found.path) {
    // What a shell would say; the caller gets it as the command's result.
    log_.notice(who + " ended: exit " + std::to_string(found.exit) + " (" + found.why + ")");
    done(encode_reply(found.exit, 0, "", "peernetd: " + req->argv[0] + ": " + found.why + "\n", false));
    return {};
  }

  RunSpec spec;
  spec.program = *found.path;
  spec.argv = std::move(req->argv);
  spec.env = command_env(peer, name_of_ ? name_of_(peer) : std::string(), kAdminHandle);
  spec.input = std::move(req->input);
  spec.timeout_ms = seconds_to_ms(admin_.timeout);
  spec.max_output = max_output_;
  spec.kill_on_excess = false;
  spec.stderr_shares_limit = true;
  double timeout = admin_.timeout;
  auto finished = [this, who, timeout, done = std::move(done)](RunOutcome o) {
    if (o.end != RunOutcome::End::exited) {
      log_.notice(who + " timed out after " + format_duration(timeout) + ", killed");
      return done(make_error(Errc::timeout, "command did not finish within " + format_duration(timeout)));
    }
    int64_t code = o.status.signal != 0 ? 128 + o.status.signal : o.status.code;
    log_.notice(who + " ended: " +
                (o.status.signal != 0 ? "killed by signal " + std::to_string(o.status.signal)
                                      : "exit " + std::to_string(code)) +
                (o.truncated ? ", output truncated" : ""));
    done(encode_reply(code, o.status.signal, o.out, o.err, o.truncated));
  };
  if (auto st = runs_.start(std::move(spec), std::move(finished)); !st) return refuse(std::move(st).error());
  return {};
}

void AdminHandle::on_call(IncomingCall call) {
  // Handles::route conceals the handle from everyone else; say the same.
  if (!std::binary_search(allow_.begin(), allow_.end(), call.peer))
    return call.responder.fail(no_such_handle(call.handle));
  auto responder = std::make_shared<Responder>(std::move(call.responder));
  auto st = run(call.peer, call.args, "", [responder](Result<Bytes> r) {
    if (r) return responder->reply(std::move(*r));
    responder->fail(r.error());
  });
  if (!st) responder->fail(st.error().code == Errc::bad_request || st.error().code == Errc::busy
                               ? st.error()
                               : make_error(Errc::handler_failed, st.error().message));
}

void AdminHandle::on_send(IncomingSend send) {
  if (!std::binary_search(allow_.begin(), allow_.end(), send.peer)) return;
  (void)run(send.peer, send.args, "(send) ", [](Result<Bytes>) {});
}

}  // namespace peernet
