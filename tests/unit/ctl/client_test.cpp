// The blocking client against a scripted daemon (fake_daemon.hpp).
#include "ctl/client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fake_daemon.hpp"

namespace peernet::ctl {
namespace {

using namespace peernet::control;
using testing::FakeConnection;
using testing::FakeDaemon;

PublicKey key(uint8_t seed) {
  PublicKey k;
  for (size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<uint8_t>(seed + i);
  return k;
}

Bytes str_msgpack(std::string_view s) {
  Bytes b;
  MsgpackWriter(b).str(s);
  return b;
}

Client connect_to(const FakeDaemon& d, ClientOptions opt = {}) {
  auto c = Client::connect(d.path(), opt);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().describe());
  return std::move(c).value();
}

TEST(ClientConnect, MissingSocketSaysTheDaemonIsNotRunning) {
  auto c = Client::connect("/tmp/peernet-no-such-dir/peernetd.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::closed);
  EXPECT_EQ(c.error().message,
            "peernetd is not running? no socket at /tmp/peernet-no-such-dir/peernetd.sock");
}

TEST(ClientConnect, StaleSocketFileSaysNobodyListens) {
  char tmpl[] = "/tmp/peernet-ctl-stale.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string path = dir + "/peernetd.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);  // bound, never listened: what a crashed daemon leaves behind

  auto c = Client::connect(path);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::closed);
  EXPECT_NE(c.error().message.find("nothing listens on " + path), std::string::npos);
}

TEST(ClientConnect, OverlongPathIsRefusedBeforeConnecting) {
  auto c = Client::connect("/tmp/" + std::string(200, 'x'));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::bad_request);
}

TEST(ClientMethods, TypedResultsComeThroughTheProtocolDecoders) {
  StatusResult status;
  status.id = key(1);
  status.uptime_s = 12.5;
  status.sessions = 1;
  status.peers_online = 1;
  status.peers_total = 2;
  status.handles = 3;
  status.counters = {{"calls_in", 4}};
  FakeDaemon d([&](FakeConnection& c) {
    auto hello = c.expect_request("hello");
    auto p = decode_params<control::HelloParams>(hello.params);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->client, "test 1");
    c.write(result_response(hello.msgid, encode_result(HelloResult{1, "peernetd 0.1.0", key(1), true})));
    auto s = c.expect_request("status");
    EXPECT_TRUE(decode_params<control::StatusParams>(s.params).ok());
    c.write(result_response(s.msgid, encode_result(status)));
  });
  Client client = connect_to(d);
  auto h = client.hello("test 1");
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_TRUE(h->admin);
  EXPECT_EQ(h->id, key(1));
  auto s = client.request<control::method::Status>({});
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(*s, status);
}

TEST(ClientMethods, ParamsAreEncodedAsTheDaemonDecodesThem) {
  FakeDaemon d([&](FakeConnection& c) {
    auto add = c.expect_request("trust.add");
    auto p = decode_params<control::TrustAddParams>(add.params);
    ASSERT_TRUE(p.ok()) << p.error().describe();
    EXPECT_EQ(p->id, key(7));
    EXPECT_EQ(p->name, "pi");
    EXPECT_EQ(p->addrs, (std::vector<std::string>{"127.0.0.1:7469"}));
    c.write(result_response(add.msgid, encode_result(IdResult{key(7)})));

    auto ex = c.expect_request("expose");
    auto e = decode_params<control::ExposeParams>(ex.params);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->handle, "echo");
    EXPECT_EQ(e->allow, (std::vector<std::string>{"pi"}));
    c.write(result_response(ex.msgid, encode_empty_result()));

    auto send = c.expect_request("send");
    auto sp = decode_params<control::SendParams>(send.params);
    ASSERT_TRUE(sp.ok());
    EXPECT_EQ(sp->args, str_msgpack("hi"));
    c.write(result_response(send.msgid,
                            encode_result(SendResult{false, Errc::peer_offline, "no session"})));
  });
  Client client = connect_to(d);
  TrustAddParams add;
  add.id = key(7);
  add.name = "pi";
  add.addrs = std::vector<std::string>{"127.0.0.1:7469"};
  auto r = client.request<control::method::TrustAdd>(add);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->id, key(7));
  ASSERT_TRUE(client.expose("echo", std::vector<std::string>{"pi"}).ok());
  auto s = client.send("pi", "chat", str_msgpack("hi"));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->delivered);
  EXPECT_EQ(s->reason, Errc::peer_offline);
}

