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

}  // namespace
}  // namespace peernet::testing
