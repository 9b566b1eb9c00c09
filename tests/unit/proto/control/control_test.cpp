// The control protocol's method table and the params of client requests:
// round trips, and a failing case for every strictness rule.
#include "proto/control/control.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include <cmath>
#include <limits>
#include <set>

#include "control_test_util.hpp"
#include "proto/peer_id.hpp"

namespace peernet::control {
namespace {

using test::code_of;
using test::key;
using test::message_of;

const Bytes kArgs = from_hex("82a17801a179c0").value();  // {"x": 1, "y": nil}

// One sample params struct per client method, in table order.
std::vector<RequestParams> samples() {
  return {
      HelloParams{"peernetctl 0.1.0"},
      IdentityParams{},
      StatusParams{},
      PeersParams{true},
      TrustAddParams{key(1), "laptop",
                     std::vector<std::string>{"198.18.0.2:7469", "[fe80::1%eth0]:7469"}},
      TrustRemoveParams{"laptop"},
      TrustListParams{},
      ExposeParams{"svc.echo:v1/a-b_c", std::vector<std::string>{"laptop", "ABCD"}},
      UnexposeParams{"echo"},
      CallParams{"ABCDEFG", "echo", kArgs, 2.5},
      SendParams{"laptop", "chat", from_hex("a26869").value()},
      SendFlushParams{5.0},
      SubscribeParams{std::vector<PeerEventKind>{PeerEventKind::up, PeerEventKind::discovered}},
      ConnectParams{"peer.example:7469"},
      PairOpenParams{300.0, "pi"},
      PairWaitParams{},
      PairJoinParams{"417-k7hx2", "198.18.0.3:7469", std::nullopt},
      PeerShowParams{"laptop"},
      PeerPingParams{"laptop", 2.0},
      MetricsParams{true},
      DoctorParams{},
  };
}

std::string_view method_of(const RequestParams& p) {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::Method::kName; }, p);
}
Bytes encode_any(const RequestParams& p) {
  return std::visit([](const auto& x) { return encode_params(x); }, p);
}

// --- the method table --------------------------------------------------------

TEST(ControlMethods, TableListsEveryMethodOnce) {
  const std::vector<std::pair<std::string_view, Direction>> expected = {
      {method::kHello, Direction::to_daemon},
      {method::kIdentity, Direction::to_daemon},
      {method::kStatus, Direction::to_daemon},
      {method::kPeers, Direction::to_daemon},
      {method::kTrustAdd, Direction::to_daemon},
      {method::kTrustRemove, Direction::to_daemon},
      {method::kTrustList, Direction::to_daemon},
      {method::kExpose, Direction::to_daemon},
      {method::kUnexpose, Direction::to_daemon},
      {method::kCall, Direction::to_daemon},
      {method::kSend, Direction::to_daemon},
      {method::kSendFlush, Direction::to_daemon},
      {method::kSubscribe, Direction::to_daemon},
      {method::kConnect, Direction::to_daemon},
      {method::PairOpen::kName, Direction::to_daemon},
      {method::PairWait::kName, Direction::to_daemon},
      {method::PairJoin::kName, Direction::to_daemon},
      {method::kPeerShow, Direction::to_daemon},
      {method::kPeerPing, Direction::to_daemon},
      {method::kMetrics, Direction::to_daemon},
      {method::kDoctor, Direction::to_daemon},
      {method::kHandleCall, Direction::to_client},
      {method::kHandleSend, Direction::to_client},
      {method::kPeerUp, Direction::to_client},
      {method::kPeerDown, Direction::to_client},
      {method::kPeerConnecting, Direction::to_client},
      {method::kPeerDiscovered, Direction::to_client},
      {method::kPeerWantsToPair, Direction::to_client},
      {method::kSendRefused, Direction::to_client},
      {method::kSendDropped, Direction::to_client},
  };
  auto table = methods();
  ASSERT_EQ(table.size(), expected.size());
  std::set<std::string_view> names;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].name, expected[i].first);
    EXPECT_EQ(table[i].direction, expected[i].second) << table[i].name;
    EXPECT_FALSE(table[i].help.empty()) << table[i].name;
    EXPECT_FALSE(table[i].params.empty()) << table[i].name;
    EXPECT_LE(table[i].name.size(), kMaxRpcMethod);
    EXPECT_TRUE(names.insert(table[i].name).second) << "twice: " << table[i].name;
    EXPECT_EQ(find_method(table[i].name, table[i].direction), &table[i]);
    const Direction other =
        table[i].direction == Direction::to_daemon ? Direction::to_client : Direction::to_daemon;
    EXPECT_EQ(find_method(table[i].name, other), nullptr) << table[i].name;
  }
  EXPECT_EQ(find_method("nope", Direction::to_daemon), nullptr);
}