TEST(ClientMethods, AnErrorResponseIsTheDaemonsError) {
  FakeDaemon d([&](FakeConnection& c) {
    auto q = c.expect_request("call");
    c.write(error_response(q.msgid, make_error(Errc::peer_offline, "no session to peer(X)")));
    auto q2 = c.expect_request("call");
    c.write(error_response(q2.msgid, ErrorBody{"not_found", "no such user"}));
  });
  Client client = connect_to(d);
  auto r = client.call("laptop", "echo", str_msgpack("x"), 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::peer_offline);
  EXPECT_EQ(r.error().message, "no session to peer(X)");
  // A handler's own code arrives as handler_failed with the code kept.
  r = client.call("laptop", "echo", str_msgpack("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::handler_failed);
  EXPECT_EQ(r.error().message, "not_found: no such user");
}

TEST(ClientServing, MessagesThatArriveDuringARequestWaitInTheInboxInOrder) {
  PeerEvent up;
  up.kind = PeerEventKind::up;
  up.id = key(3);
  up.name = "laptop";
  FakeDaemon d([&](FakeConnection& c) {
    auto q = c.expect_request("call");
    auto p = decode_params<control::CallParams>(q.params);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->timeout, 2.5);
    // Before the answer: a send, a peer call, an event, and a stale response.
    c.write(make_notification(HandleSend{key(3), "laptop", "chat", str_msgpack("one")}));
    c.write(make_request(77, HandleCall{key(3), std::nullopt, "echo", str_msgpack("two")}));
    c.write(make_notification(up));
    c.write(result_response(q.msgid + 100, str_msgpack("stale")));
    c.write(result_response(q.msgid, str_msgpack("result")));
    // The client's answer to our call.
    auto m = c.read();
    ASSERT_TRUE(m.has_value());
    auto* r = std::get_if<RpcResponse>(&*m);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->msgid, 77u);
    auto a = decode_handler_answer(*r);
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->error.has_value());
    EXPECT_EQ(a->result, str_msgpack("two"));
  });
  Client client = connect_to(d);
  auto r = client.call("laptop", "echo", Bytes{0xc0}, 2.5);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, str_msgpack("result"));

  ASSERT_TRUE(client.has_incoming());
  auto first = client.next_incoming(Deadline::now());
  ASSERT_TRUE(first.ok() && first->has_value());
  auto* send = std::get_if<HandleSend>(&**first);
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->args, str_msgpack("one"));

  auto second = client.next_incoming(Deadline::now());
  ASSERT_TRUE(second.ok() && second->has_value());
  auto* call = std::get_if<IncomingCall>(&**second);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->msgid, 77u);
  EXPECT_EQ(call->call.handle, "echo");

  auto third = client.next_incoming(Deadline::now());
  ASSERT_TRUE(third.ok() && third->has_value());
  ASSERT_TRUE(std::holds_alternative<PeerEvent>(**third));
  EXPECT_EQ(std::get<PeerEvent>(**third), up);

  auto none = client.next_incoming(Deadline::now());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(client.answer(call->msgid, reply(call->call.args)).ok());
  d.join();
}

