// Command handles between two daemons on one loop: a calls, b runs the
// program of its [[handle]] entry. Programs are real (/bin/sh and
// coreutils); what they leave behind is checked in /proc.
#include "handles/exec_handle.hpp"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "handles/command_handles.hpp"
#include "json/json_msgpack.hpp"
#include "../process_probe.hpp"
#include "../program_fixture.hpp"
#include "proto/peer_id.hpp"
#include "base/random.hpp"

namespace peernet::testing {
namespace {

namespace fs = std::filesystem;

class ExecTest : public ProgramTest {
 protected:
  static CommandHandleConfig handle(std::string name, std::vector<std::string> command) {
    CommandHandleConfig h;
    h.name = std::move(name);
    h.command = std::move(command);
    return h;
  }
  static std::vector<std::string> sh(const std::string& script, const std::string& arg0 = "sh") {
    return {"/bin/sh", "-c", script, arg0};
  }

  // a, then b running `handles` for a (each allows a unless it says
  // otherwise), trusting each other, connected.
  void pair(std::vector<CommandHandleConfig> handles) {
    a_ = &add_node();
    std::string a_id = peer_id_text(a_->key());
    b_ = &add_node([&](Config& c) {
      for (auto& h : handles)
        if (h.allow.empty()) h.allow = {a_id};
      c.handles = handles;
    });
    ASSERT_TRUE((*b_)->trust_add(TrustedPeer{a_->key(), "alice", {}}).ok());
    trust(*a_, *b_);
    ASSERT_TRUE(connected(*a_, *b_));
  }

  // A call from a to b's handle `name`, and the same run until the answer
  // is in.
  Status call(const std::string& name, Bytes args, CallResult& out) {
    return ProgramTest::call(*a_, *b_, name, std::move(args), out);
  }
  Result<Bytes> call_wait(const std::string& name, Bytes args = {}) {
    return ProgramTest::call_wait(*a_, *b_, name, std::move(args));
  }
  static Bytes args(std::string_view json) { return json_text_to_msgpack(json).value(); }
  static std::string json_of(const Bytes& b) { return dump_json(msgpack_to_json(b).value()); }