TEST(ControlMethods, OnlyTrustChangesNeedAdmin) {
  for (const auto& m : methods()) {
    // Pairing ends in a trust change on this box.
    bool admin = m.name == method::kTrustAdd || m.name == method::kTrustRemove ||
                 m.name == method::PairOpen::kName || m.name == method::PairWait::kName ||
                 m.name == method::PairJoin::kName;
    EXPECT_EQ(m.admin, admin) << m.name;
  }
}

TEST(ControlMethods, RequestsAndNotifications) {
  for (const auto& m : methods()) {
    bool notification = m.name == method::kHandleSend || m.name == method::kSendRefused ||
                        m.name == method::kSendDropped ||
                        peer_event_from_string(m.name).has_value();
    EXPECT_EQ(m.type, notification ? RpcType::notification : RpcType::request) << m.name;
    EXPECT_EQ(m.result.empty(), notification) << m.name;
  }
}

TEST(ControlMethods, EveryClientMethodHasADecoderInTableOrder) {
  auto all = samples();
  size_t client_methods = 0;
  for (const auto& m : methods()) {
    if (m.direction != Direction::to_daemon) {
      // A daemon-to-client method is not something a client may request.
      EXPECT_EQ(code_of(decode_request_params(m.name, mp::params({}))), Errc::unsupported)
          << m.name;
      continue;
    }
    ASSERT_LT(client_methods, all.size());
    const RequestParams& sample = all[client_methods];
    EXPECT_EQ(method_of(sample), m.name);
    EXPECT_EQ(sample.index(), client_methods)
        << "variant order differs from the table at " << m.name;
    auto back = decode_request_params(m.name, encode_any(sample));
    ASSERT_TRUE(back.ok()) << m.name << ": " << back.error().describe();
    EXPECT_EQ(*back, sample) << m.name;
    ++client_methods;
  }
  EXPECT_EQ(client_methods, all.size());
  EXPECT_EQ(std::variant_size_v<RequestParams>, all.size());
}

TEST(ControlMethods, UnknownMethodIsUnsupported) {
  auto r = decode_request_params("peers.all", mp::params({}));
  EXPECT_EQ(code_of(r), Errc::unsupported);
  EXPECT_EQ(message_of(r), "no method \"peers.all\"");
}

TEST(ControlMethods, EventAndStateNames) {
  for (auto k : {PeerEventKind::up, PeerEventKind::down, PeerEventKind::connecting,
                 PeerEventKind::discovered, PeerEventKind::wants_to_pair}) {
    EXPECT_EQ(peer_event_from_string(to_string(k)), k);
    EXPECT_NE(find_method(to_string(k), Direction::to_client), nullptr);
  }
  EXPECT_EQ(to_string(PeerEventKind::down), "peer.down");
  EXPECT_FALSE(peer_event_from_string("peer.left"));
  for (auto s : {PeerState::offline, PeerState::connecting, PeerState::online})
    EXPECT_EQ(peer_state_from_string(to_string(s)), s);
  EXPECT_EQ(to_string(PeerState::online), "online");
  EXPECT_FALSE(peer_state_from_string("Online"));
}

TEST(ControlMethods, MessageLimitFollowsTheEnvelopeLimit) {
  EXPECT_EQ(max_message(1 << 20), (1u << 20) + 65536);
  EXPECT_EQ(kDefaultMaxMessage, kDefaultMaxEnvelope + 65536);
}

// --- params round trips -----------------------------------------------------

TEST(ControlParams, RoundTripVariants) {
  // Optional keys present and absent, every event, empty lists, nil args.
  std::vector<RequestParams> more = {
      HelloParams{},
      PeersParams{false},
      TrustAddParams{key(2), std::nullopt, std::nullopt},
      TrustAddParams{key(3), std::nullopt, std::vector<std::string>{}},
      ExposeParams{"x", std::nullopt},
      CallParams{"p", "h", from_hex("c0").value(), std::nullopt},
      CallParams{"p", "h", kArgs, 3600.0},
      SendParams{"p", "h", from_hex("c0").value()},
      SendFlushParams{std::nullopt},
      SubscribeParams{std::nullopt},
      SubscribeParams{std::vector<PeerEventKind>{}},
      SubscribeParams{std::vector<PeerEventKind>{PeerEventKind::up, PeerEventKind::down,
                                                 PeerEventKind::connecting,
                                                 PeerEventKind::discovered}},
  };
  for (const auto& p : more) {
    auto back = decode_request_params(method_of(p), encode_any(p));
    ASSERT_TRUE(back.ok()) << method_of(p) << ": " << back.error().describe();
    EXPECT_EQ(*back, p) << method_of(p);
  }
}

