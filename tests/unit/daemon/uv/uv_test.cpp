#include "uv/block.hpp"
#include "uv/pipe.hpp"
#include "uv/process.hpp"
#include "uv/resolver.hpp"
#include "uv/signal.hpp"
#include "uv/stream.hpp"
#include "uv/tcp.hpp"
#include "uv/timer.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "../loop_fixture.hpp"

namespace peernet::uv {
namespace {

using UvTest = peernet::testing::LoopTest;

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// ---- Timer and Signal ----

TEST_F(UvTest, TimerFires) {
  Timer t(&loop);
  int fired = 0;
  ASSERT_TRUE(t.start(1, 0, [&] { ++fired; }).ok());
  EXPECT_TRUE(t.active());
  ASSERT_TRUE(run_until([&] { return fired == 1; }));
  EXPECT_FALSE(t.active());
}

TEST_F(UvTest, RepeatingTimerStopsFromItsCallback) {
  Timer t(&loop);
  int fired = 0;
  ASSERT_TRUE(t.start(0, 1, [&] {
                 if (++fired == 3) t.stop();
               }).ok());
  ASSERT_TRUE(run_until([&] { return !t.active(); }));
  EXPECT_EQ(fired, 3);
  EXPECT_TRUE(t.again().ok());  // It had a repeat interval.
  ASSERT_TRUE(run_until([&] { return fired == 4; }));
}

TEST_F(UvTest, DestroyedTimerNeverFires) {
  bool fired = false;
  {
    Timer t(&loop);
    ASSERT_TRUE(t.start(0, 0, [&] { fired = true; }).ok());
  }
  // Another timer proves the loop ran past the first one's deadline.
  Timer later(&loop);
  bool later_fired = false;
  ASSERT_TRUE(later.start(5, 0, [&] { later_fired = true; }).ok());
  ASSERT_TRUE(run_until([&] { return later_fired; }));
  EXPECT_FALSE(fired);
}

TEST_F(UvTest, TimerClosedFromItsOwnCallback) {
  auto t = std::make_unique<Timer>(&loop);
  int fired = 0;
  ASSERT_TRUE(t->start(0, 1, [&] {
                 ++fired;
                 t.reset();  // Destroys the running callback's owner.
               }).ok());
  Timer later(&loop);
  bool later_fired = false;
  ASSERT_TRUE(later.start(10, 0, [&] { later_fired = true; }).ok());
  ASSERT_TRUE(run_until([&] { return later_fired; }));
  EXPECT_EQ(fired, 1);
}

TEST_F(UvTest, TimerRestartedWithNewWorkFromItsCallback) {
  Timer t(&loop);
  std::string trace;
  ASSERT_TRUE(t.start(0, 0, [&] {
                 trace += "a";
                 ASSERT_TRUE(t.start(0, 0, [&] { trace += "b"; }).ok());
               }).ok());
  ASSERT_TRUE(run_until([&] { return trace == "ab"; }));
}

TEST_F(UvTest, ClosedTimerRefusesWork) {
  Timer t(&loop);
  t.close();
  EXPECT_FALSE(t.is_open());
  auto st = t.start(0, 0, [] {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::closed);
  Timer empty;
  EXPECT_EQ(empty.again().error().code, Errc::closed);
}

TEST_F(UvTest, SignalCallbackRunsOnTheLoop) {
  auto s = Signal::create(&loop);
  ASSERT_TRUE(s.ok());
  int got = 0;
  ASSERT_TRUE(s->start(SIGUSR1, [&] { ++got; }).ok());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until([&] { return got == 1; }));
}

// ---- TCP ----

struct Echo {
  std::optional<TcpListener> listener;
  std::vector<TcpStream> conns;
};

// A listener that echoes every byte back.
void start_echo(uv_loop_t* loop, Echo& echo, const Endpoint& at = {"127.0.0.1", 0}) {
  auto l = TcpListener::listen(loop, at, TcpOptions{}, [&echo](Result<TcpStream> s) {
    ASSERT_TRUE(s.ok()) << s.error().describe();
    echo.conns.push_back(std::move(*s));
    // `conns` may reallocate: look the stream up by index at call time.
    size_t index = echo.conns.size() - 1;
    ASSERT_TRUE(echo.conns[index]
                    .read_start(
                        [&echo, index](ByteView data) {
                          ASSERT_TRUE(echo.conns[index].write({Bytes(data.begin(), data.end())}).ok());
                        },
                        [&echo, index] { ASSERT_TRUE(echo.conns[index].shutdown().ok()); },
                        [](const Error& e) { ADD_FAILURE() << e.describe(); })
                    .ok());
  });
  ASSERT_TRUE(l.ok()) << l.error().describe();
  echo.listener = std::move(*l);
}

TEST_F(UvTest, ListenerOnPortZeroReportsItsPort) {
  Echo echo;
  start_echo(&loop, echo);
  uint16_t port = echo.listener->port();
  EXPECT_NE(port, 0);
  auto addr = echo.listener->local_address();
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(addr->to_string(), "127.0.0.1:" + std::to_string(port));

  // Something listens there: a connection succeeds.
  std::optional<Status> connected;
  auto c = TcpStream::connect(&loop, *addr, TcpOptions{}, [&](Status st) { connected = st; });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(run_until([&] { return connected.has_value() && echo.conns.size() == 1; }));
  EXPECT_TRUE(connected->ok());
  auto peer = c->peer_address();
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->port(), port);
  auto local = c->local_address();
  ASSERT_TRUE(local.ok());
  auto remote_seen = echo.conns[0].peer_address();
  ASSERT_TRUE(remote_seen.ok());
  EXPECT_EQ(*remote_seen, *local);
}

TEST_F(UvTest, TcpEchoWithManyBatchedWrites) {
  Echo echo;
  start_echo(&loop, echo);
  auto addr = echo.listener->local_address();
  ASSERT_TRUE(addr.ok());

  Bytes sent, received;
  bool eof = false;
  int writes_done = 0;
  constexpr int kBatches = 200;
  auto c = TcpStream::connect(&loop, *addr, TcpOptions{}, [](Status st) { ASSERT_TRUE(st.ok()); });
  ASSERT_TRUE(c.ok());
  TcpStream& client = *c;
  ASSERT_TRUE(client
                  .read_start([&](ByteView d) { received.insert(received.end(), d.begin(), d.end()); },
                              [&] { eof = true; }, [](const Error& e) { ADD_FAILURE() << e.describe(); })
                  .ok());
  // Writes may be queued before the connection completes.
  for (int i = 0; i < kBatches; ++i) {
    std::vector<Bytes> batch;
    for (int j = 0; j < 5; ++j) {
      Bytes part = pattern(static_cast<size_t>(1 + (i * 5 + j) % 3000), static_cast<uint8_t>(i + j));
      sent.insert(sent.end(), part.begin(), part.end());
      batch.push_back(std::move(part));
    }
    ASSERT_TRUE(client.write(std::move(batch), [&](Status st) {
                        EXPECT_TRUE(st.ok());
                        ++writes_done;
                      }).ok());
  }
  ASSERT_TRUE(client.shutdown().ok());
  ASSERT_TRUE(run_until([&] { return eof; }));
  EXPECT_EQ(writes_done, kBatches);
  EXPECT_EQ(received, sent);
  EXPECT_EQ(client.write_queue_bytes(), 0u);
}

TEST_F(UvTest, DualStackListenerAcceptsIpv4) {
  Echo echo;
  start_echo(&loop, echo, Endpoint{"::", 0});
  auto to = SockAddr::from_ip("127.0.0.1", echo.listener->port());
  ASSERT_TRUE(to.ok());
  std::optional<Status> connected;
  auto c = TcpStream::connect(&loop, *to, TcpOptions{}, [&](Status st) { connected = st; });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(run_until([&] { return connected.has_value(); }));
  EXPECT_TRUE(connected->ok()) << connected->error().describe();
}

TEST_F(UvTest, WriteQueueGrowsWhileTheReaderStalls) {
  // The server accepts but never reads, so the kernel buffers fill up and
  // the rest stays queued in the client.
  std::vector<TcpStream> accepted;
  auto l = TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, TcpOptions{},
                               [&](Result<TcpStream> s) { accepted.push_back(std::move(*s)); });
  ASSERT_TRUE(l.ok());
  auto c = TcpStream::connect(&loop, *l->local_address(), TcpOptions{}, [](Status) {});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(run_until([&] { return accepted.size() == 1; }));

