// Dialling: reconnecting by itself after the peer restarts (cleanly or
// killed), host names, connect() to an address, and the jittered backoff
// while the peer is away.
#include "peers/dialer.hpp"

#include <gtest/gtest.h>

#include "../daemon_fixture.hpp"

namespace peernet::testing {
namespace {

class DialerTest : public DaemonTest {
 protected:
  bool echo_works(Node& from, Node& to) {
    std::optional<Result<Bytes>> r;
    auto st = from->call(to.key(), "echo", mp_str("again"), 5, [&](Result<Bytes> res) { r = std::move(res); });
    if (!st) return false;
    return run_until([&] { return r.has_value(); }) && r->ok() && **r == mp_str("again");
  }

  // Restart `n` on the same state dir and port: it keeps its identity and
  // trust list.
  void restart_on_same_port(Node& n, uint16_t port) {
    n.config.network.listen = {Endpoint{"127.0.0.1", port}};
    start(n);
  }
};

TEST_F(DialerTest, ReconnectsAfterThePeerRestarts) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  PublicKey bkey = b.key();
  uint16_t port = b.endpoint().port;

  stop(b);
  ASSERT_TRUE(run_until([&] { return a.count(PeerEvent::Kind::down, bkey) == 1; }));
  EXPECT_EQ(a.events.back().reason, "shutdown");
  // While b is away a keeps trying, announcing it.
  ASSERT_TRUE(run_until([&] { return a.count(PeerEvent::Kind::connecting, bkey) >= 2; }));

  restart_on_same_port(b, port);
  EXPECT_EQ(b.key(), bkey);
  ASSERT_TRUE(connected(a, b));
  EXPECT_EQ(a.count(PeerEvent::Kind::up, bkey), 2u);
  ASSERT_TRUE(b->expose("echo", 1, std::make_shared<TestHandler>()).ok());
  EXPECT_TRUE(echo_works(a, b));
}

TEST_F(DialerTest, ReconnectsAfterThePeerWasKilled) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  uint16_t port = b.endpoint().port;
  b.daemon.reset();  // no close envelopes, no FIN handshake: the sockets just go
  ASSERT_TRUE(run_until([&] { return a.count(PeerEvent::Kind::down, b.key()) == 1; }));
  restart_on_same_port(b, port);
  ASSERT_TRUE(connected(a, b));
  EXPECT_EQ(b->status().handshakes_ok, 1u);
}

TEST_F(DialerTest, TheAcceptingSideDialsBackItsLearnedAddress) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);  // b has no address for a ...
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  // ... but learned one from a's hello. Take b's address away from a, so
  // only b can bring the session back.
  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "", {}}).ok());
  uint16_t port = a.endpoint().port;
  a.daemon.reset();
  ASSERT_TRUE(run_until([&] { return b.count(PeerEvent::Kind::down, a.key()) == 1; }));
  restart_on_same_port(a, port);
  ASSERT_TRUE(connected(a, b));
  auto info = a.info_of(b.key());
  ASSERT_TRUE(info && info->session);
  EXPECT_FALSE(info->session->initiator);  // b dialled
}

TEST_F(DialerTest, DialsHostNamesTryingEachAddress) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);
  // "localhost" may resolve to ::1 first, where nothing listens.
  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "bee", {Endpoint{"localhost", b.endpoint().port}}}).ok());
  ASSERT_TRUE(connected(a, b));
  EXPECT_EQ(a.info_of(b.key())->name, "bee");
}

TEST_F(DialerTest, ConnectReportsTheKeyOrTheError) {
  Node& a = add_node();
  Node& b = add_node();
  trust(a, b, false);
  trust(b, a, false);
  std::optional<Result<PublicKey>> first;
  ASSERT_TRUE(a->connect(b.endpoint(), [&](Result<PublicKey> r) { first = std::move(r); }).ok());
  EXPECT_FALSE(first.has_value());  // never from inside connect()
  ASSERT_TRUE(run_until([&] { return first.has_value(); }));
  ASSERT_TRUE(first->ok());
  EXPECT_EQ(**first, b.key());
  ASSERT_TRUE(connected(a, b));
  // The address is now a learned one.
  auto info = a.info_of(b.key());
  ASSERT_TRUE(info);
  ASSERT_FALSE(info->learned_addrs.empty());
  EXPECT_EQ(info->learned_addrs[0], b.endpoint());

  // Nobody listens on b's port once b has stopped.
  Endpoint gone = b.endpoint();
  stop(b);
  std::optional<Result<PublicKey>> refused;
  ASSERT_TRUE(a->connect(gone, [&](Result<PublicKey> r) { refused = std::move(r); }).ok());
  ASSERT_TRUE(run_until([&] { return refused.has_value(); }));
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error().code, Errc::io_error);

  EXPECT_EQ(a->connect(Endpoint{"127.0.0.1", 0}, [](Result<PublicKey>) {}).error().code, Errc::bad_request);
}

TEST_F(DialerTest, StopCancelsPendingConnects) {
  Node& a = add_node();
  std::optional<Result<PublicKey>> r;
  // A name that takes a resolver round trip, so the request is pending.
  ASSERT_TRUE(a->connect(Endpoint{"localhost", 9}, [&](Result<PublicKey> res) { r = std::move(res); }).ok());
  stop(a);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ok());
}

}  // namespace
}  // namespace peernet::testing