TEST(ControlParams, EmptyArgsEncodeAsNil) {
  auto back = decode_params<control::CallParams>(encode_params(CallParams{"p", "h", {}, std::nullopt}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->args, Bytes{0xc0});
}

TEST(ControlParams, ExactEncodings) {
  EXPECT_EQ(to_hex(encode_params(IdentityParams{})), "9180");
  EXPECT_EQ(to_hex(encode_params(PeersParams{true})), "9181a3616c6cc3");
  EXPECT_EQ(to_hex(encode_params(UnexposeParams{"echo"})), "9181a668616e646c65a46563686f");
  // timeout is a float 64: 5.0 = 0x4014000000000000.
  EXPECT_EQ(to_hex(encode_params(CallParams{"p", "h", {0x01}, 5.0})),
            "9184a470656572a170a668616e646c65a168a46172677301a774696d656f7574cb4014000000000000");
}

TEST(ControlParams, ArgsKeepTheirExactBytes) {
  // A non-minimal encoding (uint 32 holding 1) passes through untouched.
  const Bytes args = from_hex("ce00000001").value();
  auto p = decode_params<control::SendParams>(
      mp::params({{"peer", mp::s("p")}, {"handle", mp::s("h")}, {"args", args}}));
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->args, args);
}

TEST(ControlParams, KeyOrderDoesNotMatter) {
  auto p = decode_params<control::CallParams>(mp::params(
      {{"timeout", mp::u(9)}, {"args", mp::nil()}, {"handle", mp::s("h")}, {"peer", mp::s("p")}}));
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->timeout, 9.0);
}

TEST(ControlParams, NilOptionalIsAbsent) {
  auto p = decode_params<control::CallParams>(mp::params(
      {{"peer", mp::s("p")}, {"handle", mp::s("h")}, {"args", mp::nil()}, {"timeout", mp::nil()}}));
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_FALSE(p->timeout);
  auto e = decode_params<control::ExposeParams>(mp::params({{"handle", mp::s("h")}, {"allow", mp::nil()}}));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->allow);
  auto s = decode_params<control::SubscribeParams>(mp::params({{"events", mp::nil()}}));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->events);
}

// --- strictness: the shape of params ----------------------------------------

struct Case {
  const char* name;
  Bytes params;
  Errc code;
  std::string message;  // exact expected message
};

void expect_all(std::string_view method, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    auto r = decode_request_params(method, c.params);
    EXPECT_EQ(code_of(r), c.code) << c.name << ": " << message_of(r);
    EXPECT_EQ(message_of(r), c.message) << c.name;
  }
}

TEST(ControlStrict, ParamsMustBeAnArrayOfOneMap) {
  const std::string shape = "status: params must be an array holding one map, found ";
  expect_all(method::kStatus,
             {
                 {"map", mp::map({}), Errc::bad_request, shape + "a map"},
                 {"nothing", {}, Errc::bad_request, shape + "nothing"},
                 {"empty array", mp::arr({}), Errc::bad_request, shape + "an array of 0"},
                 {"two maps", mp::arr({mp::map({}), mp::map({})}), Errc::bad_request,
                  shape + "an array of 2"},
                 {"not a map", mp::arr({mp::u(1)}), Errc::bad_request,
                  "status: expected a map, found an integer"},
                 {"trailing", from_hex("918001").value(), Errc::bad_request,
                  "status: 1 bytes after the map"},
                 {"truncated", from_hex("9181a1").value(), Errc::bad_request,
                  "status: msgpack: truncated after 2 bytes"},
             });
}

TEST(ControlStrict, UnknownDuplicateAndNonStringKeys) {
  expect_all(
      method::kCall,
      {
          {"unknown", mp::params({{"peer", mp::s("p")}, {"tiemout", mp::u(1)}}), Errc::bad_request,
           "call: unknown key \"tiemout\""},
          {"duplicate", mp::params({{"peer", mp::s("p")}, {"peer", mp::s("q")}}), Errc::bad_request,
           "call: duplicate key \"peer\""},
          {"int key", mp::arr({mp::raw_map({{mp::u(1), mp::s("p")}})}), Errc::bad_request,
           "call: a key is an integer, not a string"},
          {"long unknown", mp::params({{std::string(100, 'k'), mp::nil()}}), Errc::bad_request,
           "call: unknown key \"" + std::string(64, 'k') + "\"… (100 bytes)"},
      });
  // A method without params takes no key at all.
  expect_all(method::kIdentity, {{"any key", mp::params({{"x", mp::nil()}}), Errc::bad_request,
                                  "identity: unknown key \"x\""}});
}