  Node* a_ = nullptr;
  Node* b_ = nullptr;
};

TEST_F(ExecTest, AllowedPeerGetsTheProgramsJsonReply) {
  pair({handle("env.show", sh(R"sh(read -r line
printf '{"got":%s,"peer":"%s","name":"%s","handle":"%s","path":"%s","home":"%s","cwd":"%s"}\n' \
  "$line" "$PEERNET_PEER" "$PEERNET_PEER_NAME" "$PEERNET_HANDLE" "$PATH" "$HOME" "$(pwd)")sh"))});
  auto r = call_wait("env.show", args(R"({"x": [1, 2.5, "three"], "b": {"$bin": "AAE="}})"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto j = nlohmann::json::parse(json_of(*r));
  EXPECT_EQ(j["got"], nlohmann::json::parse(R"({"b": {"$bin": "AAE="}, "x": [1, 2.5, "three"]})"));
  EXPECT_EQ(j["peer"], peer_id_text(a_->key()));
  EXPECT_EQ(j["name"], "alice");
  EXPECT_EQ(j["handle"], "env.show");
  // A clean environment, in "/".
  EXPECT_EQ(j["path"], "/usr/local/bin:/usr/bin:/bin");
  EXPECT_EQ(j["home"], "");
  EXPECT_EQ(j["cwd"], "/");
  expect_all_reaped();
}

TEST_F(ExecTest, ArgsReachStdinAsOneLineWithKeysInTheirOrder) {
  // The line the program read, returned as a string (it is not JSON).
  pair({handle("line", sh(R"sh(read -r line; echo "stdin: $line")sh"))});
  auto r = call_wait("line", args(R"({"z": 1, "a": {"y": null, "b": [true]}})"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, mp_str(R"(stdin: {"z":1,"a":{"y":null,"b":[true]}})"));
  expect_all_reaped();
}

TEST_F(ExecTest, ProgramsInheritNoDescriptorButTheirStdio) {
  // The daemon's sockets, pipes and files stay its own. (ls opens the
  // directory it lists: that is the 3.)
  pair({handle("fds", {"/bin/ls", "/proc/self/fd"})});
  auto r = call_wait("fds");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, mp_str("0\n1\n2\n3"));
  expect_all_reaped();
}

TEST_F(ExecTest, OutputThatIsNotJsonIsAString) {
  pair({handle("hello", {"/bin/echo", "hello world"}), handle("half", {"/bin/echo", "[1, 2"}),
        handle("echo.args", sh("read -r line; echo \"$line\"")), handle("silent", {"/bin/true"})});
  auto hello = call_wait("hello");
  ASSERT_TRUE(hello.ok()) << hello.error().describe();
  EXPECT_EQ(*hello, mp_str("hello world"));  // trailing newline trimmed
  auto half = call_wait("half");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(*half, mp_str("[1, 2"));
  // No args is null on stdin, and "null" on stdout is JSON null.
  auto nil = call_wait("echo.args");
  ASSERT_TRUE(nil.ok());
  EXPECT_EQ(*nil, Bytes{0xc0});
  auto silent = call_wait("silent");
  ASSERT_TRUE(silent.ok());
  EXPECT_EQ(*silent, mp_str(""));
  expect_all_reaped();
}

TEST_F(ExecTest, PeerNotOnTheListIsForbiddenAndTheProgramNeverStarts) {
  OsRng rng;
  std::string marker = work_ + "/marker";
  auto guarded = handle("guarded", {"/usr/bin/touch", marker});
  guarded.allow = {peer_id_text(generate_keypair(rng).pub)};
  auto open = handle("open", {"/usr/bin/touch", marker});
  open.allow = {"nobody-has-this-alias"};  // resolves to nobody: not exposed
  pair({guarded, open});
  auto echo = std::make_shared<TestHandler>();
  ASSERT_TRUE((*b_)->expose("echo", 1, echo).ok());

  auto r = call_wait("guarded");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::no_such_handle);
  auto missing = call_wait("open");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::no_such_handle);
  // Sends are dropped too. A call behind them on the same connection is
  // answered after b has dispatched them (per-connection FIFO).
  ASSERT_TRUE((*a_)->send(b_->key(), "guarded", {}).ok());
  ASSERT_TRUE((*a_)->send(b_->key(), "open", {}).ok());
  ASSERT_TRUE(call_wait("echo").ok());
  // Had a program started, it would still run (a child) or have left the marker.
  EXPECT_TRUE(own_children().empty());
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_NE(log_of(*b_).find("handle \"open\" allows no peer, so nobody can reach it"), std::string::npos)
      << log_of(*b_);
  EXPECT_NE(log_of(*b_).find("alias \"nobody-has-this-alias\" is not in the trust list, ignoring"),
            std::string::npos);
}

TEST_F(ExecTest, TimeoutKillsTheWholeProcessGroup) {
  // The shell and its background grandchild both ignore SIGTERM: only the
  // SIGKILL a second later ends them.
  auto slow = handle("slow", sh(R"(trap '' TERM
echo $$ > "$0/pg"
sleep 1000 &
echo $! > "$0/gc"
wait)",
                                work_));
  slow.timeout = 2;
  pair({slow});
  auto r = call_wait("slow");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::timeout);
  EXPECT_EQ(r.error().message, "command did not finish within 2s");
  int pg = read_pid_file(work_ + "/pg");
  int gc = read_pid_file(work_ + "/gc");
  ASSERT_GT(pg, 0) << "the program did not start before its deadline";
  ASSERT_GT(gc, 0);
  {
    Poller poll(&loop);
    ASSERT_TRUE(run_until([&] { return live_in_group(pg).empty(); }));
  }
  EXPECT_FALSE(alive(gc));
  expect_all_reaped();
}

TEST_F(ExecTest, OutputBeyondTheBoundKillsTheProgram) {
  auto chatty = handle("chatty", sh("echo $$ > \"$0/pg\"; exec /usr/bin/yes", work_));
  chatty.max_output = 1000;
  pair({chatty});
  auto r = call_wait("chatty");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::payload_too_large);
  EXPECT_EQ(r.error().message, "output exceeds 1000 bytes");
  int pg = read_pid_file(work_ + "/pg");
  ASSERT_GT(pg, 0);
  {
    Poller poll(&loop);
    ASSERT_TRUE(run_until([&] { return live_in_group(pg).empty(); }));
  }
  expect_all_reaped();
}

TEST_F(ExecTest, FailuresCarryTheExitCodeAndStderr) {
  pair({handle("broken", sh("echo 'it broke' >&2; echo 'not this'; exit 3")),
        handle("noisy",
               sh("i=0; while [ $i -lt 200 ]; do echo 'xxxxxxxxxxxxxxxxxxxx' >&2; i=$((i+1)); done; exit 1")),
        handle("shot", sh("kill -USR1 $$")), handle("gone", {"/nonexistent/program"})});
  auto broken = call_wait("broken");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, Errc::handler_failed);
  EXPECT_EQ(broken.error().message, "exit 3: it broke");
  // Only the first 512 bytes of stderr go into the message.
  auto noisy = call_wait("noisy");
  ASSERT_FALSE(noisy.ok());
  EXPECT_EQ(noisy.error().message.size(), std::string("exit 1: ").size() + 512);
  auto shot = call_wait("shot");
  ASSERT_FALSE(shot.ok());
  EXPECT_EQ(shot.error().code, Errc::handler_failed);
  EXPECT_EQ(shot.error().message, "killed by signal " + std::to_string(SIGUSR1));
  auto gone = call_wait("gone");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Errc::handler_failed);
  EXPECT_NE(gone.error().message.find("/nonexistent/program"), std::string::npos) << gone.error().describe();
  EXPECT_NE(log_of(*b_).find("\"/nonexistent/program\" cannot be executed"), std::string::npos);
  expect_all_reaped();
}

