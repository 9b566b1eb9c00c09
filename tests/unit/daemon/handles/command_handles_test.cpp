// The daemon's own handles across start, reload and trust changes: the
// admin handle (granted, refused, concealed, revoked) and command handles
// coming and going with the config. Two or three daemons on one loop.
#include "handles/command_handles.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "json/json_msgpack.hpp"
#include "../process_probe.hpp"
#include "../program_fixture.hpp"
#include "proto/peer_id.hpp"

namespace peernet::testing {
namespace {

namespace fs = std::filesystem;

class AdminTest : public ProgramTest {
 protected:
  // b with `tweak`, trusted by and trusting each of `callers`, connected.
  Node& box(const std::vector<Node*>& callers, const std::function<void(Config&)>& tweak) {
    Node& b = add_node(tweak);
    for (Node* c : callers) {
      trust(b, *c, false);
      trust(*c, b);
      EXPECT_TRUE(connected(*c, b));
    }
    return b;
  }

  // The admin reply as JSON.
  static nlohmann::json exec_reply(const Result<Bytes>& r) {
    EXPECT_TRUE(r.ok()) << r.error().describe();
    if (!r.ok()) return nullptr;
    return nlohmann::json::parse(dump_json(msgpack_to_json(*r).value()));
  }
  static Bytes exec_args(const nlohmann::json& argv, std::optional<std::string> input = std::nullopt) {
    nlohmann::json j{{"argv", argv}};
    if (input) j["stdin"] = *input;
    return json_text_to_msgpack(j.dump()).value();
  }
};

TEST_F(AdminTest, GrantedPeerRunsCommandsAndGetsTheExitCode) {
  Node& a = add_node();
  Node& b = box({&a}, [&](Config& c) { c.admin.allow = {peer_id_text(a.key())}; });
  auto r = call_wait(a, b, std::string(kAdminHandle),
                     exec_args({"sh", "-c", "echo out; echo \"err $1\" >&2; exit 7", "sh", "two words"}));
  auto j = exec_reply(r);
  EXPECT_EQ(j["exit"], 7);
  EXPECT_EQ(j["signal"], 0);
  EXPECT_EQ(j["stdout"], "out\n");
  EXPECT_EQ(j["stderr"], "err two words\n");
  EXPECT_EQ(j["truncated"], false);

  // stdin, and an absolute path.
  j = exec_reply(call_wait(a, b, std::string(kAdminHandle), exec_args({"/bin/cat"}, "line one\nline two")));
  EXPECT_EQ(j["exit"], 0);
  EXPECT_EQ(j["stdout"], "line one\nline two");

  // What a shell says for a command it cannot find.
  j = exec_reply(call_wait(a, b, std::string(kAdminHandle), exec_args({"no-such-command-here"})));
  EXPECT_EQ(j["exit"], 127);
  EXPECT_EQ(j["stderr"], "peernetd: no-such-command-here: command not found\n");

  // Bad args are refused before anything runs.
  auto bad = call_wait(a, b, std::string(kAdminHandle), exec_args({"bin/relative"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::bad_request);
  bad = call_wait(a, b, std::string(kAdminHandle), json_text_to_msgpack(R"({"argv": ["ls"], "env": {}})").value());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::bad_request);

  // Every use is logged at notice: who (tag and fingerprint) and what.
  bool logged = false;
  for (const auto& l : b.sink.lines())
    logged = logged || (l.level == LogLevel::notice &&
                        l.message == "admin exec by " + peer_tag(a.key()) + " (fingerprint " +
                                         fingerprint(a.key()) +
                                         "): \"sh\" \"-c\" \"echo out; echo \\\"err $1\\\" >&2; exit 7\" \"sh\" "
                                         "\"two words\"");
  EXPECT_TRUE(logged) << log_of(b);
  EXPECT_NE(log_of(b).find("admin access granted to " + peer_tag(a.key())), std::string::npos);
  expect_all_reaped();
}

TEST_F(AdminTest, OutputBeyondTheBoundIsTruncatedAndTheCommandCompletes) {
  Node& a = add_node();
  Node& b = box({&a}, [&](Config& c) {
    c.admin.allow = {peer_id_text(a.key())};
    c.admin.max_output = 100;
  });
  auto j = exec_reply(call_wait(
      a, b, std::string(kAdminHandle),
      exec_args({"sh", "-c", "head -c 300 /dev/zero | tr '\\0' x; echo done > \"$0/finished\"", work_})));
  EXPECT_EQ(j["exit"], 0);
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["stdout"], std::string(100, 'x'));
  // The command ran to its end: cutting an admin action short because it
  // printed much would leave it half done.
  EXPECT_TRUE(fs::exists(work_ + "/finished"));
  expect_all_reaped();
}

TEST_F(AdminTest, WithoutAGrantTheHandleDoesNotExist) {
  Node& a = add_node();
  Node& c = add_node();
  Node& off = box({&a}, {});
  Node& other = box({&a, &c}, [&](Config& cfg) { cfg.admin.allow = {peer_id_text(c.key())}; });
  auto message_for = [&](Node& to, const std::string& handle) {
    auto r = call_wait(a, to, handle, exec_args({"true"}));
    EXPECT_FALSE(r.ok());
    if (r.ok()) return std::string();
    EXPECT_EQ(r.error().code, Errc::no_such_handle);
    return r.error().message;
  };
  // Disabled, granted to someone else, or never there: the same words.
  std::string missing = message_for(off, "peernet.admin.exed");
  ASSERT_FALSE(missing.empty());
  std::string expected = missing;
  expected.replace(expected.find("peernet.admin.exed"), 18, std::string(kAdminHandle));
  EXPECT_EQ(message_for(off, std::string(kAdminHandle)), expected);
  EXPECT_EQ(message_for(other, std::string(kAdminHandle)), expected);
  // c, granted on `other`, gets in; the grant gives c nothing on a.
  auto j = exec_reply(call_wait(c, other, std::string(kAdminHandle), exec_args({"true"})));
  EXPECT_EQ(j["exit"], 0);
  auto back = call_wait(other, c, std::string(kAdminHandle), exec_args({"true"}));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, Errc::no_such_handle);
  EXPECT_EQ(log_of(off).find("admin exec"), std::string::npos);
}

TEST_F(AdminTest, RevokingTheGrantByReloadHoldsFromTheNextCall) {
  Node& a = add_node();
  Node& b = box({&a}, [&](Config& c) { c.admin.allow = {peer_id_text(a.key())}; });
  // A call that runs until the file "go" appears (for at most ~20 s).
  CallResult running;
  ASSERT_TRUE(call(a, b, std::string(kAdminHandle),
                   exec_args({"sh", "-c",
                              "i=0; while [ ! -e \"$0/go\" ] && [ $i -lt 2000 ]; do sleep 0.01; "
                              "i=$((i+1)); done; echo finished",
                              work_}),
                   running)
                  .ok());
  {
    Poller poll(&loop);
    ASSERT_TRUE(run_until([&] { return !own_children().empty(); }));
  }

  Config revoked = b->config();
  revoked.admin.allow.clear();
  ASSERT_TRUE(b->reload(revoked).ok());
  auto denied = call_wait(a, b, std::string(kAdminHandle), exec_args({"true"}));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, Errc::no_such_handle);

