// peernetctl's command line, run in-process: parsing, the checks made before
// connecting, exit codes, --json error output and socket path resolution.
// No daemon runs here: a command that gets as far as connecting reports
// exit code 8, which proves its arguments were accepted.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <initializer_list>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "ctl/socket_path.hpp"
#include "exit_code.hpp"
#include "proto/control/socket.hpp"

namespace peernet::ctl {
namespace {

// A valid peer id (guides/control-api.md's example).
constexpr const char* kId = "LJQWQ33-WPWCIXS-EUZUCT2-5NN4YP6-FNDWG74-3W7J6YB-CBEIBOH-RFFQZQS";
constexpr const char* kNoSocket = "/tmp/peernet-ctl-test-no-such-dir/peernetd.sock";

struct Outcome {
  int code;
  std::string out, err;
};

Outcome run(std::initializer_list<const char*> args, int in_fd = -1) {
  std::vector<const char*> argv{"peernetctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  Io io{out, err, in_fd};
  int code = run_cli(static_cast<int>(argv.size()), argv.data(), io);
  return {code, out.str(), err.str()};
}

// A pipe whose read end holds `text`.
int stdin_with(const std::string& text) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  EXPECT_EQ(::write(p[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(p[1]);
  return p[0];
}

TEST(CliArgs, HelpListsEveryVerbAndExitsZero) {
  Outcome r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const Command& c : commands()) {
    EXPECT_NE(r.out.find(std::string(c.name)), std::string::npos) << c.name;
    EXPECT_NE(r.out.find(std::string(c.help)), std::string::npos) << c.name;
  }
  EXPECT_NE(r.out.find("pair, trust"), std::string::npos);
  EXPECT_NE(r.out.find("8 peernetd not running"), std::string::npos);
}

TEST(CliArgs, VersionExitsZero) {
  Outcome r = run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("peernetctl ", 0), 0u) << r.out;
}

TEST(CliArgs, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}).code, kExitUsage);
  EXPECT_EQ(run({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(run({"call", "laptop"}).code, kExitUsage);             // no HANDLE
  EXPECT_EQ(run({"call", "laptop", "echo", "1", "2"}).code, kExitUsage);
  EXPECT_EQ(run({"call", "laptop", "echo", "--timeout", "soon"}).code, kExitUsage);
  EXPECT_EQ(run({"pair"}).code, kExitUsage);
  EXPECT_EQ(run({"peers", "--bogus"}).code, kExitUsage);
  EXPECT_EQ(run({"listen", "echo", "--exec-timeout", "-1"}).code, kExitUsage);
}

TEST(CliArgs, BadJsonArgsAreUsageErrorsBeforeConnecting) {
  Outcome r = run({"call", "laptop", "echo", "{\"a\": ", "--socket", kNoSocket});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("invalid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(run({"send", "laptop", "echo", "[1,", "--socket", kNoSocket}).code, kExitUsage);
  EXPECT_EQ(run({"send", "laptop", "echo", "{\"$bin\": \"!\"}", "--socket", kNoSocket}).code,
            kExitUsage);
}

TEST(CliArgs, TimeoutMustBeInTheDaemonsRange) {
  for (const char* t : {"0", "-1", "3601", "nan"}) {
    Outcome r = run({"call", "laptop", "echo", "--timeout", t, "--socket", kNoSocket});
    EXPECT_EQ(r.code, kExitUsage) << t;
  }
  EXPECT_EQ(run({"call", "laptop", "echo", "--timeout", "0.5", "--socket", kNoSocket}).code,
            kExitNoDaemon);
  EXPECT_EQ(run({"call", "laptop", "echo", "-t", "3600", "--socket", kNoSocket}).code,
            kExitNoDaemon);
}

TEST(CliArgs, PairChecksThePeerIdLocally) {
  std::string typo = kId;
  typo[3] = typo[3] == 'A' ? 'B' : 'A';
  Outcome r = run({"pair", typo.c_str(), "--socket", kNoSocket});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("bad_peer_id"), std::string::npos) << r.err;
  // A valid id gets as far as connecting, under either name of the verb.
  EXPECT_EQ(run({"pair", kId, "--name", "laptop", "--addr", "127.0.0.1:7469", "--addr",
                 "[::1]:7469", "--socket", kNoSocket})
                .code,
            kExitNoDaemon);
  EXPECT_EQ(run({"trust", kId, "--socket", kNoSocket}).code, kExitNoDaemon);
}

TEST(CliArgs, NoDaemonExitsEightAndSaysWhere) {
  for (const char* verb : {"id", "list", "peers", "status"}) {
    Outcome r = run({verb, "--socket", kNoSocket});
    EXPECT_EQ(r.code, kExitNoDaemon) << verb;
    EXPECT_EQ(r.err, std::string("peernetctl: peernetd is not running? no socket at ") + kNoSocket +
                         "\n")
        << verb;
    EXPECT_EQ(r.out, "") << verb;
  }
  EXPECT_EQ(run({"untrust", "laptop", "--socket", kNoSocket}).code, kExitNoDaemon);
  EXPECT_EQ(run({"connect", "127.0.0.1:7469", "--socket", kNoSocket}).code, kExitNoDaemon);
  EXPECT_EQ(run({"listen", "echo", "--allow", "laptop", "--exec", "cat", "--socket", kNoSocket}).code,
            kExitNoDaemon);
  EXPECT_EQ(run({"chat", "laptop", "--socket", kNoSocket}).code, kExitNoDaemon);
}

TEST(CliArgs, JsonErrorsAreJsonOnStdout) {
  Outcome r = run({"send", "laptop", "chat", "\"hi\"", "--json", "--socket", kNoSocket});
  EXPECT_EQ(r.code, kExitNoDaemon);
  auto j = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(j["error"]["code"], "closed");
  EXPECT_EQ(j["error"]["message"],
            std::string("peernetd is not running? no socket at ") + kNoSocket);
  // Usage errors found by peernetctl itself too.
  r = run({"call", "laptop", "echo", "nope", "--json"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(nlohmann::ordered_json::parse(r.out)["error"]["code"], "bad_request");
}

TEST(CliArgs, GlobalOptionsGoBeforeOrAfterTheVerb) {
  Outcome r = run({"--socket", kNoSocket, "--json", "status"});
  EXPECT_EQ(r.code, kExitNoDaemon);
  EXPECT_EQ(nlohmann::ordered_json::parse(r.out)["error"]["code"], "closed");
  r = run({"status", "--json", "--socket", kNoSocket});
  EXPECT_EQ(r.code, kExitNoDaemon);
  EXPECT_EQ(nlohmann::ordered_json::parse(r.out)["error"]["code"], "closed");
  EXPECT_EQ(run({"id", "-q", "--socket", kNoSocket}).code, kExitNoDaemon);
}

TEST(CliArgs, ArgsDashReadsStdin) {
  Outcome r = run({"call", "laptop", "echo", "-", "--socket", kNoSocket}, stdin_with("{\"x\": [1, 2]}\n"));
  EXPECT_EQ(r.code, kExitNoDaemon);  // parsed, then no daemon
  r = run({"call", "laptop", "echo", "-", "--socket", kNoSocket}, stdin_with("{oops"));
  EXPECT_EQ(r.code, kExitUsage);
}

TEST(CliArgs, PeernetSocketIsUsedWithoutSocketFlag) {
  ::setenv("PEERNET_SOCKET", "/tmp/peernet-ctl-test-env/x.sock", 1);
  Outcome r = run({"status"});
  ::unsetenv("PEERNET_SOCKET");
  EXPECT_EQ(r.code, kExitNoDaemon);
  EXPECT_NE(r.err.find("/tmp/peernet-ctl-test-env/x.sock"), std::string::npos) << r.err;
}

TEST(CliArgs, UnknownVerbsGetTheNearestOnes) {
  Outcome r = run({"peer"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "peernetctl: unknown command \"peer\"; did you mean \"peers\"? (bad_request)\n");
  r = run({"--socket", kNoSocket, "lisen", "echo"});
  EXPECT_NE(r.err.find("did you mean \"listen\"?"), std::string::npos) << r.err;
  r = run({"xyzzy", "--json"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "peernetctl: unknown command \"xyzzy\" (peernetctl help lists them) (bad_request)\n");
  auto j = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(j["error"]["code"], "bad_request");
}

TEST(CliArgs, EveryUsageErrorIsPrefixedAndJsonWhenAsked) {
  for (auto args : {std::vector<const char*>{"call", "laptop", "--json"},
                    std::vector<const char*>{"--json", "peers", "--bogus"},
                    std::vector<const char*>{"--json"},
                    std::vector<const char*>{"call", "laptop", "echo", "--timeout", "soon", "--json"}}) {
    std::vector<const char*> argv{"peernetctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::ostringstream out, err;
    Io io{out, err, -1};
    int code = run_cli(static_cast<int>(argv.size()), argv.data(), io);
    EXPECT_EQ(code, kExitUsage) << args[0];
    EXPECT_EQ(err.str().rfind("peernetctl: ", 0), 0u) << err.str();
    auto j = nlohmann::ordered_json::parse(out.str());
    EXPECT_EQ(j["error"]["code"], "bad_request") << out.str();
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }
  Outcome r = run({"call", "laptop"});
  EXPECT_EQ(r.err, "peernetctl: call: HANDLE is required (see peernetctl help call) (bad_request)\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliArgs, HelpAndVersionVerbs) {
  Outcome r = run({"help"});
  EXPECT_EQ(r.code, 0);
  for (const Command& c : commands()) EXPECT_NE(r.out.find(std::string(c.help)), std::string::npos);
  r = run({"help", "trust"});  // an alias names its verb
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage: peernetctl pair"), std::string::npos) << r.out;
  r = run({"help", "evnets"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("did you mean \"events\"?"), std::string::npos) << r.err;
  r = run({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "peernetctl " + run({"--version"}).out.substr(11));
  r = run({"version", "--json"});
  EXPECT_TRUE(nlohmann::ordered_json::parse(r.out).contains("version"));
}

TEST(CliArgs, ADirectoryAsSocketSaysSo) {
  Outcome r = run({"status", "--socket", "/tmp"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err.rfind("peernetctl: /tmp is a directory, not a socket", 0), 0u) << r.err;
}

TEST(CliArgs, WaitGivesUpWithTimeoutNamingTheSocket) {
  Outcome r = run({"wait", "--timeout", "0.2", "--socket", kNoSocket});
  EXPECT_EQ(r.code, kExitTimeout);
  EXPECT_NE(r.err.find(std::string("did not answer on ") + kNoSocket + " within 0.2 s"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(run({"wait", "--timeout", "-1"}).code, kExitUsage);
  EXPECT_EQ(run({"events", "--event", "peer.sideways", "--socket", kNoSocket}).code, kExitUsage);
}

TEST(CliArgs, NoDefaultSocketNamesEveryPathTriedAndHowToStart) {
  // A system daemon running here would be found and answer.
  if (::access(control::kSystemSocketPath, F_OK) == 0) GTEST_SKIP() << "a system peernetd runs here";
  std::string dir = "/tmp/peernet-ctl-test-runtime-" + std::to_string(::getpid());
  ::unsetenv("PEERNET_SOCKET");
  ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  Outcome r = run({"status"});
  ::unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(r.code, kExitNoDaemon);
  EXPECT_NE(r.err.find(dir + "/peernet/peernetd.sock"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(control::kSystemSocketPath), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("systemctl start peernetd"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("peernetd --user"), std::string::npos) << r.err;
}

TEST(SocketPath, FlagThenEnvironmentThenDefault) {
  SocketPathInputs in;
  in.euid = 1000;
  in.xdg_runtime_dir = "/run/user/1000";
  EXPECT_EQ(resolve_socket_path(in), "/run/user/1000/peernet/peernetd.sock");
  in.env_socket = "/srv/env.sock";
  EXPECT_EQ(resolve_socket_path(in), "/srv/env.sock");
  in.flag = "/srv/flag.sock";
  EXPECT_EQ(resolve_socket_path(in), "/srv/flag.sock");
  // Empty values count as unset.
  in.flag = "";
  in.env_socket = "";
  EXPECT_EQ(resolve_socket_path(in), "/run/user/1000/peernet/peernetd.sock");
}

TEST(SocketPath, DefaultsFollowTheDaemonsRule) {
  SocketPathInputs in;
  in.euid = 1234;
  EXPECT_EQ(resolve_socket_path(in), "/tmp/peernet-1234/peernetd.sock");
  in.euid = 0;
  in.xdg_runtime_dir = "/run/user/0";
  EXPECT_EQ(resolve_socket_path(in), "/run/peernet/peernetd.sock");
}

TEST(SocketPath, RootFindsItsUserModeDaemonWhenThereIsNoSystemOne) {
  SocketPathInputs in;
  in.euid = 0;
  in.xdg_runtime_dir = "/run/user/0";
  std::set<std::string> present;
  in.exists = [&](const std::string& p) { return present.count(p) > 0; };
  EXPECT_EQ(resolve_socket_path(in), "/run/peernet/peernetd.sock");  // neither: name the system one
  present.insert("/run/user/0/peernet/peernetd.sock");
  EXPECT_EQ(resolve_socket_path(in), "/run/user/0/peernet/peernetd.sock");
  present.insert("/run/peernet/peernetd.sock");
  EXPECT_EQ(resolve_socket_path(in), "/run/peernet/peernetd.sock");  // both: the system daemon
}

// A member of the group "peernet" without a daemon of their own reaches
// the system service.
TEST(SocketPath, UserFindsTheSystemDaemonWhenTheyHaveNone) {
  SocketPathInputs in;
  in.euid = 1000;
  in.xdg_runtime_dir = "/run/user/1000";
  std::set<std::string> present;
  in.exists = [&](const std::string& p) { return present.count(p) > 0; };
  EXPECT_EQ(resolve_socket_path(in), "/run/user/1000/peernet/peernetd.sock");  // neither: their own
  present.insert("/run/peernet/peernetd.sock");
  EXPECT_EQ(resolve_socket_path(in), "/run/peernet/peernetd.sock");
  present.insert("/run/user/1000/peernet/peernetd.sock");
  EXPECT_EQ(resolve_socket_path(in), "/run/user/1000/peernet/peernetd.sock");  // both: their own
  in.env_socket = "/srv/env.sock";
  EXPECT_EQ(resolve_socket_path(in), "/srv/env.sock");
}

TEST(ExitCodes, FollowTheErrorCode) {
  EXPECT_EQ(exit_code(Errc::bad_request), 2);
  EXPECT_EQ(exit_code(Errc::bad_peer_id), 2);
  EXPECT_EQ(exit_code(Errc::peer_offline), 3);
  EXPECT_EQ(exit_code(Errc::timeout), 4);
  EXPECT_EQ(exit_code(Errc::forbidden), 5);
  EXPECT_EQ(exit_code(Errc::untrusted_peer), 5);
  EXPECT_EQ(exit_code(Errc::no_such_peer), 6);
  EXPECT_EQ(exit_code(Errc::ambiguous_peer), 6);
  EXPECT_EQ(exit_code(Errc::no_such_handle), 6);
  EXPECT_EQ(exit_code(Errc::busy), 7);
  EXPECT_EQ(exit_code(Errc::payload_too_large), 7);
  EXPECT_EQ(exit_code(Errc::closed), 8);
  for (Errc other : {Errc::handle_taken, Errc::handler_failed, Errc::io_error, Errc::internal,
                     Errc::exists, Errc::protocol_error, Errc::unsupported})
    EXPECT_EQ(exit_code(other), 1) << to_string(other);
}

}  // namespace
}  // namespace peernet::ctl