TEST(ControlStrict, RequiredKeys) {
  const Bytes h = mp::s("h"), p = mp::s("p");
  expect_all(method::kCall,
             {
                 {"no peer", mp::params({{"handle", h}, {"args", mp::nil()}}), Errc::bad_request,
                  "call: missing \"peer\""},
                 {"no handle", mp::params({{"peer", p}, {"args", mp::nil()}}), Errc::bad_request,
                  "call: missing \"handle\""},
                 {"no args", mp::params({{"peer", p}, {"handle", h}}), Errc::bad_request,
                  "call: missing \"args\""},
                 {"nil peer", mp::params({{"peer", mp::nil()}, {"handle", h}, {"args", mp::nil()}}),
                  Errc::bad_request, "call: \"peer\": expected a string, found nil"},
             });
  expect_all(method::kSend, {{"no args", mp::params({{"peer", p}, {"handle", h}}),
                              Errc::bad_request, "send: missing \"args\""}});
  expect_all(method::kHello,
             {{"no version", mp::params({}), Errc::bad_request, "hello: missing \"version\""}});
  expect_all(method::kTrustAdd,
             {{"no id", mp::params({}), Errc::bad_request, "trust.add: missing \"id\""}});
  expect_all(method::kTrustRemove,
             {{"no peer", mp::params({}), Errc::bad_request, "trust.remove: missing \"peer\""}});
  expect_all(method::kExpose,
             {{"no handle", mp::params({}), Errc::bad_request, "expose: missing \"handle\""}});
  expect_all(method::kUnexpose,
             {{"no handle", mp::params({}), Errc::bad_request, "unexpose: missing \"handle\""}});
  expect_all(method::kConnect,
             {{"no addr", mp::params({}), Errc::bad_request, "connect: missing \"addr\""}});
}

TEST(ControlStrict, WrongTypesNameTheKeyAndTheExpectedType) {
  const Bytes h = mp::s("h"), p = mp::s("p"), a = mp::nil();
  expect_all(
      method::kCall,
      {
          {"peer int", mp::params({{"peer", mp::u(5)}, {"handle", h}, {"args", a}}),
           Errc::bad_request, "call: \"peer\": expected a string, found an integer"},
          {"handle bin", mp::params({{"peer", p}, {"handle", mp::bin(as_bytes("h"))}, {"args", a}}),
           Errc::bad_request, "call: \"handle\": expected a string, found binary"},
          {"timeout str",
           mp::params({{"peer", p}, {"handle", h}, {"args", a}, {"timeout", mp::s("5")}}),
           Errc::bad_request, "call: \"timeout\": expected a number, found a string"},
      });
  expect_all(method::kPeers, {{"all int", mp::params({{"all", mp::u(1)}}), Errc::bad_request,
                               "peers: \"all\": expected a boolean, found an integer"}});
  expect_all(method::kHello,
             {
                 {"version str", mp::params({{"version", mp::s("1")}}), Errc::bad_request,
                  "hello: \"version\": expected an unsigned integer, found a string"},
                 {"version negative", mp::params({{"version", mp::i(-1)}}), Errc::bad_request,
                  "hello: \"version\": expected an unsigned integer, found a negative one"},
                 {"client int", mp::params({{"version", mp::u(1)}, {"client", mp::u(1)}}),
                  Errc::bad_request, "hello: \"client\": expected a string, found an integer"},
             });
  expect_all(
      method::kTrustAdd,
      {
          {"id int", mp::params({{"id", mp::u(1)}}), Errc::bad_request,
           "trust.add: \"id\": expected a peer id string, found an integer"},
          {"addrs str", mp::params({{"id", mp::s(peer_id_text(key(1)))}, {"addrs", mp::s("a:1")}}),
           Errc::bad_request, "trust.add: \"addrs\": expected an array of strings, found a string"},
          {"addrs item",
           mp::params(
               {{"id", mp::s(peer_id_text(key(1)))}, {"addrs", mp::arr({mp::s("a:1"), mp::u(2)})}}),
           Errc::bad_request, "trust.add: \"addrs\"[1]: expected a string, found an integer"},
          {"name bool", mp::params({{"id", mp::s(peer_id_text(key(1)))}, {"name", mp::b(true)}}),
           Errc::bad_request, "trust.add: \"name\": expected a string, found a boolean"},
      });
  expect_all(method::kExpose,
             {{"allow map", mp::params({{"handle", h}, {"allow", mp::map({})}}), Errc::bad_request,
               "expose: \"allow\": expected an array of strings, found a map"}});
  expect_all(method::kSubscribe,
             {{"events str", mp::params({{"events", mp::s("peer.up")}}), Errc::bad_request,
               "subscribe: \"events\": expected an array of strings, found a string"}});
}

