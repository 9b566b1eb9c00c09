// Handles through the control socket: a client of daemon `a` exposes
// handles, a client of daemon `b` calls and sends to them; both daemons on
// one loop, paired over loopback.
#include <gtest/gtest.h>

#include "../control_fixture.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/peer_id.hpp"
#include "base/random.hpp"

namespace peernet::testing {
namespace {

using namespace peernet::control;

class HandlesTest : public ControlTest {
 protected:
  // `tweak_a` edits a's config (before it starts).
  void setup(const std::function<void(Config&)>& tweak_a = {}) {
    a_ = &add_node(tweak_a);
    b_ = &add_node();
    serve(*a_);
    serve(*b_);
    pair(*a_, *b_);
    // a knows b as "bee"; b names a by a prefix of its id.
    ASSERT_TRUE((*a_)->trust_add(TrustedPeer{b_->key(), "bee", {}}).ok());
    exposer_ = &connect(*a_);
    caller_ = &connect(*b_);
  }

  Node& a() { return *a_; }
  Node& b() { return *b_; }
  RpcClient& exposer() { return *exposer_; }
  RpcClient& caller() { return *caller_; }
  std::string a_name() const { return peer_id_compact(a_->key()).substr(0, 8); }

  uint32_t call(std::string handle, Bytes args, double timeout = 10) {
    return caller().request(CallParams{a_name(), std::move(handle), std::move(args), timeout});
  }
  // The n-th handle.call the exposer received (waits for it).
  HandleCall incoming(size_t n = 0) {
    EXPECT_TRUE(run_until([&] { return exposer().requests.size() > n || exposer().gone(); }));
    EXPECT_GT(exposer().requests.size(), n);
    if (exposer().requests.size() <= n) return {};
    EXPECT_EQ(exposer().requests[n].method, "handle.call");
    auto c = decode_params<control::HandleCall>(exposer().requests[n].params);
    EXPECT_TRUE(c.ok()) << c.error().describe();
    return c.ok() ? *c : HandleCall{};
  }
  Result<Bytes> result(uint32_t id) { return response_result(wait_response(caller(), id)); }

  Node* a_ = nullptr;
  Node* b_ = nullptr;
  RpcClient* exposer_ = nullptr;
  RpcClient* caller_ = nullptr;
};

Bytes text_map(std::string_view text) {
  Bytes out;
  MsgpackWriter w(out);
  w.map(1);
  w.str("text");
  w.str(text);
  return out;
}

TEST_F(HandlesTest, PeerCallReachesTheClientAndItsAnswerReturns) {
  setup();
  std::vector<std::string> allow{peer_id_compact(b().key()).substr(0, 6)};
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", allow}).ok());
  EXPECT_EQ(a()->handles().size(), 1u);

  uint32_t id = call("echo", text_map("hi"));
  HandleCall in = incoming();
  EXPECT_EQ(in.peer, b().key());
  EXPECT_EQ(in.peer_name, "bee");
  EXPECT_EQ(in.handle, "echo");
  EXPECT_EQ(in.args, text_map("hi"));
  exposer().answer(exposer().requests[0].msgid, text_map("hi back"));
  auto r = result(id);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, text_map("hi back"));

  // The handler's own error code, unknown to the protocol, and a known one.
  uint32_t custom = call("echo", mp_str("x"));
  (void)incoming(1);
  exposer().answer_error(exposer().requests[1].msgid, "not_found", "no such user");
  auto e = result(custom);
  EXPECT_EQ(code_of(e), "handler_failed");
  EXPECT_EQ(e.error().message.rfind("not_found: no such user", 0), 0u) << e.error().message;
  uint32_t known = call("echo", mp_str("y"));
  (void)incoming(2);
  exposer().answer_error(exposer().requests[2].msgid, "busy", "later");
  EXPECT_EQ(code_of(result(known)), "busy");

