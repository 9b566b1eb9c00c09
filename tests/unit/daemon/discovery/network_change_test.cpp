// After a network change: offline peers are redialled at once, sessions on
// vanished local addresses close, and a peer that comes back from a new
// address wins over its silent old session (protocol.md §7).
#include <gtest/gtest.h>

#include <memory>

#include "base/constants.hpp"
#include "../daemon_fixture.hpp"
#include "uv/tcp.hpp"
#include "uv/timer.hpp"

namespace peernet::testing {
namespace {

// A TCP relay on 127.0.0.1 to `to`, which can freeze: it then stops
// forwarding in both directions while keeping both connections open, so
// that the sessions through it go silent as after an address change.
class Relay {
 public:
  Relay(uv_loop_t* loop, Endpoint to) : loop_(loop), to_(std::move(to)) {
    auto l = uv::TcpListener::listen(loop, Endpoint{"127.0.0.1", 0}, {}, [this](Result<uv::TcpStream> s) {
      if (s) accept(std::move(*s));
    });
    EXPECT_TRUE(l.ok());
    listener_ = std::move(*l);
  }
  Endpoint endpoint() const { return Endpoint{"127.0.0.1", listener_.port()}; }
  void freeze() { frozen_ = true; }
  void close() {
    listener_.close();
    pairs_.clear();
  }

 private:
  struct Pair {
    uv::TcpStream in, out;
  };
  void accept(uv::TcpStream in) {
    auto pair = std::make_shared<Pair>();
    pair->in = std::move(in);
    auto to = SockAddr::from_endpoint(to_);
    ASSERT_TRUE(to.ok());
    auto out = uv::TcpStream::connect(loop_, *to, {}, [this, pair](Status st) {
      if (!st) return;
      pipe(pair->in, pair->out);
      pipe(pair->out, pair->in);
    });
    ASSERT_TRUE(out.ok());
    pair->out = std::move(*out);
    pairs_.push_back(pair);
  }
  void pipe(uv::TcpStream& from, uv::TcpStream& to) {
    (void)from.read_start(
        [this, &to](ByteView data) {
          if (!frozen_) (void)to.write({Bytes(data.begin(), data.end())});
        },
        [] {}, [](const Error&) {});
  }

  uv_loop_t* loop_;
  Endpoint to_;
  uv::TcpListener listener_;
  std::vector<std::shared_ptr<Pair>> pairs_;
  bool frozen_ = false;
};

class NetworkChangeTest : public DaemonTest {
 protected:
  static void quick_pings(Config& c) {
    c.session.ping_interval = 0.1;
    c.session.dead_after = 60;  // liveness must not end the old session first
  }
  void sleep_ms(uint64_t ms) {
    bool done = false;
    uv::Timer timer(&loop);
    ASSERT_TRUE(timer.start(ms, 0, [&] { done = true; }).ok());
    ASSERT_TRUE(run_until([&] { return done; }));
  }
  // The session `a` has to `b`, as a sees it.
  std::optional<SessionInfo> session(Node& a, Node& b) {
    auto info = a.info_of(b.key());
    return info ? info->session : std::nullopt;
  }
};

TEST_F(NetworkChangeTest, NetworkChangeRedialsOfflinePeersAtOnce) {
  auto slow = [](Config& c) {
    c.session.reconnect_min = 600;
    c.session.reconnect_max = 600;
  };
  Node& a = add_node(slow);
  Node& b = add_node();
  trust(a, b);  // b does not trust a yet: the first attempt fails
  ASSERT_TRUE(
      run_until([&] { return b->status().handshakes_failed > 0 && a.state_of(b.key()) == PeerState::offline; }));
  trust(b, a, /*dial=*/false);
  a->network_changed();
  EXPECT_TRUE(connected(a, b));
}

TEST_F(NetworkChangeTest, PeerBackFromANewAddressReplacesItsSilentSession) {
  Node& n1 = add_node(quick_pings);
  Node& n2 = add_node(quick_pings);
  // `big` initiates the old session: under the key rule alone it would win.
  Node& big = n1.key() > n2.key() ? n1 : n2;
  Node& small = n1.key() > n2.key() ? n2 : n1;
  Relay relay(&loop, small.endpoint());
  TrustedPeer to_small{small.key(), "", {relay.endpoint()}};
  ASSERT_TRUE(big->trust_add(to_small).ok());
  trust(small, big, /*dial=*/false);
  ASSERT_TRUE(connected(big, small));
  ASSERT_TRUE(session(small, big) && !session(small, big)->initiator);

  relay.freeze();
  sleep_ms(400);  // > 1.5 ping intervals of silence on both sides
  bool done = false;
  ASSERT_TRUE(small
                  ->connect(big.endpoint(),
                            [&](Result<PublicKey> r) {
                              EXPECT_TRUE(r.ok());
                              done = true;
                            })
                  .ok());
  ASSERT_TRUE(run_until([&] {
    auto s = session(small, big);
    auto t = session(big, small);
    return done && s && s->initiator && t && !t->initiator;
  })) << log_of(small);
  EXPECT_EQ(small.count(PeerEvent::Kind::down, big.key()), 0u);  // replaced, never offline
  relay.close();
}

TEST_F(NetworkChangeTest, LiveSessionKeepsTheKeyTieBreak) {
  Node& n1 = add_node([](Config& c) {
    c.session.ping_interval = 30;
    c.session.dead_after = 60;
  });
  Node& n2 = add_node([](Config& c) {
    c.session.ping_interval = 30;
    c.session.dead_after = 60;
  });
  Node& big = n1.key() > n2.key() ? n1 : n2;
  Node& small = n1.key() > n2.key() ? n2 : n1;
  trust(big, small);
  trust(small, big, /*dial=*/false);
  ASSERT_TRUE(connected(big, small));
  bool done = false;
  ASSERT_TRUE(small->connect(big.endpoint(), [&](Result<PublicKey>) { done = true; }).ok());
  ASSERT_TRUE(run_until([&] { return done; }));
  sleep_ms(100);
  // The old session (initiated by the greater key) is still the one.
  auto s = session(small, big);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->initiator);
}

}  // namespace
}  // namespace peernet::testing