TEST(ControlStrict, StringLengths) {
  const Bytes h = mp::s("h"), a = mp::nil();
  const std::string id = peer_id_text(key(1));
  expect_all(
      method::kCall,
      {
          {"empty peer", mp::params({{"peer", mp::s("")}, {"handle", h}, {"args", a}}),
           Errc::bad_request, "call: \"peer\": 0 bytes, not 1..128"},
          {"long peer",
           mp::params({{"peer", mp::s(std::string(129, 'A'))}, {"handle", h}, {"args", a}}),
           Errc::bad_request, "call: \"peer\": 129 bytes, not 1..128"},
          {"long handle",
           mp::params({{"peer", h}, {"handle", mp::s(std::string(129, 'h'))}, {"args", a}}),
           Errc::bad_request, "call: \"handle\": 129 bytes, not 1..128"},
          {"bad handle", mp::params({{"peer", h}, {"handle", mp::s("a b")}, {"args", a}}),
           Errc::bad_request, "call: \"handle\": \"a b\" is not 1..128 bytes of [A-Za-z0-9_.:/-]"},
      });
  expect_all(method::kHello,
             {{"long client",
               mp::params({{"version", mp::u(1)}, {"client", mp::s(std::string(129, 'c'))}}),
               Errc::bad_request, "hello: \"client\": 129 bytes, not 1..128"}});
  expect_all(
      method::kTrustAdd,
      {
          {"long name", mp::params({{"id", mp::s(id)}, {"name", mp::s(std::string(65, 'n'))}}),
           Errc::bad_request, "trust.add: \"name\": 65 bytes, not 1..64"},
          {"long addr",
           mp::params({{"id", mp::s(id)}, {"addrs", mp::arr({mp::s(std::string(301, 'a'))})}}),
           Errc::bad_request, "trust.add: \"addrs\"[0]: 301 bytes, not 1..300"},
          {"empty addr", mp::params({{"id", mp::s(id)}, {"addrs", mp::arr({mp::s("")})}}),
           Errc::bad_request, "trust.add: \"addrs\"[0]: 0 bytes, not 1..300"},
          {"many addrs",
           mp::params(
               {{"id", mp::s(id)}, {"addrs", mp::arr(std::vector<Bytes>(17, mp::s("a:1")))}}),
           Errc::bad_request, "trust.add: \"addrs\": 17 entries exceed the limit of 16"},
      });
  expect_all(
      method::kExpose,
      {
          {"many allow",
           mp::params({{"handle", h}, {"allow", mp::arr(std::vector<Bytes>(257, mp::s("p")))}}),
           Errc::bad_request, "expose: \"allow\": 257 entries exceed the limit of 256"},
          {"empty allow", mp::params({{"handle", h}, {"allow", mp::arr({})}}), Errc::bad_request,
           "expose: \"allow\": an empty list would allow nobody; omit \"allow\" to allow every "
           "trusted peer"},
          {"bad handle", mp::params({{"handle", mp::s("é")}}), Errc::bad_request,
           "expose: \"handle\": \"é\" is not 1..128 bytes of [A-Za-z0-9_.:/-]"},
      });
  expect_all(method::kUnexpose, {{"empty handle", mp::params({{"handle", mp::s("")}}),
                                  Errc::bad_request, "unexpose: \"handle\": 0 bytes, not 1..128"}});
  expect_all(method::kTrustRemove,
             {{"long peer", mp::params({{"peer", mp::s(std::string(200, 'p'))}}), Errc::bad_request,
               "trust.remove: \"peer\": 200 bytes, not 1..128"}});
  expect_all(method::kConnect, {{"long addr", mp::params({{"addr", mp::s(std::string(301, 'a'))}}),
                                 Errc::bad_request, "connect: \"addr\": 301 bytes, not 1..300"}});
  // The bounds themselves are accepted.
  EXPECT_TRUE(decode_params<control::CallParams>(mp::params({{"peer", mp::s(std::string(128, 'A'))},
                                             {"handle", mp::s(std::string(128, 'h'))},
                                             {"args", a}}))
                  .ok());
  EXPECT_TRUE(
      decode_params<control::TrustAddParams>(
          mp::params({{"id", mp::s(id)},
                      {"name", mp::s(std::string(64, 'n'))},
                      {"addrs", mp::arr(std::vector<Bytes>(16, mp::s(std::string(300, 'a'))))}}))
          .ok());
}

