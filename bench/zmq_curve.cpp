#include "zmq_curve.hpp"

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "util.hpp"

namespace bench {

namespace {

struct Keys {
  char pub[41] = {}, sec[41] = {};
  Keys() {
    if (zmq_curve_keypair(pub, sec) != 0) die("zmq_curve_keypair failed (libzmq without CURVE?)");
  }
};

}  // namespace

struct ZmqCurve::Impl {
  zmq::context_t server_ctx{1};
  zmq::context_t client_ctx{1};
  Keys server, client;
  uint8_t client_pub_raw[32] = {};
  std::string rep_endpoint, pull_endpoint;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> pulled{0};
  std::thread zap, rep, pull;

  Impl() {
    zmq_z85_decode(client_pub_raw, client.pub);
    // ZAP (RFC 27): admit the one client key, refuse every other.
    zmq::socket_t zap_sock(server_ctx, zmq::socket_type::rep);
    zap_sock.bind("inproc://zeromq.zap.01");
    zap = std::thread([this, s = std::move(zap_sock)]() mutable {
      s.set(zmq::sockopt::rcvtimeo, 50);
      while (!stop) {
        std::vector<zmq::message_t> req;
        zmq::message_t part;
        if (!s.recv(part)) continue;
        req.push_back(std::move(part));
        while (req.back().more()) {
          zmq::message_t next;
          (void)s.recv(next);
          req.push_back(std::move(next));
        }
        bool ok = req.size() >= 7 && req[6].size() == 32 && std::memcmp(req[6].data(), client_pub_raw, 32) == 0;
        s.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
        zmq::message_t request_id;
        if (req.size() > 1) request_id.copy(req[1]);
        s.send(request_id, zmq::send_flags::sndmore);
        s.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
        s.send(zmq::buffer(std::string(ok ? "OK" : "unknown key")), zmq::send_flags::sndmore);
        s.send(zmq::buffer(std::string("bench")), zmq::send_flags::sndmore);
        s.send(zmq::message_t(), zmq::send_flags::none);
      }
    });
    uint16_t rep_port = free_port(), pull_port = free_port();
    rep_endpoint = "tcp://127.0.0.1:" + std::to_string(rep_port);
    pull_endpoint = "tcp://127.0.0.1:" + std::to_string(pull_port);
    auto server_socket = [this](zmq::socket_type type, const std::string& ep) {
      zmq::socket_t s(server_ctx, type);
      s.set(zmq::sockopt::curve_server, 1);
      s.set(zmq::sockopt::curve_secretkey, std::string(server.sec));
      s.set(zmq::sockopt::zap_domain, std::string("bench"));
      s.set(zmq::sockopt::rcvtimeo, 50);
      s.bind(ep);
      return s;
    };
    rep = std::thread([this, s = server_socket(zmq::socket_type::rep, rep_endpoint)]() mutable {
      while (!stop) {
        zmq::message_t m;
        if (!s.recv(m)) continue;
        s.send(m, zmq::send_flags::none);
      }
    });
    pull = std::thread([this, s = server_socket(zmq::socket_type::pull, pull_endpoint)]() mutable {
      while (!stop) {
        zmq::message_t m;
        if (!s.recv(m)) continue;
        pulled.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  zmq::socket_t client_socket(zmq::socket_type type, const std::string& ep) {
    zmq::socket_t s(client_ctx, type);
    s.set(zmq::sockopt::curve_serverkey, std::string(server.pub));
    s.set(zmq::sockopt::curve_publickey, std::string(client.pub));
    s.set(zmq::sockopt::curve_secretkey, std::string(client.sec));
    s.set(zmq::sockopt::linger, 0);
    s.connect(ep);
    return s;
  }

  ~Impl() {
    stop = true;
    zap.join();
    rep.join();
    pull.join();
  }
};

ZmqCurve::ZmqCurve() : impl_(new Impl) {}
ZmqCurve::~ZmqCurve() { delete impl_; }

CallStats ZmqCurve::req_rep(size_t total, size_t payload) {
  CallStats st;
  st.latency_ns.reserve(total);
  auto s = impl_->client_socket(zmq::socket_type::req, impl_->rep_endpoint);
  std::string body(payload, 'x');
  // The first round trip includes the handshake: not counted.
  s.send(zmq::buffer(body), zmq::send_flags::none);
  zmq::message_t reply;
  (void)s.recv(reply);
  int64_t t0 = now_ns();
  for (size_t i = 0; i < total; ++i) {
    int64_t t = now_ns();
    s.send(zmq::buffer(body), zmq::send_flags::none);
    if (!s.recv(reply)) die("zmq: no reply");
    st.latency_ns.push_back(now_ns() - t);
  }
  st.seconds = seconds_since(t0);
  return st;
}

std::vector<int64_t> ZmqCurve::connect_first_reply(size_t rounds, size_t payload) {
  std::vector<int64_t> out;
  std::string body(payload, 'x');
  for (size_t i = 0; i < rounds; ++i) {
    int64_t t = now_ns();
    auto s = impl_->client_socket(zmq::socket_type::req, impl_->rep_endpoint);
    s.send(zmq::buffer(body), zmq::send_flags::none);
    zmq::message_t reply;
    if (!s.recv(reply)) die("zmq: no reply");
    out.push_back(now_ns() - t);
  }
  return out;
}

SendStats ZmqCurve::push_pull(size_t total, size_t payload) {
  SendStats st;
  auto s = impl_->client_socket(zmq::socket_type::push, impl_->pull_endpoint);
  std::string body(payload, 'x');
  uint64_t base = impl_->pulled.load();
  // Connected and admitted before the clock starts.
  s.send(zmq::buffer(body), zmq::send_flags::none);
  while (impl_->pulled.load() == base) ::usleep(100);
  base = impl_->pulled.load();
  int64_t t0 = now_ns();
  for (size_t i = 0; i < total; ++i) s.send(zmq::buffer(body), zmq::send_flags::none);
  st.sent = st.delivered = total;
  int64_t end = now_ns() + 30'000'000'000;
  while (impl_->pulled.load() - base < total && now_ns() < end) ::usleep(100);
  st.received = impl_->pulled.load() - base;
  st.seconds = seconds_since(t0);
  return st;
}

}  // namespace bench