  constexpr size_t kChunk = 256 * 1024;
  constexpr size_t kTarget = 2 * kChunk;
  size_t written = 0;
  for (int i = 0; i < 400 && c->write_queue_bytes() < kTarget; ++i) {
    ASSERT_TRUE(c->write({pattern(kChunk, static_cast<uint8_t>(i))}).ok());
    written += kChunk;
    run_nowait(1);
  }
  size_t queued = c->write_queue_bytes();
  EXPECT_GE(queued, kTarget);
  EXPECT_LE(queued, written);

  // Once the reader reads, the queue drains completely.
  size_t got = 0;
  ASSERT_TRUE(accepted[0].read_start([&](ByteView d) { got += d.size(); }, [] {}, [](const Error&) {}).ok());
  ASSERT_TRUE(run_until([&] { return got == written; }));
  ASSERT_TRUE(run_until([&] { return c->write_queue_bytes() == 0; }));
}

TEST_F(UvTest, ConnectionRefusedIsReportedOnce) {
  // Find a free port by binding and closing a listener.
  uint16_t port;
  {
    auto l = TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, TcpOptions{}, [](Result<TcpStream>) {});
    ASSERT_TRUE(l.ok());
    port = l->port();
  }
  run_nowait();
  int calls = 0;
  std::optional<Status> result;
  auto c = TcpStream::connect(&loop, *SockAddr::from_ip("127.0.0.1", port), TcpOptions{}, [&](Status st) {
    ++calls;
    result = st;
  });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  run_nowait();
  EXPECT_EQ(calls, 1);
  ASSERT_FALSE(result->ok());
  EXPECT_NE(result->error().message.find("ECONNREFUSED"), std::string::npos) << result->error().message;
}