TEST_F(ExecTest, ConcurrentCallsBeyondTheBoundAreBusy) {
  // Blocks until the file "go" appears, for at most ~20 s.
  auto gate = handle("gate", sh(R"(i=0
while [ ! -e "$0/go" ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done
echo '"through"')",
                                work_));
  gate.max_concurrent = 2;
  gate.timeout = 60;
  pair({gate});
  std::vector<CallResult> results(5);
  for (auto& r : results) ASSERT_TRUE(call("gate", {}, r).ok());
  auto count = [&](std::optional<Errc> code) {
    int n = 0;
    for (const auto& r : results)
      if (r.runs > 0) n += code ? !r.result->ok() && r.result->error().code == *code : r.result->ok();
    return n;
  };
  // The calls arrive in order: the first two start, the other three are
  // refused at once, while the first two still wait.
  ASSERT_TRUE(run_until([&] { return count(Errc::busy) == 3; }));
  EXPECT_EQ(count(std::nullopt), 0);
  std::ofstream(work_ + "/go") << "";
  ASSERT_TRUE(run_until([&] { return count(std::nullopt) == 2; }));
  for (const auto& r : results) EXPECT_EQ(r.runs, 1);
  for (const auto& r : results)
    if (r.result->ok()) {
      EXPECT_EQ(**r.result, mp_str("through"));
    }
  // The slots are free again.
  auto again = call_wait("gate");
  ASSERT_TRUE(again.ok()) << again.error().describe();
  expect_all_reaped();
}

TEST_F(ExecTest, SendRunsTheProgramAndDropsItsOutput) {
  pair({handle("note", sh(R"(read -r line
printf '%s' "$line" > "$0/sent.tmp"
mv "$0/sent.tmp" "$0/sent"
echo 'ignored')",
                          work_))});
  ASSERT_TRUE((*a_)->send(b_->key(), "note", args(R"({"n": 1})")).ok());
  {
    Poller poll(&loop);
    ASSERT_TRUE(run_until([&] { return fs::exists(work_ + "/sent"); }));
  }
  std::ifstream in(work_ + "/sent");
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, R"({"n":1})");
  expect_all_reaped();
}

TEST_F(ExecTest, StoppingTheDaemonKillsWhatStillRuns) {
  auto slow = handle("slow", sh("echo $$ > \"$0/pg\"; exec sleep 1000", work_));
  slow.timeout = 600;
  pair({slow});
  CallResult r;
  ASSERT_TRUE(call("slow", {}, r).ok());
  {
    Poller poll(&loop);
    ASSERT_TRUE(run_until([&] { return read_pid_file(work_ + "/pg") > 0; }));
  }
  int pg = read_pid_file(work_ + "/pg");
  stop(*b_);
  // Killed and reaped even though nobody waits for it any more.
  {
    Poller poll(&loop);
    ASSERT_TRUE(run_until([&] { return live_in_group(pg).empty(); }));
  }
  expect_all_reaped();
  ASSERT_TRUE(run_until([&] { return r.runs > 0; }));
  EXPECT_FALSE(r.result->ok());
}

}  // namespace
}  // namespace peernet::testing
