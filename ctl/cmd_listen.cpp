// peernetctl listen HANDLE [--allow PEER]... [--exec CMD] [--exec-timeout S] [--count N]
//
// Exposes HANDLE for as long as it runs (the handle goes away with the
// connection) and handles what peers call and send to it.
//
// Without --exec, each message is printed as one line of JSON (with or
// without --json) and every call is answered null:
//   {"kind": "call" | "send", "from": "<peer id>", "from_name": "laptop" | null,
//    "handle": "echo", "args": <args as JSON>}
//
// With --exec, CMD runs through /bin/sh -c once per message, one at a time,
// with the args as JSON (and a newline) on its stdin and PEERNET_KIND
// (call|send), PEERNET_PEER, PEERNET_PEER_NAME (empty without an alias) and
// PEERNET_HANDLE in its environment. Nothing else is printed. For a call,
// CMD's stdout is the reply: parsed as JSON, or sent as a string when it is
// not JSON (without its trailing newlines; empty output is null). A non-zero
// exit, a signal, passing --exec-timeout or printing more than 1 MiB answers
// the caller handler_failed, with the exit code and the start of stderr.
// For a send, CMD's stdout is copied to peernetctl's stdout. CMD's stderr
// (its first 4 KiB) is copied to peernetctl's stderr in both cases.
//
// When the handle is exposed, "listening on ..." goes to stderr: scripts can
// wait for that line before they make peers call. --count N exits after N
// messages; otherwise it runs until interrupted or the daemon goes away
// (exit code 8).
#include <memory>

#include "cli.hpp"
#include "exec.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"
#include "proto/peer_id.hpp"
#include "table.hpp"

namespace peernet::ctl {
namespace {

struct Options {
  std::string handle;
  std::vector<std::string> allow;
  std::string exec;
  double exec_timeout = 30;
  uint64_t count = 0;
};

struct Message {
  const char* kind;
  const PublicKey& from;
  const std::optional<std::string>& from_name;
  const std::string& handle;
  const Bytes& args;
};

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// What a call's command printed, as the reply's msgpack.
Bytes reply_from_output(const std::string& out) {
  std::string text = trim_newlines(out);
  if (text.empty()) return Bytes{0xc0};
  if (auto packed = json_text_to_msgpack(text)) return std::move(*packed);
  auto as_string = json_to_msgpack(nlohmann::ordered_json(text));
  return as_string ? std::move(*as_string) : Bytes{0xc0};
}

control::HandlerAnswer answer_from(const ExecResult& r, const Options& o) {
  auto failed = [&](std::string why) {
    std::string err = trim_newlines(r.err.substr(0, 512));
    if (!err.empty()) why += ": " + err;
    return reply_error("handler_failed", std::move(why));
  };
  if (r.timed_out) return failed("command timed out after " + format_duration(o.exec_timeout));
  if (r.output_too_large) return failed("command printed more than 1 MiB");
  if (!r.exited) return failed("command killed by signal " + std::to_string(r.signal));
  if (r.exit_code != 0) return failed("command exited with code " + std::to_string(r.exit_code));
  return reply(reply_from_output(r.out));
}

class Listener {
 public:
  Listener(const Options& o, const Globals& g, Io& io) : o_(o), g_(g), io_(io) {}

  // The exit code, once done.
  int run(Client& client) {
    for (uint64_t handled = 0; o_.count == 0 || handled < o_.count;) {
      auto in = client.next_incoming(Deadline::never());
      if (!in) return report(g_, io_, in.error());
      if (!*in) continue;
      if (auto* c = std::get_if<IncomingCall>(&**in)) {
        const auto& k = c->call;
        control::HandlerAnswer a = handle({"call", k.peer, k.peer_name, k.handle, k.args});
        if (auto st = client.answer(c->msgid, a); !st) return report(g_, io_, st.error());
      } else if (auto* s = std::get_if<control::HandleSend>(&**in)) {
        handle({"send", s->peer, s->peer_name, s->handle, s->args});
      } else {
        continue;  // peer events: not subscribed to
      }
      ++handled;
      if (!io_.out) return kExitError;  // stdout closed (| head -1): nobody is listening
    }
    return kExitOk;
  }

 private:
  control::HandlerAnswer handle(const Message& m) {
    auto args = msgpack_to_json(m.args);
    if (!args) {
      io_.err << "peernetctl: cannot show a message's args as JSON: " << args.error().message << '\n';
      return reply_error("unsupported", "the listener cannot read these args");
    }
    if (o_.exec.empty()) {
      print_json(io_, {{"kind", m.kind},
                       {"from", peer_id_text(m.from)},
                       {"from_name", m.from_name ? nlohmann::ordered_json(*m.from_name) : nlohmann::ordered_json(nullptr)},
                       {"handle", m.handle},
                       {"args", *args}});
      return reply(Bytes{0xc0});
    }
    ExecRequest req;
    req.command = o_.exec;
    req.input = dump_json(*args) + "\n";
    req.timeout = o_.exec_timeout;
    req.env = {{"PEERNET_KIND", m.kind},
               {"PEERNET_PEER", peer_id_text(m.from)},
               {"PEERNET_PEER_NAME", m.from_name.value_or("")},
               {"PEERNET_HANDLE", m.handle}};
    auto r = run_command(req);
    if (!r) {
      io_.err << "peernetctl: " << r.error().message << '\n';
      return reply_error("handler_failed", r.error().message);
    }
    if (!r->err.empty()) io_.err << r->err << std::flush;
    if (std::string_view(m.kind) == "send") {
      io_.out << r->out << std::flush;
      return reply(Bytes{0xc0});  // not sent anywhere: a send has no answer
    }
    return answer_from(*r, o_);
  }

  const Options& o_;
  const Globals& g_;
  Io& io_;
};

}  // namespace

Handler define_listen(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("HANDLE", o->handle, "The handle to expose")->required();
  sub.add_option("--allow", o->allow, "Only this peer may call or send (repeatable)");
  sub.add_option("--exec", o->exec, "Run CMD (/bin/sh -c) per message; a call's reply is its stdout");
  sub.add_option("--exec-timeout", o->exec_timeout, "Seconds CMD may run (default 30)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--count", o->count, "Exit after N messages");
  return [o](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    std::optional<std::vector<std::string>> allow;
    if (!o->allow.empty()) allow = o->allow;
    if (auto st = client->expose(o->handle, allow); !st) return report(g, io, st.error());
    io.err << "peernetctl: listening on \"" << o->handle << "\" (Ctrl-C to stop)\n" << std::flush;
    Listener l(*o, g, io);
    return l.run(*client);
  };
}

}  // namespace peernet::ctl
