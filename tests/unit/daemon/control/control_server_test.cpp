// The control server end to end in one process: a daemon (or two, paired)
// on one loop, its control socket, and raw msgpack-RPC clients. This file:
// the socket file, authorization, bad input, and the methods about the
// daemon, its peers and the trust list. control_handles_test.cpp: handles,
// calls and sends.
#include "control/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "../control_fixture.hpp"
#include "control/connection.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/peer_id.hpp"
#include "base/random.hpp"

namespace peernet::testing {
namespace {

using namespace peernet::control;

PublicKey random_key() {
  static OsRng rng;
  PublicKey k;
  rng.fill(k.bytes);
  return k;
}

// msgpack built by hand, so bad input is exactly what the test says.
Bytes mp(const std::function<void(MsgpackWriter&)>& fn) {
  Bytes out;
  MsgpackWriter w(out);
  fn(w);
  return out;
}

// ---- The socket file ----

TEST(ControlDispatch, EveryClientRequestHasExactlyOneRoute) {
  size_t requests = 0;
  for (const MethodInfo& m : methods()) {
    const bool served = m.direction == Direction::to_daemon && m.type == RpcType::request;
    size_t rows = 0;
    for (auto routes : {peernet::peer_routes(), peernet::handle_routes(), peernet::operator_routes()})
      for (const ControlRoute& r : routes) rows += r.method == m.name ? 1 : 0;
    EXPECT_EQ(rows, served ? 1u : 0u) << m.name;
    requests += served ? 1 : 0;
  }
  EXPECT_EQ(peernet::peer_routes().size() + peernet::handle_routes().size() + peernet::operator_routes().size(),
            requests);
}

TEST_F(ControlTest, SocketHasTheConfiguredModeAndIsRemovedOnStop) {
  Node& a = add_node();
  ControlServer& s = serve(a);
  struct stat st;
  ASSERT_EQ(::stat(s.path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  bool stopped = false;
  s.stop([&] { stopped = true; });
  EXPECT_FALSE(stopped);  // never from inside stop()
  ASSERT_TRUE(run_until([&] { return stopped; }));
  EXPECT_FALSE(std::filesystem::exists(a.dir + "/ctl.sock"));
}

TEST_F(ControlTest, StaleSocketIsReplacedAndALiveOneRefused) {
  Node& a = add_node();
  std::string path = a.dir + "/ctl.sock";
  // A socket file nobody listens on, as a crashed daemon leaves it.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::exists(path));

  ControlServer& s = serve(a);
  EXPECT_TRUE(a.sink.contains("removed stale control socket")) << log_of(a);
  RpcClient& c = connect(a);
  EXPECT_TRUE(rpc(c, IdentityParams{}).ok());

  // A second server on the same path finds a live listener.
  auto second = ControlServer::start(&loop, *a.daemon, a.log, ControlServerOptions::from(a->config()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::exists);
  EXPECT_NE(second.error().message.find("is listening"), std::string::npos) << second.error().message;
  EXPECT_TRUE(rpc(c, IdentityParams{}).ok());  // the first one is untouched
  EXPECT_EQ(s.clients(), 1u);
}

TEST_F(ControlTest, AFileThatIsNotASocketIsLeftAlone) {
  Node& a = add_node();
  std::string path = a.dir + "/ctl.sock";
  std::ofstream(path) << "keep me";
  auto s = ControlServer::start(&loop, *a.daemon, a.log, ControlServerOptions::from(a->config()));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::exists);
  EXPECT_NE(s.error().message.find("not a socket"), std::string::npos);
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "keep me");
}

TEST_F(ControlTest, OwnRuntimeDirectoryIsCreatedPrivate) {
  Node& a = add_node();
  std::string dir = a.dir + "/run/peernet";
  ControlServer& s = serve(a, [&](ControlServerOptions& o) {
    o.path = dir + "/peernetd.sock";
    o.own_dir = true;
  });
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(s.path(), dir + "/peernetd.sock");
  // Another directory is not created: binding there fails.
  auto other = ControlServer::start(&loop, *a.daemon, a.log, [&] {
    auto o = ControlServerOptions::from(a->config());
    o.path = a.dir + "/absent/ctl.sock";
    return o;
  }());
  ASSERT_FALSE(other.ok());
  EXPECT_FALSE(std::filesystem::exists(a.dir + "/absent"));
}

TEST_F(ControlTest, UnknownGroupsAreConfigErrors) {
  Node& a = add_node();
  for (std::string key : {"socket_group", "admin_group"}) {
    auto o = ControlServerOptions::from(a->config());
    (key == "socket_group" ? o.group : o.admin_group) = "no-such-group-peernet";
    auto s = ControlServer::start(&loop, *a.daemon, a.log, o);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::config_error);
    EXPECT_NE(s.error().message.find("control." + key), std::string::npos) << s.error().message;
  }
  EXPECT_FALSE(std::filesystem::exists(a.dir + "/ctl.sock"));
}

TEST_F(ControlTest, SocketGroupIsApplied) {
  Node& a = add_node();
  ControlServer& s = serve(a, [](ControlServerOptions& o) {
    o.group = "root";
    o.mode = 0600;
  });
  struct stat st;
  ASSERT_EQ(::stat(s.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// ---- Authorization ----

TEST_F(ControlTest, GroupMembershipComesFromTheUserDatabase) {
  EXPECT_TRUE(uid_in_group(0, 0));  // root's primary group
  EXPECT_FALSE(uid_in_group(0, 4242424));
  EXPECT_FALSE(uid_in_group(4242424, 0));  // no such user: no groups
  auto g = lookup_group("root", "control.admin_group");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, 0u);
}

TEST_F(ControlTest, TheDaemonsOwnUidIsAnAdminByDefault) {
  Node& a = add_node();
  serve(a, [](ControlServerOptions& o) { o.is_admin = nullptr; });
  RpcClient& c = connect(a);
  auto r = rpc(c, HelloParams{"test 1"});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto hello = decode_result<control::method::Hello>(*r);
  ASSERT_TRUE(hello.ok());
  EXPECT_TRUE(hello->admin);
  EXPECT_TRUE(a.sink.contains("is \"test 1\""));
}

TEST_F(ControlTest, NonAdminIsForbiddenToChangeTrust) {
  Node& a = add_node();
  serve(a);
  admin = false;
  RpcClient& user = connect(a);
  admin = true;
  RpcClient& root = connect(a);

  auto hello = decode_result<control::method::Hello>(*rpc(user, HelloParams{}));
  ASSERT_TRUE(hello.ok());
  EXPECT_FALSE(hello->admin);
  EXPECT_EQ(hello->id, a.key());

  PublicKey k = random_key();
  auto add = rpc(user, TrustAddParams{k, std::string("pi"), std::nullopt});
  EXPECT_EQ(code_of(add), "forbidden");
  EXPECT_NE(add.error().message.find("trust.add: uid " + std::to_string(::getuid()) + " is not an admin"),
            std::string::npos)
      << add.error().message;
  EXPECT_EQ(a->trust().size(), 0u);
  ASSERT_TRUE(rpc(root, TrustAddParams{k, std::string("pi"), std::nullopt}).ok());
  EXPECT_EQ(code_of(rpc(user, TrustRemoveParams{"pi"})), "forbidden");
  // Reading the trust list is for everyone.
  auto list = decode_result<control::method::TrustList>(*rpc(user, TrustListParams{}));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->at(0).name, "pi");
}

// ---- Bad input ----

TEST_F(ControlTest, MalformedMsgpackClosesOnlyThatClient) {
  Node& a = add_node();
  ControlServer& s = serve(a);
  RpcClient& bad = connect(a);
  RpcClient& good = connect(a);
  bad.write_raw(Bytes{0x94, 0x00, 0x01, 0xc1});  // 0xc1 is never valid msgpack
  ASSERT_TRUE(run_until([&] { return bad.eof; }));
  EXPECT_TRUE(bad.responses.empty());
  EXPECT_TRUE(rpc(good, IdentityParams{}).ok());
  EXPECT_EQ(s.clients(), 1u);
  EXPECT_TRUE(a.sink.contains("sent unreadable input")) << log_of(a);
}

TEST_F(ControlTest, InvalidRequestIsAnsweredAndTheConnectionGoesOn) {
  Node& a = add_node();
  serve(a);
  RpcClient& c = connect(a);
  auto r = rpc(c, "call", mp([](MsgpackWriter& w) {
                 w.array(1);
                 w.map(1);
                 w.str("tiemout");
                 w.uint(1);
               }));
  EXPECT_EQ(code_of(r), "bad_request");
  EXPECT_NE(r.error().message.find("tiemout"), std::string::npos) << r.error().message;

  // A message the decoder rejects (method is not a string) but whose msgid
  // it could read.
  c.write_raw(mp([](MsgpackWriter& w) {
    w.array(4);
    w.uint(0);
    w.uint(77);
    w.uint(42);
    w.array(0);
  }));
  RpcResponse bad = wait_response(c, 77);
  EXPECT_EQ(code_of(response_result(bad)), "bad_request");
  // Without a msgid nothing can be answered; the message is dropped.
  c.write_raw(mp([](MsgpackWriter& w) { w.str("just a string"); }));
  EXPECT_TRUE(rpc(c, IdentityParams{}).ok());
  EXPECT_FALSE(c.gone());
}

TEST_F(ControlTest, UnknownMethodIsUnsupported) {
  Node& a = add_node();
  serve(a);
  RpcClient& c = connect(a);
  auto r = rpc(c, "reboot", encode_params(IdentityParams{}));
  EXPECT_EQ(code_of(r), "unsupported");
  EXPECT_NE(r.error().message.find("reboot"), std::string::npos);
  // A method the daemon sends, not one it takes.
  EXPECT_EQ(code_of(rpc(c, "handle.call", encode_params(IdentityParams{}))), "unsupported");
  // hello with another protocol version.
  auto v2 = rpc(c, "hello", mp([](MsgpackWriter& w) {
                  w.array(1);
                  w.map(1);
                  w.str("version");
                  w.uint(2);
                }));
  EXPECT_EQ(code_of(v2), "unsupported");
  EXPECT_TRUE(rpc(c, IdentityParams{}).ok());
}

TEST_F(ControlTest, OversizedMessageClosesTheConnection) {
  Node& a = add_node([](Config& c) { c.session.max_envelope = 64 * 1024; });
  ControlServer& s = serve(a);
  RpcClient& c = connect(a);
  // A request whose args declare more than the limit: refused on the
  // declared size, long before that much is sent.
  Bytes head = mp([](MsgpackWriter& w) {
    w.array(4);
    w.uint(0);
    w.uint(1);
    w.str("send");
    w.array(1);
    w.map(3);
    w.str("args");
  });
  uint32_t n = 1 << 20;
  head.insert(head.end(), {0xc6, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)});
  head.resize(head.size() + 1000, 0x41);
  c.write_raw(head);
  ASSERT_TRUE(run_until([&] { return c.eof; }));
  EXPECT_TRUE(c.responses.empty());
  EXPECT_EQ(s.clients(), 0u);
}

// ---- The daemon and its peers ----

TEST_F(ControlTest, IdentityAndStatus) {
  Node& a = add_node();
  Node& b = add_node();
  serve(a);
  pair(a, b);
  RpcClient& c = connect(a);
  auto id = decode_result<control::method::Identity>(*rpc(c, IdentityParams{}));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->id, a.key());
  EXPECT_EQ(id->fingerprint, fingerprint(a.key()));

