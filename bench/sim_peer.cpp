#include "sim_peer.hpp"

#include <openssl/rand.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "proto/link/link.hpp"
#include "util.hpp"

namespace bench {

using namespace peernet;

void OsRng::fill(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

std::vector<KeyPair> make_keys(size_t n) {
  OsRng rng;
  std::vector<KeyPair> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back(generate_keypair(rng));
  return keys;
}

namespace {

const RemoteCheck kAcceptAny = [](const PublicKey&, const Hello&) -> Status { return {}; };

Link new_link(const KeyPair& key, Rng& rng) {
  LinkConfig cfg;
  cfg.initiator = true;
  cfg.local = key;
  auto link = Link::create(std::move(cfg), rng);
  if (!link) die("link: " + link.error().message);
  return std::move(*link);
}

// Writes what the link has to send; false when the socket failed.
bool flush(Link& link, int fd) {
  std::vector<Bytes> frames;
  (void)link.take_output(frames);
  Bytes all;
  for (const Bytes& f : frames) all.insert(all.end(), f.begin(), f.end());
  size_t at = 0;
  while (at < all.size()) {
    ssize_t w = ::write(fd, all.data() + at, all.size() - at);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      return false;
    }
    at += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

std::vector<int64_t> connect_first_reply(uint16_t port, const KeyPair& key, size_t rounds, const Bytes& args) {
  OsRng rng;
  std::vector<int64_t> out;
  std::vector<uint8_t> buf(64 * 1024);
  for (size_t i = 0; i < rounds; ++i) {
    int64_t t0 = now_ns();
    int fd = connect_tcp(port);
    if (fd < 0) die("connect: refused");
    Link link = new_link(key, rng);
    (void)link.start();
    flush(link, fd);
    bool called = false, replied = false;
    while (!replied) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n <= 0) die("connect: the daemon hung up");
      Link::Received got;
      if (auto st = link.receive(ByteView(buf.data(), static_cast<size_t>(n)), kAcceptAny, got); !st)
        die("connect: " + st.error().message);
      if (link.established() && !called) {
        called = true;
        (void)link.queue(Call{rng.next_u64() | 1, "echo", args});
      }
      for (const Envelope& e : got.envelopes) {
        if (std::holds_alternative<Reply>(e)) replied = true;
        if (auto* err = std::get_if<ErrorReply>(&e)) die("connect: call failed: " + err->code);
        if (auto* c = std::get_if<Close>(&e)) die("connect: closed by the daemon: " + c->reason);
      }
      flush(link, fd);
    }
    out.push_back(now_ns() - t0);
    link.queue_close("shutdown", "");
    flush(link, fd);
    ::close(fd);
  }
  return out;
}

struct Swarm::Impl {
  struct Conn {
    int fd = -1;
    size_t key = 0;
    std::optional<Link> link;
    bool pinged = false;
  };
  uint16_t port;
  const std::vector<KeyPair>& keys;
  OsRng rng;
  int ep = -1;
  std::vector<Conn> conns;   // indexed by key
  size_t opened = 0;         // established and kept (scale mode)
  size_t completed = 0;      // handshakes done (rate mode)
  uint64_t failures = 0;
  bool rate_mode = false;
  std::vector<uint8_t> buf = std::vector<uint8_t>(64 * 1024);

  Impl(uint16_t p, const std::vector<KeyPair>& k) : port(p), keys(k), conns(k.size()) {
    ep = ::epoll_create1(EPOLL_CLOEXEC);
  }
  ~Impl() {
    for (Conn& c : conns)
      if (c.fd >= 0) ::close(c.fd);
    ::close(ep);
  }

  void start(size_t key) {
    Conn& c = conns[key];
    c.key = key;
    c.pinged = false;
    c.fd = connect_tcp(port);
    if (c.fd < 0) die("swarm: connect refused");
    set_nonblocking(c.fd);
    c.link.emplace(new_link(keys[key], rng));
    (void)c.link->start();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = key;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    flush(*c.link, c.fd);
  }

  void drop(size_t key) {
    Conn& c = conns[key];
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.link.reset();
  }

  // Returns whether the connection finished (rate mode: restart it).
  void on_readable(size_t key) {
    Conn& c = conns[key];
    for (;;) {
      ssize_t n = ::read(c.fd, buf.data(), buf.size());
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n <= 0) {
        ++failures;
        if (c.link && c.link->established() && !rate_mode) --opened;
        drop(key);
        return;
      }
      Link::Received got;
      bool was = c.link->established();
      Status st = c.link->receive(ByteView(buf.data(), static_cast<size_t>(n)), kAcceptAny, got);
      if (!st) {
        ++failures;
        if (was && !rate_mode) --opened;
        drop(key);
        return;
      }
      if (!was && c.link->established()) {
        if (rate_mode) {
          (void)c.link->queue(Ping{1});
          c.pinged = true;
        } else {
          ++opened;
        }
      }
      for (const Envelope& e : got.envelopes) {
        if (auto* p = std::get_if<Ping>(&e)) (void)c.link->queue(Pong{p->nonce});
        if (std::holds_alternative<Pong>(e) && rate_mode && c.pinged) {
          ++completed;
          drop(key);
          return;
        }
      }
      flush(*c.link, c.fd);
    }
  }

  void poll_once(int timeout_ms) {
    epoll_event evs[256];
    int n = ::epoll_wait(ep, evs, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      size_t key = evs[i].data.u64;
      if (conns[key].fd >= 0) on_readable(key);
    }
  }
};

Swarm::Swarm(uint16_t port, const std::vector<KeyPair>& keys) : impl_(std::make_unique<Impl>(port, keys)) {}
Swarm::~Swarm() = default;

double Swarm::handshake_rate(size_t concurrency, double seconds, uint64_t* failures) {
  Impl& s = *impl_;
  s.rate_mode = true;
  s.completed = 0;
  s.failures = 0;
  int64_t t0 = now_ns();
  int64_t end = t0 + static_cast<int64_t>(seconds * 1e9);
  for (size_t k = 0; k < concurrency; ++k) s.start(k);
  while (now_ns() < end) {
    s.poll_once(10);
    for (size_t k = 0; k < concurrency; ++k)
      if (s.conns[k].fd < 0 && now_ns() < end) s.start(k);
  }
  double elapsed = seconds_since(t0);
  for (size_t k = 0; k < concurrency; ++k)
    if (s.conns[k].fd >= 0) s.drop(k);
  s.rate_mode = false;
  if (failures) *failures = s.failures;
  return static_cast<double>(s.completed) / elapsed;
}

bool Swarm::open(size_t n, size_t concurrency, double timeout_s) {
  Impl& s = *impl_;
  if (n > s.keys.size()) die("swarm: not enough keys");
  int64_t end = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  size_t next = s.opened;
  while (s.opened < n && now_ns() < end) {
    // Handshakes in flight: started and not yet established.
    while (next < n && next - s.opened < concurrency) s.start(next++);
    s.poll_once(10);
  }
  return s.opened >= n;
}

size_t Swarm::open_count() const { return impl_->opened; }

void Swarm::idle(double seconds) {
  int64_t end = now_ns() + static_cast<int64_t>(seconds * 1e9);
  while (now_ns() < end) impl_->poll_once(50);
}

}  // namespace bench
