// Running a command on a peer that granted us admin access (peernetctl(1),
// guides/cookbook.md "Control a box from another").
//
//   exec PEER [--timeout SECONDS] [--stdin] -- COMMAND [ARG...]
//       Calls the peer's admin handle "peernet.admin.exec". The command's
//       stdout and stderr are copied to ours byte for byte, and peernetctl
//       exits with its exit code (128 + N when signal N ended it, 127 when
//       the peer has no such command). --stdin sends our stdin, read to
//       its end, as the command's stdin; without it the command's stdin is
//       empty. Output the peer dropped past its admin.max_output is
//       reported on stderr.
//       --json  prints the peer's reply instead:
//               {"exit": 0, "signal": 0, "stdout": "…", "stderr": "…", "truncated": false}
//               and still exits with the command's code.
//
// When the call itself fails, peernetctl's usual exit codes apply
// (exit_code.hpp): a peer that granted us nothing answers no_such_handle
// (6), exactly as if it had no admin handle at all; a command still
// running at the peer's admin.timeout is killed there and reported as a
// timeout (4).
//
// COMMAND runs without a shell on the peer: pass "sh", "-c", "…" to get
// one. A bare name is looked up in /usr/local/bin:/usr/bin:/bin there.
#include <memory>

#include "cli.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"

namespace peernet::ctl {
namespace {

constexpr std::string_view kAdminHandle = "peernet.admin.exec";

// A little longer than the peer's default admin.timeout (60 s), so that
// the peer's own deadline answers first and says what happened.
constexpr double kDefaultExecTimeout = 75;

// Exit statuses live in 0..255; anything else the peer says is an error.
int exit_status_of(const nlohmann::json& reply) {
  const nlohmann::json& code = reply.contains("exit") ? reply["exit"] : nlohmann::json();
  if (!code.is_number_integer()) return kExitError;
  int64_t n = code.get<int64_t>();
  return n >= 0 && n <= 255 ? static_cast<int>(n) : kExitError;
}

void copy_out(std::ostream& to, const nlohmann::json& reply, const char* key) {
  if (!reply.contains(key) || !reply[key].is_string()) return;
  const std::string& bytes = reply[key].get_ref<const std::string&>();
  to.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  to.flush();
}

}  // namespace

Handler define_exec(CLI::App& sub) {
  struct Options {
    std::string peer;
    std::vector<std::string> argv;
    double timeout = kDefaultExecTimeout;
    bool send_stdin = false;
  };
  auto o = std::make_shared<Options>();
  sub.add_option("PEER", o->peer, "Peer id, unique prefix or alias")->required();
  sub.add_option("COMMAND", o->argv, "The command and its arguments, after --")->required();
  sub.add_option("-t,--timeout", o->timeout,
                 "Seconds to wait for the command (default 75; the peer stops it at its admin.timeout)");
  sub.add_flag("-i,--stdin", o->send_stdin, "Send our stdin as the command's stdin");
  sub.footer("Example: peernetctl exec pi -- systemctl restart nginx");
  return [o](const Globals& g, Io& io) {
    if (!(o->timeout > 0 && o->timeout <= control::kMaxTimeout))
      return report(g, io,
                    make_error(Errc::bad_request, "--timeout must be more than 0 and at most 3600 seconds"));
    nlohmann::json request{{"argv", o->argv}};
    if (o->send_stdin) {
      auto input = read_all(io.in_fd, control::kDefaultMaxMessage);
      if (!input) return report(g, io, input.error());
      request["stdin"] = std::move(*input);
    }
    auto args = json_to_msgpack(request);
    if (!args) return report(g, io, args.error());

    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto result = client->call(o->peer, kAdminHandle, std::move(*args), o->timeout);
    if (!result) return report(g, io, result.error());
    auto reply = msgpack_to_json(*result);
    if (!reply) return report(g, io, reply.error());
    if (!reply->is_object())
      return report(g, io,
                    make_error(Errc::protocol_error, "the peer's admin handle answered " + dump_json(*reply)));

    if (g.json) {
      print_json(io, *reply);
    } else {
      copy_out(io.out, *reply, "stdout");
      copy_out(io.err, *reply, "stderr");
    }
    if (reply->value("truncated", false))
      io.err << "peernetctl: the peer dropped output past its admin.max_output\n";
    return exit_status_of(*reply);
  };
}

}  // namespace peernet::ctl
