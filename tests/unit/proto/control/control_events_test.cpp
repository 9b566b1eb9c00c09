// What the daemon sends a client unasked (handle.call, handle.send, peer
// events), and responses with the error map, in both directions.
#include "proto/control/events.hpp"
#include "proto/control/codec.hpp"
#include "proto/control/response.hpp"

#include <gtest/gtest.h>

#include "control_test_util.hpp"
#include "proto/peer_id.hpp"

namespace peernet::control {
namespace {

using test::code_of;
using test::key;
using test::message_of;

const Bytes kArgs = from_hex("92a36869a1c3").value();  // ["hi", "\xc3"]

// --- handle.call, handle.send ---------------------------------------------

TEST(ControlEvents, HandleCallRoundTripsAsARequest) {
  for (const HandleCall& c :
       {HandleCall{key(1), "laptop", "echo", kArgs}, HandleCall{key(2), std::nullopt, "x", {}}}) {
    RpcRequest q = make_request(42, c);
    EXPECT_EQ(q.method, "handle.call");
    auto wire = decode_rpc(encode(RpcMessage(q)));
    ASSERT_TRUE(wire.ok());
    auto back = decode_params<control::HandleCall>(std::get<RpcRequest>(*wire).params);
    ASSERT_TRUE(back.ok()) << message_of(back);
    HandleCall expected = c;
    if (expected.args.empty()) expected.args = {0xc0};
    EXPECT_EQ(*back, expected);
  }
}

TEST(ControlEvents, HandleSendRoundTripsAsANotification) {
  HandleSend s{key(3), "pi", "chat", kArgs};
  RpcNotification n = make_notification(s);
  EXPECT_EQ(n.method, "handle.send");
  auto back = decode_notification(n);
  ASSERT_TRUE(back.ok()) << message_of(back);
  EXPECT_EQ(std::get<HandleSend>(*back), s);
}

TEST(ControlEvents, HandleSendWrittenInPlaceIsTheSameBytes) {
  for (const HandleSend& s : {HandleSend{key(3), "pi", "chat", kArgs}, HandleSend{key(4), std::nullopt, "x", {}},
                              HandleSend{key(5), std::string(200, 'a'), std::string(128, 'h'), Bytes(70000, 0x01)}}) {
    Bytes out = {0xaa};  // appended after what is there
    append_handle_send(out, handle_send_prefix(s.peer, s.peer_name), s.handle, s.args);
    Bytes expected = {0xaa};
    Bytes whole = encode(RpcMessage(make_notification(s)));
    expected.insert(expected.end(), whole.begin(), whole.end());
    EXPECT_EQ(out, expected) << s.handle;
    if (s.args.empty()) continue;
    // The head, and the args as a buffer of their own, are the same bytes.
    Bytes head = {0xaa};
    append_handle_send_head(head, handle_send_prefix(s.peer, s.peer_name), s.handle);
    head.insert(head.end(), s.args.begin(), s.args.end());
    EXPECT_EQ(head, expected) << s.handle;
  }
}

TEST(ControlEvents, HandleCallWrittenInPlaceIsTheSameBytes) {
  for (uint32_t msgid : {1u, 200u, 70000u, 0xffffffffu})
    for (const HandleCall& c : {HandleCall{key(3), "pi", "echo", kArgs}, HandleCall{key(4), std::nullopt, "x", {}}}) {
      Bytes out;
      append_handle_call(out, msgid, handle_call_prefix(c.peer, c.peer_name), c.handle, c.args);
      EXPECT_EQ(out, encode(RpcMessage(make_request(msgid, c)))) << msgid << " " << c.handle;
    }
}

TEST(ControlEvents, SendDroppedRoundTripsWithItsNils) {
  // A run the daemon numbered, and a peer's report (no number, no name).
  for (const SendDropped& d :
       {SendDropped{key(4), "pi", "chat", "peer_offline", "no session to pi", 17, 40},
        SendDropped{key(4), std::nullopt, "chat", "no_such_handle", "no handle", std::nullopt, 1},
        SendDropped{std::nullopt, std::nullopt, std::nullopt, "bad_request", "\"peer\": missing", 3, 1}}) {
    RpcNotification n = make_notification(d);
    EXPECT_EQ(n.method, "send.dropped");
    auto back = decode_notification(n);
    ASSERT_TRUE(back.ok()) << message_of(back);
    EXPECT_EQ(std::get<SendDropped>(*back), d);
  }
  // Every key is always there: a client reads nil, never a missing key.
  auto params = make_notification(SendDropped{}).params;
  for (const char* k : {"peer", "peer_name", "handle", "reason", "message", "first", "count"})
    EXPECT_NE(std::string(params.begin(), params.end()).find(k), std::string::npos) << k;
}

TEST(ControlEvents, PeerEventsRoundTrip) {
  std::vector<PeerEvent> events = {
      {PeerEventKind::up, key(1), "laptop", std::nullopt, std::nullopt, std::nullopt},
      {PeerEventKind::down, key(1), "laptop", "timeout", "no data for 45 s", std::nullopt},
      {PeerEventKind::connecting, key(2), std::nullopt, std::nullopt, std::nullopt,
       std::vector<std::string>{"198.18.0.3:7469"}},
      {PeerEventKind::discovered, key(3), std::nullopt, std::nullopt, std::nullopt,
       std::vector<std::string>{"198.18.0.4:7469", "[fe80::4%eth0]:7469"}},
  };
  for (const auto& e : events) {
    RpcNotification n = make_notification(e);
    EXPECT_EQ(n.method, to_string(e.kind));
    auto back = decode_notification(n);
    ASSERT_TRUE(back.ok()) << n.method << ": " << message_of(back);
    EXPECT_EQ(std::get<PeerEvent>(*back), e) << n.method;
  }
}

TEST(ControlEvents, ClientSkipsUnknownKeysButChecksKnownOnes) {
  const std::string id = peer_id_text(key(1));
  auto ok = decode_params<control::HandleSend>(mp::params(
      {{"peer", mp::s(id)}, {"handle", mp::s("h")}, {"args", mp::u(1)}, {"hops", mp::u(3)}}));
  ASSERT_TRUE(ok.ok()) << message_of(ok);
  EXPECT_EQ(ok->peer_name, std::nullopt);
  EXPECT_EQ(ok->args, Bytes{0x01});

  std::vector<std::pair<std::string, Status>> bad;
  auto add = [&](std::string name, auto r) {
    bad.emplace_back(std::move(name), r.ok() ? Status{} : Status(std::move(r).error()));
  };
  add("peer not an id",
      decode_params<control::HandleCall>(
          mp::params({{"peer", mp::s("laptop")}, {"handle", mp::s("h")}, {"args", mp::nil()}})));
  add("no args",
      decode_params<control::HandleCall>(mp::params({{"peer", mp::s(id)}, {"handle", mp::s("h")}})));
  add("params a map", decode_params<control::HandleSend>(mp::map({})));
  add("event id missing",
      decode_peer_event_params(method::kPeerUp, mp::params({{"name", mp::s("x")}})));
  add("event addrs str",
      decode_peer_event_params(method::kPeerDiscovered,
                               mp::params({{"id", mp::s(id)}, {"addrs", mp::s("a")}})));
  for (const auto& [name, status] : bad) {
    ASSERT_FALSE(status.ok()) << name;
    EXPECT_EQ(status.error().code, Errc::protocol_error) << name << ": " << status.error().message;
  }
  // A notification this client does not know.
  auto unknown =
      decode_notification(RpcNotification{"peer.renamed", mp::params({{"id", mp::s(id)}})});
  EXPECT_EQ(code_of(unknown), Errc::unsupported);
}

// --- the error map and responses --------------------------------------------

TEST(ControlResponse, ErrorMapRoundTrips) {
  Error e = make_error(Errc::peer_offline, "no session to peer(ABCD…WXYZ)");
  Bytes wire = encode_error(e);
  EXPECT_EQ(to_hex(encode_error(ErrorBody{"busy", ""})),
            "82a4636f6465a462757379a76d657373616765a0");
  auto daemon_side = decode_client_error(wire);
  ASSERT_TRUE(daemon_side.ok());
  EXPECT_EQ(*daemon_side, (ErrorBody{"peer_offline", e.message}));
  auto client_side = decode_daemon_error(wire);
  ASSERT_TRUE(client_side.ok());
  EXPECT_EQ(to_error(*client_side).code, Errc::peer_offline);
  EXPECT_EQ(to_error(*client_side).message, e.message);
}

TEST(ControlResponse, HandlerCodesOutsideErrcBecomeHandlerFailed) {
  Error e = to_error(ErrorBody{"not_found", "no such user"});
  EXPECT_EQ(e.code, Errc::handler_failed);
  EXPECT_EQ(e.message, "not_found: no such user");
  EXPECT_EQ(to_error(ErrorBody{"x", ""}).message, "x");
}

TEST(ControlResponse, DaemonReadsHandlerErrorsStrictly) {
  struct Case {
    const char* name;
    Bytes map;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no code", mp::map({{"message", mp::s("m")}}), "error: missing \"code\""},
      {"code upper", mp::map({{"code", mp::s("NotFound")}}),
       "error: \"code\": \"NotFound\" is not 1..64 bytes of [a-z0-9_]"},
      {"code long", mp::map({{"code", mp::s(std::string(65, 'a'))}}),
       "error: \"code\": 65 bytes, not 1..64"},
      {"code int", mp::map({{"code", mp::u(1)}}),
       "error: \"code\": expected a string, found an integer"},
      {"extra key", mp::map({{"code", mp::s("x")}, {"data", mp::u(1)}}),
       "error: unknown key \"data\""},
      {"long message", mp::map({{"code", mp::s("x")}, {"message", mp::s(std::string(4097, 'm'))}}),
       "error: \"message\": 4097 bytes exceed the limit of 4096"},
      {"not a map", mp::s("oops"), "error: expected a map, found a string"},
  };
  for (const auto& c : cases) {
    auto r = decode_client_error(c.map);
    EXPECT_EQ(code_of(r), Errc::bad_request) << c.name;
    EXPECT_EQ(message_of(r), c.message) << c.name;
  }
  // message is optional and may be empty.
  EXPECT_EQ(decode_client_error(mp::map({{"code", mp::s("x")}})).value(), (ErrorBody{"x", ""}));
  EXPECT_EQ(decode_client_error(mp::map({{"code", mp::s("x")}, {"message", mp::s("")}})).value(),
            (ErrorBody{"x", ""}));
  // The client side skips extra keys.
  EXPECT_TRUE(decode_daemon_error(mp::map({{"code", mp::s("x")}, {"data", mp::u(1)}})).ok());
}

TEST(ControlResponse, HandlerAnswers) {
  auto ok = decode_handler_answer(result_response(3, kArgs));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->result, kArgs);
  EXPECT_FALSE(ok->error);