  auto st = decode_result<control::method::Status>(*rpc(c, StatusParams{}));
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->id, a.key());
  EXPECT_EQ(st->sessions, 1u);
  EXPECT_EQ(st->peers_online, 1u);
  EXPECT_EQ(st->peers_total, 1u);
  EXPECT_EQ(st->handles, 0u);
  EXPECT_EQ(st->counters.at("handshakes_ok"), 1u);
  EXPECT_EQ(st->counters.at("control_clients"), 1u);
  EXPECT_GE(st->uptime_s, 0.0);
}

TEST_F(ControlTest, PeersReportsStateAddressesAndSession) {
  Node& a = add_node();
  Node& b = add_node();
  serve(a);
  ASSERT_TRUE(a->trust_add(TrustedPeer{random_key(), "offline", {}}).ok());
  pair(a, b);
  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "bee", {b.endpoint()}}).ok());
  RpcClient& c = connect(a);
  auto peers = decode_result<control::method::Peers>(*rpc(c, PeersParams{}));
  ASSERT_TRUE(peers.ok()) << peers.error().describe();
  ASSERT_EQ(peers->size(), 2u);
  const control::PeerInfo* bee = nullptr;
  for (const control::PeerInfo& p : *peers)
    if (p.id == b.key()) bee = &p;
  ASSERT_NE(bee, nullptr);
  EXPECT_EQ(bee->name, "bee");
  EXPECT_EQ(bee->state, control::PeerState::online);
  EXPECT_TRUE(bee->trusted);
  ASSERT_FALSE(bee->addrs.empty());
  EXPECT_EQ(bee->addrs[0], b.endpoint().to_string());
  ASSERT_TRUE(bee->session.has_value());
  EXPECT_TRUE(bee->session->initiator);
  EXPECT_TRUE(bee->last_seen.has_value());
  for (const control::PeerInfo& p : *peers)
    if (p.id != b.key()) {
      EXPECT_EQ(p.state, control::PeerState::offline);
      EXPECT_FALSE(p.session.has_value());
    }
}

