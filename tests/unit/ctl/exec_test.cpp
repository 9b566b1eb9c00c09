// listen --exec's command runner: stdin, stdout, stderr, environment, exit
// status, and the bounds on time and output.
#include "exec.hpp"

#include <gtest/gtest.h>

namespace peernet::ctl {
namespace {

ExecResult run(ExecRequest req) {
  auto r = run_command(req);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
  return r.ok() ? *r : ExecResult{};
}

TEST(Exec, StdinToStdout) {
  ExecRequest req;
  req.command = "cat";
  req.input = "{\"text\": \"hi\"}\n";
  ExecResult r = run(req);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, req.input);
  EXPECT_EQ(r.err, "");
}

TEST(Exec, EnvironmentAndExitCodeAndStderr) {
  ExecRequest req;
  req.command = "printf '%s %s' \"$PEERNET_PEER\" \"$PEERNET_HANDLE\"; echo oops >&2; exit 3";
  req.env = {{"PEERNET_PEER", "ABC"}, {"PEERNET_HANDLE", "echo"}};
  ExecResult r = run(req);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "ABC echo");
  EXPECT_EQ(r.err, "oops\n");
}

TEST(Exec, ExtraVariablesReplaceInheritedOnes) {
  ::setenv("PEERNET_HANDLE", "inherited", 1);
  ExecRequest req;
  req.command = "echo \"$PEERNET_HANDLE\"; env | grep -c '^PEERNET_HANDLE='";
  req.env = {{"PEERNET_HANDLE", "mine"}};
  ExecResult r = run(req);
  ::unsetenv("PEERNET_HANDLE");
  EXPECT_EQ(r.out, "mine\n1\n");
}

TEST(Exec, SignalsAreReported) {
  ExecRequest req;
  req.command = "kill -TERM $$";
  ExecResult r = run(req);
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.signal, SIGTERM);
}

TEST(Exec, ACommandThatHangsIsKilledAtTheTimeout) {
  ExecRequest req;
  // A background child holds stdout open too; the whole group goes.
  req.command = "sleep 30 & sleep 30";
  req.timeout = 0.2;
  ExecResult r = run(req);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.signal, SIGKILL);
}

TEST(Exec, OutputBeyondTheLimitKillsTheCommand) {
  ExecRequest req;
  req.command = "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done";
  req.max_output = 1000;
  ExecResult r = run(req);
  EXPECT_TRUE(r.output_too_large);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out.size(), 1000u);
}

TEST(Exec, StderrIsCappedButDrained) {
  ExecRequest req;
  req.command = "head -c 200000 /dev/zero | tr '\\0' e >&2; echo done";
  req.max_error = 100;
  ExecResult r = run(req);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(r.err, std::string(100, 'e'));
}

TEST(Exec, ACommandThatIgnoresItsStdinDoesNotBlock) {
  ExecRequest req;
  req.command = "echo ok";
  req.input = std::string(4 << 20, 'x');  // far more than a pipe holds
  ExecResult r = run(req);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "ok\n");
}

}  // namespace
}  // namespace peernet::ctl