  // A malformed answer (a code outside [a-z0-9_]) reaches the caller as
  // handler_failed.
  uint32_t bad = call("echo", mp_str("z"));
  (void)incoming(3);
  exposer().answer_error(exposer().requests[3].msgid, "Not A Code", "");
  EXPECT_EQ(code_of(result(bad)), "handler_failed");
}

TEST_F(HandlesTest, AllowListExcludesOtherPeers) {
  setup();
  OsRng rng;
  PublicKey stranger;
  rng.fill(stranger.bytes);
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"private", std::vector<std::string>{peer_id_text(stranger)}}).ok());
  EXPECT_EQ(code_of(result(call("private", {}))), "no_such_handle");
  EXPECT_TRUE(exposer().requests.empty());
  EXPECT_EQ(code_of(rpc(exposer(), ExposeParams{"x", std::vector<std::string>{"nobody"}})), "no_such_peer");
}

TEST_F(HandlesTest, ExposingATakenNameFails) {
  setup();
  RpcClient& other = connect(a());
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  auto again = rpc(exposer(), ExposeParams{"echo", std::nullopt});
  EXPECT_EQ(code_of(again), "handle_taken");
  EXPECT_NE(again.error().message.find("this client"), std::string::npos);
  auto taken = rpc(other, ExposeParams{"echo", std::nullopt});
  EXPECT_EQ(code_of(taken), "handle_taken");
  EXPECT_NE(taken.error().message.find("another client"), std::string::npos);
  // Only the owner may unexpose.
  EXPECT_EQ(code_of(rpc(other, UnexposeParams{"echo"})), "no_such_handle");
  EXPECT_EQ(code_of(rpc(other, UnexposeParams{"never"})), "no_such_handle");
  ASSERT_TRUE(rpc(exposer(), UnexposeParams{"echo"}).ok());
  EXPECT_TRUE(rpc(other, ExposeParams{"echo", std::nullopt}).ok());
}

TEST_F(HandlesTest, DisconnectReleasesHandles) {
  setup();
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"other", std::nullopt}).ok());
  EXPECT_EQ(a()->handles().size(), 2u);
  exposer().close();
  ASSERT_TRUE(run_until([&] { return server(a()).clients() == 0; }));
  EXPECT_TRUE(a()->handles().empty());
  EXPECT_EQ(code_of(result(call("echo", {}))), "no_such_handle");
  RpcClient& next = connect(a());
  EXPECT_TRUE(rpc(next, ExposeParams{"echo", std::nullopt}).ok());
}

TEST_F(HandlesTest, DisconnectWithCallsOutstandingFailsThem) {
  setup();
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  uint32_t first = call("echo", mp_str("1"));
  uint32_t second = call("echo", mp_str("2"));
  (void)incoming(1);
  exposer().close();
  auto r1 = result(first);
  auto r2 = result(second);
  EXPECT_EQ(code_of(r1), "handler_failed");
  EXPECT_EQ(code_of(r2), "handler_failed");
  EXPECT_NE(r1.error().message.find("went away"), std::string::npos) << r1.error().message;
}

TEST_F(HandlesTest, HalfClosedClientStillGetsItsAnswers) {
  setup();
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  RpcClient& quitter = connect(a());
  ASSERT_TRUE(rpc(quitter, ExposeParams{"gone", std::nullopt}).ok());
  uint32_t id = call("echo", mp_str("x"));
  (void)incoming();
  // The caller sends its last request and closes its sending side, like
  // `printf … | socat - UNIX-CONNECT:…`.
  uint32_t status = caller().request(StatusParams{});
  caller().shutdown();
  // A half-closed exposer can answer nothing more: its handles go at once.
  quitter.shutdown();
  ASSERT_TRUE(run_until([&] { return a()->handles().size() == 1; }));
  exposer().answer(exposer().requests[0].msgid, mp_str("still here"));
  auto r = result(id);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, mp_str("still here"));
  EXPECT_TRUE(caller().has_response(status));
  // Everything answered: the daemon ends the connection.
  ASSERT_TRUE(run_until([&] { return caller().eof && quitter.eof; }));
  EXPECT_EQ(server(b()).clients(), 0u);
}