Result<CallParams> call_with_timeout(const Bytes& timeout) {
  return decode_params<control::CallParams>(mp::params(
      {{"peer", mp::s("p")}, {"handle", mp::s("h")}, {"args", mp::nil()}, {"timeout", timeout}}));
}

TEST(ControlStrict, TimeoutIsPositiveAndAtMostAnHour) {
  for (const Bytes& ok :
       {mp::f64(0.001), mp::f64(3600), mp::u(1), mp::u(3600), mp::f32(0.5f), mp::i(30)}) {
    auto r = call_with_timeout(ok);
    EXPECT_TRUE(r.ok()) << to_hex(ok) << ": " << message_of(r);
  }
  EXPECT_EQ(call_with_timeout(mp::f32(0.5f))->timeout, 0.5);
  const std::vector<std::pair<Bytes, std::string>> bad = {
      {mp::f64(0), "call: \"timeout\": 0 seconds is not in (0, 3600]"},
      {mp::u(0), "call: \"timeout\": 0 seconds is not in (0, 3600]"},
      {mp::f64(-1), "call: \"timeout\": -1 seconds is not in (0, 3600]"},
      {mp::i(-5), "call: \"timeout\": -5 seconds is not in (0, 3600]"},
      {mp::f64(3600.5), "call: \"timeout\": 3600.5 seconds is not in (0, 3600]"},
      {mp::u(86400), "call: \"timeout\": 86400 seconds is not in (0, 3600]"},
      {mp::f64(std::numeric_limits<double>::quiet_NaN()),
       "call: \"timeout\": expected a finite number"},
      {mp::f64(std::numeric_limits<double>::infinity()),
       "call: \"timeout\": expected a finite number"},
      {mp::b(true), "call: \"timeout\": expected a number, found a boolean"},
  };
  for (const auto& [value, message] : bad) {
    auto r = call_with_timeout(value);
    EXPECT_EQ(code_of(r), Errc::bad_request) << to_hex(value);
    EXPECT_EQ(message_of(r), message) << to_hex(value);
  }
}

TEST(ControlStrict, HelloVersionMustBeOne) {
  auto r = decode_params<control::HelloParams>(mp::params({{"version", mp::u(2)}, {"client", mp::s("x")}}));
  EXPECT_EQ(code_of(r), Errc::unsupported);
  EXPECT_EQ(message_of(r),
            "hello: the client speaks control protocol version 2, the daemon speaks 1");
  EXPECT_TRUE(decode_params<control::HelloParams>(mp::params({{"version", mp::u(1)}})).ok());
}

TEST(ControlStrict, TrustAddIdTypoIsBadPeerId) {
  std::string id = peer_id_text(key(4));
  id[3] = id[3] == 'A' ? 'B' : 'A';
  auto r = decode_params<control::TrustAddParams>(mp::params({{"id", mp::s(id)}}));
  EXPECT_EQ(code_of(r), Errc::bad_peer_id);
  EXPECT_EQ(message_of(r).rfind("trust.add: \"id\": ", 0), 0u) << message_of(r);
  // The compact form of a correct id is fine.
  auto ok = decode_params<control::TrustAddParams>(mp::params({{"id", mp::s(peer_id_compact(key(4)))}}));
  ASSERT_TRUE(ok.ok()) << message_of(ok);
  EXPECT_EQ(ok->id, key(4));
}