TEST_F(UvTest, ClosingAStreamCancelsItsCallbacksSilently) {
  Echo echo;
  start_echo(&loop, echo);
  bool connect_cb = false, write_cb = false;
  {
    auto c = TcpStream::connect(&loop, *echo.listener->local_address(), TcpOptions{},
                                [&](Status) { connect_cb = true; });
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->write({pattern(100, 1)}, [&](Status) { write_cb = true; }).ok());
    c->close();
    EXPECT_FALSE(c->is_open());
    EXPECT_EQ(c->write({pattern(1, 1)}).error().code, Errc::closed);
  }
  run_nowait(10);
  EXPECT_FALSE(connect_cb);
  EXPECT_FALSE(write_cb);
}

TEST_F(UvTest, StreamClosedFromItsDataCallback) {
  Echo echo;
  start_echo(&loop, echo);
  auto c = TcpStream::connect(&loop, *echo.listener->local_address(), TcpOptions{}, [](Status) {});
  ASSERT_TRUE(c.ok());
  int reads = 0;
  ASSERT_TRUE(c->read_start([&](ByteView) { ++reads; c->close(); }, [] {}, [](const Error&) {}).ok());
  ASSERT_TRUE(c->write({pattern(10, 1)}).ok());
  ASSERT_TRUE(run_until([&] { return reads == 1; }));
  EXPECT_FALSE(c->is_open());
}

TEST_F(UvTest, EmptyWriteIsRefused) {
  Echo echo;
  start_echo(&loop, echo);
  auto c = TcpStream::connect(&loop, *echo.listener->local_address(), TcpOptions{}, [](Status) {});
  ASSERT_TRUE(c.ok());
  auto st = c->write({Bytes{}, Bytes{}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::bad_request);
  EXPECT_TRUE(c->set_user_timeout(5000).ok());
}

TEST_F(UvTest, ListenOnAHostNameIsRefused) {
  auto l = TcpListener::listen(&loop, Endpoint{"localhost", 0}, TcpOptions{}, [](Result<TcpStream>) {});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::bad_request);
}

TEST_F(UvTest, ListenOnAPortInUseFails) {
  auto a = TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, TcpOptions{}, [](Result<TcpStream>) {});
  ASSERT_TRUE(a.ok());
  auto b = TcpListener::listen(&loop, Endpoint{"127.0.0.1", a->port()}, TcpOptions{}, [](Result<TcpStream>) {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("EADDRINUSE"), std::string::npos) << b.error().message;
}

// ---- Unix sockets ----