TEST(ClientServing, ServeAnswersCallsAndStopsWhenAHandlerSaysSo) {
  FakeDaemon d([&](FakeConnection& c) {
    c.write(make_request(5, HandleCall{key(3), "laptop", "echo", str_msgpack("ping")}));
    auto m = c.read();
    ASSERT_TRUE(m.has_value());
    auto a = decode_handler_answer(std::get<RpcResponse>(*m));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->result, str_msgpack("pong"));

    // An error answer, with a code outside the protocol's syntax.
    c.write(make_request(6, HandleCall{key(3), "laptop", "echo", str_msgpack("fail")}));
    m = c.read();
    ASSERT_TRUE(m.has_value());
    a = decode_handler_answer(std::get<RpcResponse>(*m));
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(a->error.has_value());
    EXPECT_EQ(a->error->code, "handler_failed");
    EXPECT_EQ(a->error->message, "Bad Code: nope");

    // A method the client does not serve is answered, not ignored.
    c.write(RpcRequest{8, "frobnicate", Bytes{0x91, 0x80}});
    m = c.read();
    ASSERT_TRUE(m.has_value());
    auto err = response_result(std::get<RpcResponse>(*m));
    ASSERT_FALSE(err.ok());
    EXPECT_EQ(err.error().code, Errc::unsupported);

    c.write(make_notification(HandleSend{key(3), "laptop", "chat", str_msgpack("bye")}));
    EXPECT_FALSE(c.read().has_value());  // the client closes after serve()
  });
  auto client = std::make_unique<Client>(connect_to(d));
  std::vector<std::string> sends;
  Client::Handlers h;
  h.on_call = [](const HandleCall& call) {
    if (call.args == str_msgpack("ping")) return reply(str_msgpack("pong"));
    return reply_error("Bad Code", "nope");
  };
  h.on_send = [&](const HandleSend& s) {
    sends.push_back(s.handle);
    client->stop();
  };
  auto st = client->serve(h, Deadline::after(5));
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(sends, std::vector<std::string>{"chat"});
  client.reset();
  d.join();
}

TEST(ClientFailures, ADaemonThatNeverAnswersIsATimeout) {
  FakeDaemon d([&](FakeConnection& c) {
    c.expect_request("status");
    c.expect_request("identity");  // the client goes on after its timeout
    c.write(result_response(2, encode_result(IdentityResult{key(9), "fp"})));
    // The late answer to the first request is ignored by then.
  });
  ClientOptions opt;
  opt.request_timeout = 0.2;
  Client client = connect_to(d, opt);
  auto s = client.request<control::method::Status>({});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::timeout);
  auto id = client.request<control::method::Identity>({});
  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(id->id, key(9));
}

TEST(ClientFailures, ADaemonThatGoesAwayIsClosedForGood) {
  FakeDaemon d([&](FakeConnection& c) {
    c.expect_request("status");
    c.close();
  });
  Client client = connect_to(d);
  auto s = client.request<control::method::Status>({});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::closed);
  EXPECT_EQ(s.error().message, "peernetd closed the connection");
  auto again = client.request<control::method::Identity>({});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::closed);
  auto in = client.next_incoming(Deadline::now());
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().code, Errc::closed);
}

TEST(ClientFailures, GarbageFromTheDaemonIsAProtocolError) {
  FakeDaemon d([&](FakeConnection& c) {
    c.expect_request("status");
    const uint8_t junk[] = {0xc1, 0xc1, 0xc1};
    c.write_raw(junk);
    c.read();  // until the client hangs up
  });
  Client client = connect_to(d);
  auto s = client.request<control::method::Status>({});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::protocol_error);
}

TEST(ClientFailures, AMalformedResultIsAProtocolError) {
  FakeDaemon d([&](FakeConnection& c) {
    auto q = c.expect_request("status");
    c.write(result_response(q.msgid, str_msgpack("not a map")));
  });
  Client client = connect_to(d);
  auto s = client.request<control::method::Status>({});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::protocol_error);
}

}  // namespace
}  // namespace peernet::ctl
