// Talking to a peer's handles: call and send.
//
//   call PEER HANDLE [ARGS_JSON] [--timeout SECONDS]
//       Prints the handler's result as one line of JSON, with or without
//       --json. The remote handler's error is reported like any other.
//   send PEER HANDLE [ARGS_JSON]
//       Fire-and-forget. Prints "sent": handed to the peer's live session,
//       not yet delivered to a program there ("delivered" in --json keeps
//       its old name and that meaning). A send that cannot leave now is
//       dropped, not queued: exit code 3 when the peer is offline, 7 when
//       busy or too large. A peer that has no such handle for us reports
//       it later (guides/protocol.md §5.1): counted in `show`, logged, and
//       a `send.refused` notification to a connection still open.
//       --json  {"delivered": true}
//               {"delivered": false, "reason": "peer_offline", "message": "…"}
//
// ARGS_JSON is any JSON value (json/json_msgpack.hpp says how it maps to
// msgpack); absent means null; "-" reads it from stdin. It is checked
// before anything is sent, so bad JSON is a usage error (exit code 2).
#include <memory>

#include "cli.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"

namespace peernet::ctl {
namespace {

struct Target {
  std::string peer, handle, args;
  CLI::Option* args_option = nullptr;
  void add_to(CLI::App& sub) {
    sub.add_option("PEER", peer, "Peer id, unique prefix or alias")->required();
    sub.add_option("HANDLE", handle, "The handle's name on the peer")->required();
    args_option =
        sub.add_option("ARGS_JSON", args, "Arguments as JSON (default null; - reads stdin)");
  }
  bool has_args() const { return args_option->count() > 0; }
};

}  // namespace

Handler define_call(CLI::App& sub) {
  struct Options : Target {
    double timeout = 0;
  };
  auto o = std::make_shared<Options>();
  o->add_to(sub);
  CLI::Option* timeout = sub.add_option(
      "-t,--timeout", o->timeout, "Seconds to wait for the answer (default: the daemon's, 30)");
  return [o, timeout](const Globals& g, Io& io) {
    std::optional<double> t;
    if (timeout->count() > 0) {
      if (!(o->timeout > 0 && o->timeout <= control::kMaxTimeout))
        return report(g, io,
                      make_error(Errc::bad_request,
                                 "--timeout must be more than 0 and at most 3600 seconds"));
      t = o->timeout;
    }
    auto args = args_from_json(o->args, o->has_args(), io);
    if (!args) return report(g, io, args.error());

    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto result = client->call(o->peer, o->handle, std::move(*args), t);
    if (!result) return report(g, io, result.error());
    auto j = msgpack_to_json(*result);
    if (!j) return report(g, io, j.error());
    print_json(io, *j);
    return 0;
  };
}

Handler define_send(CLI::App& sub) {
  auto o = std::make_shared<Target>();
  o->add_to(sub);
  return [o](const Globals& g, Io& io) {
    auto args = args_from_json(o->args, o->has_args(), io);
    if (!args) return report(g, io, args.error());

    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->send(o->peer, o->handle, std::move(*args));
    if (!r) return report(g, io, r.error());
    if (r->delivered) {
      if (g.json)
        print_json(io, {{"delivered", true}});
      else
        io.out << "sent\n";
      return 0;
    }
    std::string reason(to_string(r->reason));
    if (g.json) print_json(io, {{"delivered", false}, {"reason", reason}, {"message", r->message}});
    io.err << "peernetctl: dropped, not sent: " << r->message << " (" << reason << ")\n";
    return exit_code(r->reason);
  };
}

}  // namespace peernet::ctl