class PipeTest : public UvTest {
 protected:
  void SetUp() override {
    UvTest::SetUp();
    char tmpl[] = "/tmp/peernet-uv-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctl.sock";
  }
  void TearDown() override {
    UvTest::TearDown();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

TEST_F(PipeTest, PeerCredentialsAreOurs) {
  std::vector<PipeStream> accepted;
  auto l = PipeListener::listen(&loop, path_, PipeListenOptions{0660, std::nullopt, 16},
                                [&](Result<PipeStream> s) {
                                  ASSERT_TRUE(s.ok()) << s.error().describe();
                                  accepted.push_back(std::move(*s));
                                });
  ASSERT_TRUE(l.ok()) << l.error().describe();
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  std::optional<Status> connected;
  auto c = PipeStream::connect(&loop, path_, [&](Status s) { connected = s; });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(run_until([&] { return connected.has_value() && accepted.size() == 1; }));
  ASSERT_TRUE(connected->ok());
  auto cred = accepted[0].peer_cred();
  ASSERT_TRUE(cred.ok()) << cred.error().describe();
  EXPECT_EQ(cred->uid, ::getuid());
  EXPECT_EQ(cred->gid, ::getgid());
  EXPECT_EQ(cred->pid, ::getpid());

  // Bytes flow both ways.
  std::string got;
  ASSERT_TRUE(accepted[0].read_start([&](ByteView d) { got += as_chars(d); }, [] {}, [](const Error&) {}).ok());
  ASSERT_TRUE(c->write({Bytes{'h', 'i'}}).ok());
  ASSERT_TRUE(run_until([&] { return got == "hi"; }));

  // Closing the listener removes the socket file.
  l->close();
  run_nowait();
  EXPECT_NE(::access(path_.c_str(), F_OK), 0);
}

TEST_F(PipeTest, ConnectToNothingReportsOnce) {
  int calls = 0;
  std::optional<Status> result;
  auto c = PipeStream::connect(&loop, path_, [&](Status s) {
    ++calls;
    result = s;
  });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  run_nowait();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(result->ok());
}

TEST_F(PipeTest, OverlongPathIsRefusedWithoutCallback) {
  std::string path = "/tmp/" + std::string(200, 'x');
  bool called = false;
  auto c = PipeStream::connect(&loop, path, [&](Status) { called = true; });
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::bad_request);
  auto l = PipeListener::listen(&loop, path, {}, [](Result<PipeStream>) {});
  EXPECT_FALSE(l.ok());
  run_nowait();
  EXPECT_FALSE(called);
}

// ---- Resolver ----

TEST_F(UvTest, ResolvesLocalhost) {
  Resolver r;
  std::optional<Result<std::vector<SockAddr>>> result;
  ASSERT_TRUE(r.resolve(&loop, "localhost", 7469, [&](Result<std::vector<SockAddr>> res) {
                 result = std::move(res);
               }).ok());
  EXPECT_TRUE(r.busy());
  EXPECT_EQ(r.resolve(&loop, "localhost", 1, [](auto) {}).error().code, Errc::busy);
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  EXPECT_FALSE(r.busy());
  ASSERT_TRUE(result->ok()) << result->error().describe();
  ASSERT_FALSE((*result)->empty());
  for (const auto& a : **result) {
    EXPECT_EQ(a.port(), 7469);
    EXPECT_TRUE(a.host() == "127.0.0.1" || a.host() == "::1") << a.to_string();
  }
}

TEST_F(UvTest, CancelledLookupNeverCallsBack) {
  bool called = false;
  {
    Resolver r;
    ASSERT_TRUE(r.resolve(&loop, "localhost", 1, [&](auto) { called = true; }).ok());
  }  // Destroyed while pending.
  // The loop stays alive until the thread-pool work is done.
  run_until([] { return false; });  // Returns once nothing keeps the loop alive.
  EXPECT_EQ(uv_loop_alive(&loop), 0);
  EXPECT_FALSE(called);
}

TEST_F(UvTest, EmptyHostIsRefusedWithoutCallback) {
  Resolver r;
  bool called = false;
  auto st = r.resolve(&loop, "", 1, [&](auto) { called = true; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::bad_request);
  EXPECT_FALSE(r.busy());
  run_nowait();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace peernet::uv