TEST_F(ControlTest, TrustAddListRemoveByNamePrefixAndId) {
  Node& a = add_node();
  serve(a);
  RpcClient& c = connect(a);
  PublicKey k = random_key();
  auto added = rpc(c, TrustAddParams{k, std::string("pi"), std::vector<std::string>{"127.0.0.1:9"}});
  ASSERT_TRUE(added.ok()) << added.error().describe();
  EXPECT_EQ(decode_result<control::method::TrustAdd>(*added)->id, k);
  ASSERT_NE(a->trust().find(k), nullptr);
  EXPECT_EQ(a->trust().find(k)->addrs.at(0), (Endpoint{"127.0.0.1", 9}));

  // Omitted keys keep their values; addrs [] clears.
  ASSERT_TRUE(rpc(c, TrustAddParams{k, std::nullopt, std::vector<std::string>{}}).ok());
  EXPECT_EQ(a->trust().find(k)->name, "pi");
  EXPECT_TRUE(a->trust().find(k)->addrs.empty());

  EXPECT_EQ(code_of(rpc(c, TrustAddParams{k, std::nullopt, std::vector<std::string>{"no port"}})), "bad_request");
  EXPECT_EQ(code_of(rpc(c, TrustAddParams{a.key(), std::nullopt, std::nullopt})), "bad_request");
  EXPECT_EQ(code_of(rpc(c, TrustAddParams{random_key(), std::string("pi"), std::nullopt})), "exists");

  PublicKey other = random_key();
  ASSERT_TRUE(rpc(c, TrustAddParams{other, std::nullopt, std::nullopt}).ok());
  auto list = decode_result<control::method::TrustList>(*rpc(c, TrustListParams{}));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);  // the one refused with "exists" was not added
  EXPECT_EQ(list->at(0).id, k);
  EXPECT_EQ(list->at(0).name, "pi");
  EXPECT_EQ(list->at(1).id, other);
  EXPECT_EQ(list->at(1).name, std::nullopt);

  // Remove by alias, by a unique prefix, by full id.
  EXPECT_EQ(code_of(rpc(c, TrustRemoveParams{"nobody"})), "no_such_peer");
  ASSERT_TRUE(rpc(c, TrustRemoveParams{"pi"}).ok());
  EXPECT_EQ(a->trust().find(k), nullptr);
  ASSERT_TRUE(rpc(c, TrustAddParams{k, std::nullopt, std::nullopt}).ok());
  ASSERT_TRUE(rpc(c, TrustRemoveParams{peer_id_compact(k).substr(0, 12)}).ok());
  ASSERT_TRUE(rpc(c, TrustRemoveParams{peer_id_text(other)}).ok());
  EXPECT_EQ(a->trust().size(), 0u);
  EXPECT_EQ(code_of(rpc(c, TrustRemoveParams{peer_id_text(other)})), "no_such_peer");
}

