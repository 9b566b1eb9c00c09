// Hostile input on the listening port: garbage, an oversized frame length,
// a handshake that stalls halfway, bad bytes after the handshake, and a
// flood of connections beyond the handshake cap. Each costs its own
// connection and nothing else: a trusted peer's calls keep working.
#include "peers/listener.hpp"

#include <gtest/gtest.h>

#include "../daemon_fixture.hpp"
#include "proto/peer_id.hpp"
#include "base/random.hpp"
#include "../raw_peer.hpp"

namespace peernet::testing {
namespace {

// A bare TCP client that records what it receives and when it is cut off.
struct RawClient {
  uv::TcpStream stream;
  bool connected = false;
  bool closed = false;
  Bytes got;
};

class ListenerTest : public DaemonTest {
 protected:
  std::unique_ptr<RawClient> dial_raw(Node& n) {
    auto c = std::make_unique<RawClient>();
    RawClient* raw = c.get();
    auto s = uv::TcpStream::connect(&loop, *SockAddr::from_endpoint(n.endpoint()), {}, [raw](Status st) {
      raw->connected = st.ok();
      if (!st) {
        raw->closed = true;
        return;
      }
      (void)raw->stream.read_start([raw](ByteView d) { raw->got.insert(raw->got.end(), d.begin(), d.end()); },
                                   [raw] { raw->closed = true; }, [raw](const Error&) { raw->closed = true; });
    });
    EXPECT_TRUE(s.ok());
    c->stream = std::move(*s);
    return c;
  }

  // a serves "echo"; b calls it.
  void make_pair() {
    a_ = &add_node([](Config& c) { c.network.handshake_timeout = 0.3; });
    b_ = &add_node();
    trust(*a_, *b_, false);
    trust(*b_, *a_);
    ASSERT_TRUE(connected(*a_, *b_));
    ASSERT_TRUE((*a_)->expose("echo", 1, std::make_shared<TestHandler>()).ok());
  }

  bool call_works() {
    std::optional<Result<Bytes>> r;
    auto st = (*b_)->call(a_->key(), "echo", mp_str("still"), 5, [&](Result<Bytes> res) { r = std::move(res); });
    return st && run_until([&] { return r.has_value(); }) && r->ok();
  }