TEST(ControlStrict, SubscribeKnowsOnlyPeerEvents) {
  expect_all(
      method::kSubscribe,
      {
          {"unknown", mp::params({{"events", mp::arr({mp::s("peer.up"), mp::s("peer.left")})}}),
           Errc::bad_request,
           "subscribe: \"events\": unknown event \"peer.left\" (peer.up, peer.down, "
           "peer.connecting, "
           "peer.discovered, peer.wants_to_pair)"},
          {"too many", mp::params({{"events", mp::arr(std::vector<Bytes>(17, mp::s("peer.up")))}}),
           Errc::bad_request, "subscribe: \"events\": 17 entries exceed the limit of 16"},
      });
  // Repeats are accepted.
  auto r = decode_params<control::SubscribeParams>(
      mp::params({{"events", mp::arr({mp::s("peer.up"), mp::s("peer.up")})}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->events->size(), 2u);
}

TEST(ControlStrict, ArgsWithinMsgpackLimits) {
  // 33 nested arrays exceed the depth limit of 32.
  Bytes deep(33, 0x91);
  deep.push_back(0xc0);
  auto r = decode_params<control::SendParams>(
      mp::params({{"peer", mp::s("p")}, {"handle", mp::s("h")}, {"args", deep}}));
  EXPECT_EQ(code_of(r), Errc::bad_request);
  EXPECT_NE(message_of(r).find("nested deeper than 32"), std::string::npos) << message_of(r);
  // An invalid byte inside args.
  auto bad = decode_params<control::SendParams>(
      mp::params({{"peer", mp::s("p")}, {"handle", mp::s("h")}, {"args", Bytes{0xc1}}}));
  EXPECT_EQ(code_of(bad), Errc::bad_request);
}

// Streamed sends are read in place (read_streamed_send) on the daemon's hot
// path: it must never accept what the general decoder refuses, nor read
// anything differently, and must take the ordinary forms.
TEST(ControlStreamedSend, ReadInPlaceAgreesWithTheDecoder) {
  auto message = [](const Bytes& params) {
    return encode(RpcMessage(RpcNotification{"send", params}));
  };
  auto nested = [](size_t depth) {
    Bytes b(depth, 0x91);
    b.push_back(0xc0);
    return b;
  };
  const Bytes hello = mp::s("hello");
  struct Case {
    std::string name;
    Bytes msg;
    bool fast;  // the in-place reader must take it
  };
  std::vector<Case> cases = {
      {"plain", message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("chat")}, {"args", hello}})), true},
      {"keys in another order",
       message(mp::params({{"args", hello}, {"handle", mp::s("chat")}, {"peer", mp::s("pi")}})), true},
      {"args a map",
       message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("a.b:c/d-e_f")},
                           {"args", mp::map({{"k", mp::arr({mp::s("v"), Bytes{0x01}})}})}})),
       true},
      {"args nested 30 deep",
       message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("h")}, {"args", nested(30)}})), true},
      {"args nested 31 deep",
       message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("h")}, {"args", nested(31)}})), false},
      {"peer of 128 bytes",
       message(mp::params({{"peer", mp::s(std::string(128, 'p'))}, {"handle", mp::s("h")}, {"args", hello}})), true},
      {"peer of 129 bytes",
       message(mp::params({{"peer", mp::s(std::string(129, 'p'))}, {"handle", mp::s("h")}, {"args", hello}})), false},
      {"empty peer", message(mp::params({{"peer", mp::s("")}, {"handle", mp::s("h")}, {"args", hello}})), false},
      {"bad handle", message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("a b")}, {"args", hello}})), false},
      {"no args", message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("h")}})), false},
      {"unknown key",
       message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("h")}, {"args", hello}, {"x", hello}})), false},
      {"peer twice", message(mp::params({{"peer", mp::s("pi")}, {"peer", mp::s("pi")}, {"handle", mp::s("h")}})), false},
      {"peer a bin", message(mp::params({{"peer", Bytes{0xc4, 0x01, 0x70}}, {"handle", mp::s("h")}, {"args", hello}})),
       false},
      {"args a reserved ext",
       message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("h")}, {"args", Bytes{0xd4, 0x80, 0x00}}})), false},
      {"args an invalid byte",
       message(mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("h")}, {"args", Bytes{0xc1}}})), false},
      {"a request", encode(RpcMessage(RpcRequest{1, "send", mp::params({{"peer", mp::s("pi")},
                                                                        {"handle", mp::s("h")},
                                                                        {"args", hello}})})),
       false},
  };
  for (const Case& c : cases) {
    auto fast = read_streamed_send(c.msg, {});
    EXPECT_EQ(fast.has_value(), c.fast) << c.name;
    auto rpc = decode_rpc(c.msg);
    auto* n = rpc.ok() ? std::get_if<RpcNotification>(&*rpc) : nullptr;
    auto slow = n ? decode_params<control::SendParams>(n->params) : Result<control::SendParams>(make_error(Errc::bad_request, "not a notification"));
    if (!fast) continue;
    ASSERT_TRUE(slow.ok()) << c.name << ": the reader took what the decoder refuses: " << message_of(slow);
    EXPECT_EQ(fast->peer, slow->peer) << c.name;
    EXPECT_EQ(fast->handle, slow->handle) << c.name;
    EXPECT_EQ(Bytes(fast->args.begin(), fast->args.end()), slow->args) << c.name;
  }
  // Every prefix of a valid one is refused, and so is a byte after it.
  Bytes whole = cases[0].msg;
  for (size_t n = 0; n < whole.size(); ++n)
    EXPECT_FALSE(read_streamed_send(ByteView(whole).first(n), {}).has_value()) << n;
  whole.push_back(0xc0);
  EXPECT_FALSE(read_streamed_send(whole, {}).has_value());
  // At the start of a stream: the first message whole and its length; none
  // from any prefix of it, whatever follows nothing.
  whole.pop_back();
  Bytes two = whole;
  two.insert(two.end(), cases[1].msg.begin(), cases[1].msg.end());
  size_t length = 0;
  auto first = read_streamed_send_at(two, {}, length);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(length, whole.size());
  EXPECT_EQ(first->peer, "pi");
  for (size_t n = 0; n < whole.size(); ++n)
    EXPECT_FALSE(read_streamed_send_at(ByteView(whole).first(n), {}, length).has_value()) << n;
}