TEST_F(ControlTest, AmbiguousPrefixIsReported) {
  Node& a = add_node();
  serve(a);
  RpcClient& c = connect(a);
  // Two keys whose ids share their first 4 characters (a birthday search
  // over 32^4 prefixes takes about a thousand keys).
  std::map<std::string, PublicKey> seen;
  std::optional<std::pair<PublicKey, PublicKey>> twins;
  for (int i = 0; i < 200000 && !twins; ++i) {
    PublicKey k = random_key();
    auto [it, fresh] = seen.emplace(peer_id_compact(k).substr(0, 4), k);
    if (!fresh) twins = std::make_pair(it->second, k);
  }
  ASSERT_TRUE(twins.has_value());
  ASSERT_TRUE(a->trust_add(TrustedPeer{twins->first, "", {}}).ok());
  ASSERT_TRUE(a->trust_add(TrustedPeer{twins->second, "", {}}).ok());
  auto r = rpc(c, TrustRemoveParams{peer_id_compact(twins->first).substr(0, 4)});
  EXPECT_EQ(code_of(r), "ambiguous_peer");
  EXPECT_EQ(a->trust().size(), 2u);
}

TEST_F(ControlTest, SubscribeDeliversPeerUpAndDown) {
  Node& a = add_node();
  Node& b = add_node();
  serve(a);
  RpcClient& all = connect(a);
  RpcClient& only_down = connect(a);
  RpcClient& none = connect(a);
  ASSERT_TRUE(rpc(all, SubscribeParams{}).ok());
  ASSERT_TRUE(rpc(only_down, SubscribeParams{std::vector<PeerEventKind>{PeerEventKind::down}}).ok());
  ASSERT_TRUE(rpc(none, SubscribeParams{std::vector<PeerEventKind>{PeerEventKind::up}}).ok());
  ASSERT_TRUE(rpc(none, SubscribeParams{std::vector<PeerEventKind>{}}).ok());  // replaces: nothing

  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "bee", {}}).ok());
  trust(b, a);  // b dials a
  ASSERT_TRUE(connected(a, b));
  stop(b);
  auto saw = [](const RpcClient& c, std::string_view method) {
    for (const auto& n : c.notifications)
      if (n.method == method) return true;
    return false;
  };
  ASSERT_TRUE(run_until([&] { return saw(all, "peer.down") && saw(only_down, "peer.down"); }));

  std::vector<control::PeerEvent> events;
  for (const auto& n : all.notifications) {
    auto e = decode_notification(n);
    ASSERT_TRUE(e.ok()) << e.error().describe();
    events.push_back(std::get<control::PeerEvent>(*e));
  }
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].kind, PeerEventKind::up);
  const control::PeerEvent& down = events.back();
  EXPECT_EQ(down.kind, PeerEventKind::down);
  EXPECT_EQ(down.id, b.key());
  EXPECT_EQ(down.name, "bee");
  EXPECT_EQ(down.reason, "shutdown");
  EXPECT_TRUE(down.message.has_value());
  EXPECT_FALSE(saw(only_down, "peer.up"));
  EXPECT_TRUE(none.notifications.empty());
}