  Node* a_ = nullptr;
  Node* b_ = nullptr;
};

TEST_F(ListenerTest, GarbageClosesOnlyThatConnection) {
  make_pair();
  auto raw = dial_raw(*a_);
  ASSERT_TRUE(run_until([&] { return raw->connected; }));
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(raw->stream.write({Bytes(http.begin(), http.end())}).ok());
  ASSERT_TRUE(run_until([&] { return raw->closed; }));
  EXPECT_TRUE(raw->got.empty());
  EXPECT_TRUE(call_works());
  EXPECT_GE((*a_)->status().handshakes_failed, 1u);
}

TEST_F(ListenerTest, OversizedFrameLengthIsRefusedBeforeTheBody) {
  make_pair();
  auto raw = dial_raw(*a_);
  ASSERT_TRUE(run_until([&] { return raw->connected; }));
  // 65536: one more than a frame may hold; no body follows.
  ASSERT_TRUE(raw->stream.write({Bytes{0x00, 0x01, 0x00, 0x00}}).ok());
  ASSERT_TRUE(run_until([&] { return raw->closed; }));
  EXPECT_TRUE(call_works());
}

TEST_F(ListenerTest, StalledHalfHandshakeIsCutAtTheDeadline) {
  make_pair();
  auto raw = dial_raw(*a_);
  ASSERT_TRUE(run_until([&] { return raw->connected; }));
  // Message 1 (a 32-byte ephemeral key), then silence.
  OsRng rng;
  KeyPair e = generate_keypair(rng);
  Bytes msg1(4 + kKeySize);
  msg1[3] = kKeySize;
  std::copy(e.pub.bytes.begin(), e.pub.bytes.end(), msg1.begin() + 4);
  ASSERT_TRUE(raw->stream.write({msg1}).ok());
  ASSERT_TRUE(run_until([&] { return raw->got.size() > 4; }));  // message 2 came
  EXPECT_EQ((*a_)->status().handshakes_pending, 1u);
  EXPECT_TRUE(call_works());  // meanwhile
  ASSERT_TRUE(run_until([&] { return raw->closed; }));
  EXPECT_EQ((*a_)->status().handshakes_pending, 0u);
  EXPECT_TRUE(online(*a_, *b_));
  EXPECT_TRUE(call_works());
}

TEST_F(ListenerTest, BadBytesAfterTheHandshakeGetAProtocolErrorClose) {
  make_pair();
  OsRng rng;
  RawPeer raw(rng, true, generate_keypair(rng));
  ASSERT_TRUE((*a_)->trust_add(TrustedPeer{raw.key(), "", {}}).ok());
  auto s = uv::TcpStream::connect(&loop, *SockAddr::from_endpoint(a_->endpoint()), {}, [](Status) {});
  ASSERT_TRUE(s.ok());
  raw.attach(std::move(*s));
  ASSERT_TRUE(run_until([&] { return a_->state_of(raw.key()) == PeerState::online; }));
  // A well-formed frame whose body fails authentication.
  Bytes junk(4 + 40, 0x42);
  junk[0] = junk[1] = junk[2] = 0;
  junk[3] = 40;
  ASSERT_TRUE(raw.write_raw(junk));
  ASSERT_TRUE(run_until([&] { return raw.eof; }));
  ASSERT_FALSE(raw.received.empty());
  auto* close = std::get_if<Close>(&raw.received.back());
  ASSERT_NE(close, nullptr);
  EXPECT_EQ(close->reason, "protocol_error");
  EXPECT_EQ(a_->state_of(raw.key()), PeerState::offline);
  EXPECT_TRUE(call_works());
}

TEST_F(ListenerTest, ConnectionsBeyondTheHandshakeCapAreClosedAtOnce) {
  Node& a = add_node([](Config& c) {
    c.network.max_pending_handshakes = 2;
    c.network.handshake_timeout = 30;  // the stalled ones stay until stop
  });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(dial_raw(a));
  auto count_closed = [&] {
    return std::count_if(clients.begin(), clients.end(), [](const auto& c) { return c->closed; });
  };
  ASSERT_TRUE(run_until([&] { return count_closed() == 3; }));
  EXPECT_EQ(a->status().handshakes_pending, 2u);
  // One log line for the burst, not one per connection.
  size_t lines = 0;
  for (const auto& l : a.sink.lines()) lines += l.message.find("in their handshake") != std::string::npos;
  EXPECT_EQ(lines, 1u);
}

TEST_F(ListenerTest, OneSourceHoldsAtMostItsShareOfHandshakes) {
  Node& a = add_node([](Config& c) {
    c.network.max_pending_per_address = 2;
    c.network.handshake_timeout = 30;  // the stalled ones stay until stop
  });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(dial_raw(a));
  auto count_closed = [&] {
    return std::count_if(clients.begin(), clients.end(), [](const auto& c) { return c->closed; });
  };
  ASSERT_TRUE(run_until([&] { return count_closed() == 3; }));
  EXPECT_EQ(a->status().handshakes_pending, 2u);
  EXPECT_EQ(a->status().handshakes_refused_per_address, 3u);
  EXPECT_EQ(a->status().handshakes_refused_full, 0u);
  // One log line for the source, not one per connection.
  size_t lines = 0;
  for (const auto& l : a.sink.lines()) lines += l.message.find("refusing connections from 127.0.0.1") != std::string::npos;
  EXPECT_EQ(lines, 1u);
}

TEST_F(ListenerTest, ConnectionsBeyondTheSourceRateAreClosedAtOnce) {
  Node& a = add_node([](Config& c) {
    c.network.handshake_rate = 1;
    c.network.handshake_burst = 2;
    c.network.handshake_timeout = 30;
  });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(dial_raw(a));
  auto count_closed = [&] {
    return std::count_if(clients.begin(), clients.end(), [](const auto& c) { return c->closed; });
  };
  // The burst is admitted; within the same second (1/s), the rest is not.
  ASSERT_TRUE(run_until([&] { return count_closed() >= 1; }));
  EXPECT_GE(a->status().handshakes_refused_rate, 1u);
  EXPECT_LE(a->status().handshakes_pending, 3u);
}

TEST_F(ListenerTest, EarlyDropAtFullRateDropsFromTheStart) {
  Node& a = add_node([](Config& c) {
    c.network.max_pending_handshakes = 10;
    c.network.early_drop_start = 2;
    c.network.early_drop_rate = 100;
    c.network.handshake_timeout = 30;
  });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(dial_raw(a));
  auto count_closed = [&] {
    return std::count_if(clients.begin(), clients.end(), [](const auto& c) { return c->closed; });
  };
  ASSERT_TRUE(run_until([&] { return count_closed() == 2; }));
  EXPECT_EQ(a->status().handshakes_pending, 2u);
  EXPECT_EQ(a->status().handshakes_dropped_early, 2u);
}

TEST(ListenerLimitsTest, MaxStartupsProbabilityAndShrinkingDeadline) {
  ListenerLimits l;
  l.max_pending = 100;
  l.early_drop_start = 10;
  l.early_drop_rate = 30;
  l.handshake_timeout_ms = 10'000;
  l.handshake_timeout_min_ms = 2'000;
  EXPECT_EQ(Listener::drop_probability(l, 0), 0);
  EXPECT_EQ(Listener::drop_probability(l, 9), 0);
  EXPECT_DOUBLE_EQ(Listener::drop_probability(l, 10), 0.3);
  EXPECT_DOUBLE_EQ(Listener::drop_probability(l, 55), 0.3 + 0.7 * 45 / 90);
  EXPECT_EQ(Listener::drop_probability(l, 100), 1);
  EXPECT_EQ(Listener::handshake_deadline_ms(l, 0), 10'000u);
  EXPECT_EQ(Listener::handshake_deadline_ms(l, 10), 10'000u);
  EXPECT_EQ(Listener::handshake_deadline_ms(l, 55), 6'000u);
  EXPECT_EQ(Listener::handshake_deadline_ms(l, 100), 2'000u);
  // A start above the cap is the cap; a minimum above the timeout is the timeout.
  l.early_drop_start = 500;
  l.handshake_timeout_min_ms = 20'000;
  EXPECT_EQ(Listener::drop_probability(l, 99), 0);
  EXPECT_EQ(Listener::handshake_deadline_ms(l, 99), 10'000u);
}

TEST(ListenerLimitsTest, SourcesAreIPv4AddressesAndIPv6Slash64s) {
  EXPECT_EQ(Listener::source_of(*SockAddr::from_ip("198.18.0.7", 4242)), "198.18.0.7");
  EXPECT_EQ(Listener::source_of(*SockAddr::from_ip("::ffff:198.18.0.7", 4242)), "198.18.0.7");
  EXPECT_EQ(Listener::source_of(*SockAddr::from_ip("2001:db8:1:2:3:4:5:6", 4242)), "2001:db8:1:2::/64");
  EXPECT_EQ(Listener::source_of(*SockAddr::from_ip("2001:db8:1:2:ffff::1", 1)), "2001:db8:1:2::/64");
}

}  // namespace
}  // namespace peernet::testing