TEST_F(HandlesTest, UnansweredCallTimesOutAndTheLateAnswerIsDropped) {
  setup();
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  uint32_t id = call("echo", mp_str("x"), 0.2);
  (void)incoming();
  EXPECT_EQ(code_of(result(id)), "timeout");
  exposer().answer(exposer().requests[0].msgid, mp_str("too late"));
  // An answer to a msgid the daemon never used is dropped as well.
  exposer().answer(424242, mp_str("?"));
  EXPECT_TRUE(rpc(exposer(), IdentityParams{}).ok());
  EXPECT_FALSE(caller().gone());
  EXPECT_TRUE(rpc(caller(), IdentityParams{}).ok());
}

TEST_F(HandlesTest, HandlerSideTimeoutIsTheConfiguredCallTimeout) {
  setup([](Config& c) { c.session.call_timeout = 0.2; });
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  uint32_t id = call("echo", mp_str("x"), 30);
  (void)incoming();
  auto r = result(id);
  EXPECT_EQ(code_of(r), "timeout");
  EXPECT_NE(r.error().message.find("did not answer within"), std::string::npos) << r.error().message;
}

TEST_F(HandlesTest, SendIsDeliveredOrDroppedAsAResult) {
  setup();
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"chat", std::nullopt}).ok());
  auto sent = rpc(caller(), SendParams{a_name(), "chat", mp_str("hello")});
  ASSERT_TRUE(sent.ok()) << sent.error().describe();
  EXPECT_TRUE(decode_result<control::method::Send>(*sent)->delivered);
  ASSERT_TRUE(run_until([&] { return !exposer().notifications.empty(); }));
  auto n = decode_notification(exposer().notifications[0]);
  ASSERT_TRUE(n.ok());
  const auto& hs = std::get<HandleSend>(*n);
  EXPECT_EQ(hs.peer, b().key());
  EXPECT_EQ(hs.peer_name, "bee");
  EXPECT_EQ(hs.handle, "chat");
  EXPECT_EQ(hs.args, mp_str("hello"));

  // A trusted peer without a session: dropped, and the result says why.
  OsRng rng;
  PublicKey away;
  rng.fill(away.bytes);
  ASSERT_TRUE(b()->trust_add(TrustedPeer{away, "away", {}}).ok());
  auto dropped = rpc(caller(), SendParams{"away", "chat", mp_str("hello?")});
  ASSERT_TRUE(dropped.ok()) << dropped.error().describe();
  auto sr = decode_result<control::method::Send>(*dropped);
  ASSERT_TRUE(sr.ok());
  EXPECT_FALSE(sr->delivered);
  EXPECT_EQ(sr->reason, Errc::peer_offline);
  EXPECT_FALSE(sr->message.empty());

  // Not a drop: errors about the request itself.
  PublicKey stranger;
  rng.fill(stranger.bytes);
  EXPECT_EQ(code_of(rpc(caller(), SendParams{peer_id_text(stranger), "chat", mp_str("x")})), "untrusted_peer");
  EXPECT_EQ(code_of(rpc(caller(), SendParams{"nobody", "chat", mp_str("x")})), "no_such_peer");
}

TEST_F(HandlesTest, CallToAnOfflinePeerFailsAtOnce) {
  setup();
  OsRng rng;
  PublicKey away;
  rng.fill(away.bytes);
  ASSERT_TRUE(b()->trust_add(TrustedPeer{away, "away", {}}).ok());
  auto r = rpc(caller(), CallParams{"away", "echo", mp_str("x"), 30.0});
  EXPECT_EQ(code_of(r), "peer_offline");
  EXPECT_EQ(b()->status().calls_out, 0u);
}

TEST_F(HandlesTest, DaemonStopAnswersPendingCallsCancelled) {
  setup();
  ASSERT_TRUE(rpc(exposer(), ExposeParams{"echo", std::nullopt}).ok());
  uint32_t id = call("echo", mp_str("x"), 30);
  (void)incoming();
  bool stopped = false;
  b()->stop([&] { stopped = true; });
  EXPECT_EQ(code_of(result(id)), "cancelled");
  ASSERT_TRUE(run_until([&] { return stopped; }));
  // Requests after the stop are answered too.
  EXPECT_EQ(code_of(rpc(caller(), CallParams{a_name(), "echo", mp_str("y"), 1.0})), "closed");
}

}  // namespace
}  // namespace peernet::testing
