// Daemons in one process on one uv loop (design: multi-daemon tests), each
// with its own temporary state directory, logger and port-0 listener.
// TearDown stops every daemon gracefully, destroys it, and then the loop
// fixture checks that every handle was closed.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon.hpp"
#include "loop_fixture.hpp"

namespace peernet::testing {

// msgpack helpers: a str (fixstr or str8) and a bin32 of n bytes.
inline Bytes mp_str(std::string_view s) {
  size_t head = s.size() < 32 ? 1 : 2;
  Bytes b(head + s.size());
  if (head == 1) {
    b[0] = static_cast<uint8_t>(0xa0 | s.size());
  } else {
    b[0] = 0xd9;
    b[1] = static_cast<uint8_t>(s.size());
  }
  std::copy(s.begin(), s.end(), b.begin() + static_cast<ptrdiff_t>(head));
  return b;
}
inline Bytes mp_bin(size_t n, uint8_t fill = 0x5a) {
  Bytes b(5 + n, fill);
  b[0] = 0xc6;
  for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<uint8_t>(n >> (24 - 8 * i));
  return b;
}

// Echoes calls, or holds them unanswered; records sends.
struct TestHandler final : Handler {
  void on_call(IncomingCall call) override {
    ++calls;
    if (echo)
      call.responder.reply(call.args);
    else
      held.push_back(std::move(call));
  }
  void on_send(IncomingSend send) override { sends.push_back(std::move(send)); }

  bool echo = true;
  int calls = 0;
  std::vector<IncomingCall> held;
  std::vector<IncomingSend> sends;
};

struct Node {
  std::string dir;
  Config config;
  CaptureSink sink;
  Logger log{sink, LogLevel::debug};
  std::unique_ptr<Daemon> daemon;
  std::vector<PeerEvent> events;
  bool stopped = false;
  PublicKey id;

  Daemon* operator->() { return daemon.get(); }
  PublicKey key() const { return id; }  // valid after the daemon is gone too
  Endpoint endpoint() const { return daemon->status().listening.at(0); }
  // The peer's state as this node sees it (offline when unknown).
  PeerState state_of(const PublicKey& k) const {
    for (const PeerInfo& p : daemon->peers())
      if (p.id == k) return p.state;
    return PeerState::offline;
  }
  std::optional<PeerInfo> info_of(const PublicKey& k) const {
    for (PeerInfo& p : daemon->peers())
      if (p.id == k) return p;
    return std::nullopt;
  }
  size_t count(PeerEvent::Kind kind, const PublicKey& k) const {
    size_t n = 0;
    for (const PeerEvent& e : events) n += e.kind == kind && e.key == k;
    return n;
  }
};

class DaemonTest : public LoopTest {
 protected:
  // Defaults for tests: loopback, quick reconnects, short deadlines (the
  // deadlines bound waits, they are never asserted on).
  static Config test_config(const std::string& dir) {
    Config c;
    c.daemon.state_dir = dir;
    c.network.listen = {Endpoint{"127.0.0.1", 0}};
    c.network.handshake_timeout = 2;
    c.session.reconnect_min = 0.02;
    c.session.reconnect_max = 0.2;
    c.control.socket = dir + "/ctl.sock";
    c.discovery.mdns = false;  // never multicast on the host from a test
    return c;
  }

  // A new node (own state dir), created and started. `tweak` edits its config.
  Node& add_node(const std::function<void(Config&)>& tweak = {}) {
    auto n = std::make_unique<Node>();
    char tmpl[] = "/tmp/peernet-daemon-test.XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl), nullptr);
    n->dir = tmpl;
    dirs_.push_back(n->dir);
    n->config = test_config(n->dir);
    if (tweak) tweak(n->config);
    start(*n);
    nodes_.push_back(std::move(n));
    return *nodes_.back();
  }

  // (Re)creates the daemon of `n` from its config and state dir.
  void start(Node& n) {
    auto d = Daemon::create(&loop, n.config, n.log);
    ASSERT_TRUE(d.ok()) << d.error().describe();
    n.daemon = std::move(*d);
    n.id = n.daemon->identity();
    n.stopped = false;
    n.daemon->subscribe([&n](const PeerEvent& e) { n.events.push_back(e); });
    auto st = n.daemon->start();
    ASSERT_TRUE(st.ok()) << st.error().describe();
  }

  // Stops `n` gracefully and destroys its daemon.
  void stop(Node& n) {
    if (!n.daemon) return;
    n.daemon->stop([&n] { n.stopped = true; });
    EXPECT_TRUE(run_until([&] { return n.stopped; })) << "daemon did not stop";
    n.daemon.reset();
  }

  // `a` trusts `b`, with b's listening address when `dial`.
  static void trust(Node& a, Node& b, bool dial = true) {
    TrustedPeer tp{b.key(), "", {}};
    if (dial) tp.addrs.push_back(b.endpoint());
    auto st = a->trust_add(tp);
    ASSERT_TRUE(st.ok()) << st.error().describe();
  }

  bool online(Node& a, Node& b) { return a.state_of(b.key()) == PeerState::online; }
  bool connected(Node& a, Node& b) {
    return run_until([&] { return online(a, b) && online(b, a); });
  }
  std::string log_of(const Node& n) const {
    std::string all;
    for (const auto& l : n.sink.lines()) all += l.message + "\n";
    return all;
  }

  void TearDown() override {
    for (auto& n : nodes_) stop(*n);
    nodes_.clear();
    LoopTest::TearDown();
    for (const auto& d : dirs_) std::filesystem::remove_all(d);
  }

  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::string> dirs_;
};

}  // namespace peernet::testing