TEST(ControlCallRequest, ReadInPlaceAgreesWithTheDecoder) {
  auto request = [](uint32_t id, const Bytes& params) { return encode(RpcMessage(RpcRequest{id, "call", params})); };
  auto f64 = [](double d) {
    Bytes b{0xcb};
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    for (int i = 7; i >= 0; --i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    return b;
  };
  const Bytes args = mp::s("hi");
  struct Case {
    std::string name;
    Bytes msg;
    bool fast;
  };
  std::vector<Case> cases = {
      {"plain", request(7, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("echo")}, {"args", args}})), true},
      {"with a timeout",
       request(70000, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("echo")}, {"args", args}, {"timeout", f64(2.5)}})),
       true},
      {"integer timeout",
       request(1, mp::params({{"timeout", Bytes{0x05}}, {"peer", mp::s("pi")}, {"handle", mp::s("e")}, {"args", args}})),
       true},
      {"timeout 0", request(1, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("e")}, {"args", args}, {"timeout", f64(0)}})),
       false},
      {"timeout too long",
       request(1, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("e")}, {"args", args}, {"timeout", f64(3601)}})), false},
      {"timeout a string",
       request(1, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("e")}, {"args", args}, {"timeout", mp::s("1")}})),
       false},
      {"no args", request(1, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("e")}, {"timeout", f64(1)}})), false},
      {"bad handle", request(1, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("")}, {"args", args}})), false},
      {"unknown key",
       request(1, mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("e")}, {"args", args}, {"x", args}})), false},
      {"a send", encode(RpcMessage(RpcRequest{1, "send", mp::params({{"peer", mp::s("pi")}, {"handle", mp::s("e")},
                                                                     {"args", args}})})),
       false},
  };
  for (const Case& c : cases) {
    auto fast = read_call_request(c.msg, {});
    EXPECT_EQ(fast.has_value(), c.fast) << c.name;
    if (!fast) continue;
    auto rpc = decode_rpc(c.msg);
    ASSERT_TRUE(rpc.ok()) << c.name;
    auto& q = std::get<RpcRequest>(*rpc);
    auto slow = decode_params<control::CallParams>(q.params);
    ASSERT_TRUE(slow.ok()) << c.name << ": " << message_of(slow);
    EXPECT_EQ(fast->msgid, q.msgid) << c.name;
    EXPECT_EQ(fast->peer, slow->peer) << c.name;
    EXPECT_EQ(fast->handle, slow->handle) << c.name;
    EXPECT_EQ(Bytes(fast->args.begin(), fast->args.end()), slow->args) << c.name;
    EXPECT_EQ(fast->timeout, slow->timeout) << c.name;
  }
}

// pair.open's window is checked like a call's timeout (pair_methods.hpp).
TEST(ControlParams, PairOpenWindowRange) {
  for (double bad : {0.0, -1.0, 3600.5}) {
    auto r = decode_params<PairOpenParams>(encode_params(PairOpenParams{bad, std::nullopt}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::bad_request);
    EXPECT_NE(r.error().message.find("window"), std::string::npos) << r.error().message;
  }
  auto ok = decode_params<PairOpenParams>(encode_params(PairOpenParams{3600.0, "pi"}));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(*ok->window, 3600.0);
}

}  // namespace
}  // namespace peernet::control