  // The call already running finishes normally.
  EXPECT_EQ(running.runs, 0);
  std::ofstream(work_ + "/go") << "";
  ASSERT_TRUE(run_until([&] { return running.runs > 0; }));
  auto j = exec_reply(*running.result);
  EXPECT_EQ(j["stdout"], "finished\n");

  // And granting again works from the next call.
  ASSERT_TRUE(b->reload(b.config).ok());
  EXPECT_EQ(exec_reply(call_wait(a, b, std::string(kAdminHandle), exec_args({"true"})))["exit"], 0);
  expect_all_reaped();
}

TEST_F(AdminTest, AliasesFollowTheTrustList) {
  Node& a = add_node();
  Node& b = add_node([](Config& c) {
    auto parsed = parse_config("[admin]\nallow = [\"phone\"]\n", "b.toml", c);
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    c = *parsed;
  });
  EXPECT_NE(log_of(b).find("b.toml:2:9: admin.allow: alias \"phone\" is not in the trust list, ignoring"),
            std::string::npos)
      << log_of(b);
  trust(a, b);
  ASSERT_TRUE(b->trust_add(TrustedPeer{a.key(), "phone", {}}).ok());
  ASSERT_TRUE(connected(a, b));
  EXPECT_EQ(exec_reply(call_wait(a, b, std::string(kAdminHandle), exec_args({"true"})))["exit"], 0);
  // Renaming the peer moves the grant away from it.
  ASSERT_TRUE(b->trust_add(TrustedPeer{a.key(), "laptop", {}}).ok());
  auto r = call_wait(a, b, std::string(kAdminHandle), exec_args({"true"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::no_such_handle);
}

TEST_F(AdminTest, CommandHandlesComeAndGoWithTheConfig) {
  Node& a = add_node();
  std::string a_id = peer_id_text(a.key());
  auto with_handles = [&](const std::string& toml) {
    return [&, toml](Config& c) {
      auto parsed = parse_config(toml, "b.toml", c);
      ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
      c = *parsed;
    };
  };
  Node& b = box({&a}, with_handles("[[handle]]\nname = \"one\"\ncommand = [\"/bin/echo\", \"1\"]\n"
                                   "allow = [\"" + a_id + "\"]\n\n"
                                   "[[handle]]\nname = \"nobody\"\ncommand = [\"/bin/true\"]\n"));
  EXPECT_NE(log_of(b).find("b.toml:6:1: handle \"nobody\" allows no peer, so nobody can reach it"),
            std::string::npos)
      << log_of(b);
  auto one = call_wait(a, b, "one");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, Bytes{0x01});  // "1" is JSON

  auto next = parse_config("[[handle]]\nname = \"two\"\ncommand = [\"/bin/echo\", \"2\"]\nallow = [\"" + a_id +
                               "\"]\n",
                           "b.toml", b->config());
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(b->reload(*next).ok());
  auto gone = call_wait(a, b, "one");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Errc::no_such_handle);
  auto two = call_wait(a, b, "two");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, Bytes{0x02});
  // Only the daemon's own handles carry its owner id.
  auto listed = b->handles();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].owner, kCommandHandlesOwner);
  expect_all_reaped();
}

}  // namespace
}  // namespace peernet::testing