TEST_F(ControlTest, DiscoveredPeersAreNotifiedAndListedWithAll) {
  Node& a = add_node();
  serve(a);
  RpcClient& c = connect(a);
  ASSERT_TRUE(rpc(c, SubscribeParams{std::vector<PeerEventKind>{PeerEventKind::discovered}}).ok());
  PublicKey stranger = random_key();
  a->discovery().peer_found(DiscoveredPeer{stranger, {Endpoint{"198.18.0.9", 7469}}, "stranger", "mdns", 120});
  ASSERT_TRUE(run_until([&] { return !c.notifications.empty(); }));
  auto e = decode_notification(c.notifications.at(0));
  ASSERT_TRUE(e.ok()) << e.error().describe();
  const auto& ev = std::get<control::PeerEvent>(*e);
  EXPECT_EQ(ev.kind, PeerEventKind::discovered);
  EXPECT_EQ(ev.id, stranger);
  EXPECT_FALSE(ev.name.has_value());
  EXPECT_EQ(ev.addrs, std::vector<std::string>{"198.18.0.9:7469"});

  auto trusted_only = decode_result<control::method::Peers>(*rpc(c, PeersParams{}));
  ASSERT_TRUE(trusted_only.ok());
  EXPECT_TRUE(trusted_only->empty());
  PeersParams with_all;
  with_all.all = true;
  auto all = decode_result<control::method::Peers>(*rpc(c, with_all));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).id, stranger);
  EXPECT_FALSE(all->at(0).trusted);
  EXPECT_EQ(all->at(0).state, control::PeerState::offline);
  EXPECT_EQ(all->at(0).addrs, std::vector<std::string>{"198.18.0.9:7469"});
}

TEST_F(ControlTest, ConnectDialsAnAddress) {
  Node& a = add_node();
  Node& b = add_node();
  serve(a);
  trust(b, a, false);
  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "", {}}).ok());
  RpcClient& c = connect(a);
  auto r = rpc(c, ConnectParams{b.endpoint().to_string()});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(decode_result<control::method::Connect>(*r)->id, b.key());
  EXPECT_EQ(code_of(rpc(c, ConnectParams{"no-port"})), "bad_request");
}

