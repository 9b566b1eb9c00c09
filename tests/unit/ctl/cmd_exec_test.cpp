// peernetctl exec, run in-process against a scripted daemon
// (fake_daemon.hpp): the call it makes, the output it copies and the exit
// code it takes from the remote command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <initializer_list>
#include <sstream>

#include "cli.hpp"
#include "exit_code.hpp"
#include "fake_daemon.hpp"
#include "json/json_msgpack.hpp"

namespace peernet::ctl {
namespace {

using namespace peernet::control;
using testing::FakeConnection;
using testing::FakeDaemon;

constexpr const char* kNoSocket = "/tmp/peernet-ctl-test-no-such-dir/peernetd.sock";

struct Outcome {
  int code;
  std::string out, err;
};

Outcome run(std::vector<const char*> args, int in_fd = -1) {
  args.insert(args.begin(), "peernetctl");
  std::ostringstream out, err;
  Io io{out, err, in_fd};
  int code = run_cli(static_cast<int>(args.size()), args.data(), io);
  return {code, out.str(), err.str()};
}

// Answers hello, then expects one call of the admin handle, hands its
// params to `check` and answers with `answer`.
FakeDaemon::Script admin_call(std::function<void(const CallParams&)> check,
                              std::function<RpcMessage(uint32_t)> answer) {
  return [=](FakeConnection& c) {
    auto hello = c.expect_request("hello");
    PublicKey self;
    c.write(result_response(hello.msgid, encode_result(HelloResult{1, "peernetd test", self, true})));
    auto q = c.expect_request("call");
    auto p = decode_params<control::CallParams>(q.params);
    ASSERT_TRUE(p.ok()) << p.error().describe();
    check(*p);
    c.write(answer(q.msgid));
  };
}

RpcMessage reply(uint32_t msgid, const std::string& json) {
  return result_response(msgid, json_text_to_msgpack(json).value());
}

TEST(Exec, CopiesTheOutputAndExitsWithTheRemoteCode) {
  CallParams seen;
  FakeDaemon d(admin_call([&](const CallParams& p) { seen = p; },
                          [](uint32_t id) {
                            return reply(id, R"({"exit": 3, "signal": 0, "stdout": "out\n",
                                                 "stderr": "err\n", "truncated": false})");
                          }));
  Outcome r = run({"exec", "pi", "--socket", d.path().c_str(), "--", "systemctl", "restart", "-q", "nginx"});
  d.join();
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(seen.peer, "pi");
  EXPECT_EQ(seen.handle, "peernet.admin.exec");
  ASSERT_TRUE(seen.timeout.has_value());
  EXPECT_EQ(*seen.timeout, 75);
  EXPECT_EQ(dump_json(msgpack_to_json(seen.args).value()),
            R"({"argv":["systemctl","restart","-q","nginx"]})");
}

TEST(Exec, StdinAndJsonOutput) {
  CallParams seen;
  FakeDaemon d(admin_call([&](const CallParams& p) { seen = p; },
                          [](uint32_t id) {
                            return reply(id, R"({"exit": 0, "signal": 0, "stdout": "", "stderr": "",
                                                 "truncated": true})");
                          }));
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "some input", 10), 10);
  ::close(p[1]);
  Outcome r =
      run({"exec", "pi", "--json", "--stdin", "-t", "5", "--socket", d.path().c_str(), "--", "cat"}, p[0]);
  ::close(p[0]);
  d.join();
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, R"({"exit":0,"signal":0,"stdout":"","stderr":"","truncated":true})"
                   "\n");
  EXPECT_NE(r.err.find("dropped output"), std::string::npos) << r.err;
  EXPECT_EQ(*seen.timeout, 5);
  auto args = msgpack_to_json(seen.args).value();
  EXPECT_EQ(args["stdin"], "some input");
}

TEST(Exec, APeerWithoutAGrantIsNotFound) {
  FakeDaemon d(admin_call([](const CallParams&) {},
                          [](uint32_t id) {
                            return error_response(id, make_error(Errc::no_such_handle,
                                                                 "no handle \"peernet.admin.exec\""));
                          }));
  Outcome r = run({"exec", "pi", "--socket", d.path().c_str(), "--", "id"});
  d.join();
  EXPECT_EQ(r.code, kExitNotFound);
  EXPECT_NE(r.err.find("no handle \"peernet.admin.exec\""), std::string::npos) << r.err;
}

TEST(Exec, UsageErrors) {
  EXPECT_EQ(run({"exec", "pi"}).code, kExitUsage);  // no command
  // After "--" everything is the command's, options included.
  EXPECT_EQ(run({"exec", "pi", "--socket", kNoSocket, "--", "ls", "-t", "0"}).code, kExitNoDaemon);
  EXPECT_EQ(run({"exec", "pi", "-t", "0", "--", "ls"}).code, kExitUsage);
}

}  // namespace
}  // namespace peernet::ctl