  // A nil result is a result.
  auto nil = decode_handler_answer(RpcResponse{3, Bytes{0xc0}, Bytes{0xc0}});
  ASSERT_TRUE(nil.ok());
  EXPECT_EQ(nil->result, Bytes{0xc0});

  auto err = decode_handler_answer(error_response(3, ErrorBody{"not_found", "who?"}));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->error, (ErrorBody{"not_found", "who?"}));

  auto both = decode_handler_answer(RpcResponse{3, encode_error(ErrorBody{"x", ""}), kArgs});
  EXPECT_EQ(code_of(both), Errc::bad_request);
  EXPECT_EQ(message_of(both), "response: an error response must have a nil result");

  auto bad = decode_handler_answer(RpcResponse{3, mp::s("failed"), Bytes{0xc0}});
  EXPECT_EQ(code_of(bad), Errc::bad_request);
}

TEST(ControlResponse, ClientReadsResponses) {
  auto ok = response_result(result_response(1, kArgs));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, kArgs);

  auto err = response_result(error_response(1, make_error(Errc::timeout, "no answer in 5 s")));
  EXPECT_EQ(code_of(err), Errc::timeout);
  EXPECT_EQ(message_of(err), "no answer in 5 s");

  auto malformed = response_result(RpcResponse{1, mp::u(7), Bytes{0xc0}});
  EXPECT_EQ(code_of(malformed), Errc::protocol_error);

  // Responses survive the RPC codec unchanged.
  RpcResponse r = error_response(9, make_error(Errc::no_such_peer, "nothing matches \"lap\""));
  auto wire = decode_rpc(encode(RpcMessage(r)));
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(std::get<RpcResponse>(*wire), r);
}

}  // namespace
}  // namespace peernet::control