// ---- Flow control and stopping ----

// A handler that reads slowly loses nothing the sender was told is
// delivered: once its connection is congested, the session delivering to it
// stops reading, TCP pushes back, and the sending daemon reports its
// further sends dropped (busy). When the handler reads again, every send
// that was accepted arrives.
TEST_F(ControlTest, SlowReaderPausesItsSendersAndLosesNothing) {
  Node& a = add_node();
  Node& b = add_node();
  ControlServer& s = serve(a, [](ControlServerOptions& o) { o.write_queue_cap = 64 * 1024; });
  pair(a, b);
  RpcClient& slow = connect(a);
  ASSERT_TRUE(rpc(slow, ExposeParams{"sink", std::nullopt}).ok());
  slow.stop_reading();
  size_t accepted = 0, busy = 0;
  for (int i = 0; i < 20000 && busy == 0; ++i) {
    Status st = b->send(a.key(), "sink", mp_bin(16 * 1024));
    if (st) ++accepted;
    else if (st.error().code == Errc::busy) ++busy;
    else FAIL() << st.error().describe();
    run_nowait(1);
  }
  EXPECT_GT(busy, 0u);
  EXPECT_GT(accepted, 0u);
  EXPECT_EQ(s.counters().notifications_dropped, 0u);
  slow.start_reading();
  ASSERT_TRUE(run_until([&] { return slow.notifications.size() == accepted; }))
      << slow.notifications.size() << " of " << accepted;
  EXPECT_EQ(s.counters().notifications_dropped, 0u);
  EXPECT_EQ(s.clients(), 1u);
}

TEST_F(ControlTest, ClientThatNeverReadsItsResponsesIsCutOff) {
  Node& a = add_node();
  Node& b = add_node();
  ControlServer& s = serve(a, [](ControlServerOptions& o) { o.write_queue_cap = 64 * 1024; });
  pair(a, b);
  RpcClient& lazy = connect(a);
  ASSERT_TRUE(rpc(lazy, ExposeParams{"sink", std::nullopt}).ok());
  lazy.stop_reading();
  // Sends delivered to it fill its queue until the session pauses.
  for (int i = 0; i < 64; ++i) {
    (void)b->send(a.key(), "sink", mp_bin(16 * 1024));
    run_nowait(1);
  }
  // Requests it never reads the answers to: once a response cannot be
  // queued any more, the connection ends.
  for (int i = 0; i < 100000 && s.counters().clients_cut_off == 0; ++i) {
    lazy.request(StatusParams{});
    if (i % 16 == 0) run_nowait(1);
  }
  ASSERT_TRUE(run_until([&] { return s.counters().clients_cut_off == 1; })) << log_of(a);
  EXPECT_TRUE(a.sink.contains("is not reading its responses")) << log_of(a);
  EXPECT_EQ(s.clients(), 0u);
  EXPECT_TRUE(a->handles().empty());
  lazy.start_reading();
  ASSERT_TRUE(run_until([&] { return lazy.eof; }));
  // The session paused for it reads again: b can send (to a handle that is
  // gone now) without being refused.
  ASSERT_TRUE(run_until([&] { return b->send(a.key(), "sink", mp_bin(16)).ok(); }));
}

TEST_F(ControlTest, StopAnswersOutstandingRequestsCancelled) {
  Node& a = add_node();
  Node& b = add_node();
  serve(a);
  ControlServer& sb = serve(b);
  pair(a, b);
  RpcClient& handler = connect(a);
  ASSERT_TRUE(rpc(handler, ExposeParams{"slow", std::nullopt}).ok());
  RpcClient& caller = connect(b);
  uint32_t id = caller.request(CallParams{peer_id_text(a.key()), "slow", mp_str("x"), 30.0});
  ASSERT_TRUE(run_until([&] { return !handler.requests.empty(); }));
  bool stopped = false;
  sb.stop([&] { stopped = true; });
  RpcResponse r = wait_response(caller, id);
  EXPECT_EQ(code_of(response_result(r)), "cancelled");
  ASSERT_TRUE(run_until([&] { return stopped && caller.eof; }));
  EXPECT_FALSE(std::filesystem::exists(b.dir + "/ctl.sock"));
}

}  // namespace
}  // namespace peernet::testing
