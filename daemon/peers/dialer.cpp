#include "peers/dialer.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "base/constants.hpp"
#include "proto/peer_id.hpp"

namespace peernet {

struct Dialer::Dial {
  enum class Phase { idle, waiting, resolving, connecting, handshaking };
  Dial(uv_loop_t* loop, const PublicKey& k) : key(k), timer(loop) {}

  PublicKey key;
  Phase phase = Phase::idle;
  uint64_t generation = 0;  // callbacks of an abandoned round find another one
  uv::Timer timer;          // backoff wait, then the connect deadline
  uv::Resolver resolver;
  uv::TcpStream stream;
  std::vector<Endpoint> endpoints;
  size_t next_endpoint = 0;
  std::deque<SockAddr> targets;  // resolved, not yet tried
  std::string target;            // the address being tried, for logs
};

struct Dialer::Request {
  Request(uv_loop_t* loop, uint64_t i, Endpoint ep, ConnectCallback c)
      : id(i), to(std::move(ep)), timer(loop), cb(std::move(c)) {}

  uint64_t id;
  Endpoint to;
  std::optional<std::string> pairing;  // connect_pairing()'s nameplate
  uv::Timer timer;
  uv::Resolver resolver;
  uv::TcpStream stream;
  std::deque<SockAddr> targets;
  ConnectCallback cb;
  std::optional<Error> last_error;
};

Dialer::Dialer(uv_loop_t* loop, Logger& log, Rng& rng, Registry& registry)
    : loop_(loop), log_(log), rng_(rng), registry_(registry) {}

Dialer::~Dialer() = default;

void Dialer::configure(const uv::TcpOptions& options, uint64_t connect_timeout_ms) {
  options_ = options;
  connect_timeout_ms_ = connect_timeout_ms;
}

// ---- Peers ----

void Dialer::schedule(const PublicKey& key, bool immediately) {
  if (stopped_) return;
  Peer* p = registry_.find(key);
  if (p == nullptr || !p->trusted || p->active != nullptr || p->dial_addresses().empty()) return;
  auto& slot = dials_[key];
  if (!slot) slot = std::make_unique<Dial>(loop_, key);
  Dial& d = *slot;
  if (d.phase != Dial::Phase::idle) return;
  uint64_t delay = 0;
  if (immediately) {
    delay = 0;
  } else if (p->refused_us) {
    // Between half and all of the slow bound (constants.hpp).
    uint64_t bound = p->refused_backoff.ceiling_ms();
    delay = bound / 2 + p->refused_backoff.next_delay_ms(rng_) / 2;
  } else {
    delay = std::max(kMinRedialMs, p->backoff.next_delay_ms(rng_));
  }
  d.phase = Dial::Phase::waiting;
  uint64_t gen = d.generation = next_generation_++;
  if (log_.enabled(LogLevel::debug))
    log_.debug("dialling " + p->tag() + " in " + std::to_string(delay) + " ms");
  (void)d.timer.start(delay, 0, [this, key, gen] {
    auto it = dials_.find(key);
    if (it != dials_.end() && it->second->generation == gen) begin_round(*it->second);
  });
}

void Dialer::redial_now(const PublicKey& key) {
  if (Peer* p = registry_.find(key)) {
    p->backoff.reset();
    p->refused_backoff.reset();
  }
  if (auto it = dials_.find(key); it != dials_.end() && it->second->phase == Dial::Phase::waiting) {
    it->second->timer.stop();
    it->second->phase = Dial::Phase::idle;
  }
  schedule(key, true);
}

void Dialer::begin_round(Dial& d) {
  Peer* p = registry_.find(d.key);
  if (p == nullptr || p->active != nullptr) {
    d.phase = Dial::Phase::idle;
    return;
  }
  d.endpoints = p->dial_addresses();
  d.next_endpoint = 0;
  d.targets.clear();
  if (d.endpoints.empty()) {
    d.phase = Dial::Phase::idle;
    return;
  }
  d.phase = Dial::Phase::connecting;
  PublicKey key = d.key;
  uint64_t gen = d.generation;
  registry_.set_dialing(*p, true);  // observers may run, and forget this dial
  auto it = dials_.find(key);
  if (it != dials_.end() && it->second->generation == gen) next_target(*it->second);
}

void Dialer::next_target(Dial& d) {
  PublicKey key = d.key;
  uint64_t gen = d.generation;
  Peer* p = registry_.find(key);
  if (p == nullptr || p->active != nullptr) {  // it came online another way
    d.phase = Dial::Phase::idle;
    if (p != nullptr) registry_.set_dialing(*p, false);
    return;
  }
  for (;;) {
    if (!d.targets.empty()) {
      SockAddr addr = d.targets.front();
      d.targets.pop_front();
      auto s = uv::TcpStream::connect(loop_, addr, options_,
                                      [this, key, gen](Status st) { on_connected(key, gen, std::move(st)); });
      if (!s) {
        log_.debug("dialling " + peer_tag(key) + " at " + addr.to_string() + ": " + s.error().describe());
        continue;
      }
      d.stream = std::move(*s);
      d.phase = Dial::Phase::connecting;
      d.target = addr.to_string();
      (void)d.timer.start(connect_timeout_ms_, 0, [this, key, gen] {
        auto it = dials_.find(key);
        if (it == dials_.end() || it->second->generation != gen) return;
        Dial& dd = *it->second;
        if (dd.phase != Dial::Phase::connecting) return;
        dd.stream.close();
        log_.debug("dialling " + peer_tag(key) + " at " + dd.target + ": connect timed out");
        next_target(dd);
      });
      return;
    }
    if (d.next_endpoint < d.endpoints.size()) {
      Endpoint ep = d.endpoints[d.next_endpoint++];
      if (ep.is_numeric()) {
        if (auto a = SockAddr::from_endpoint(ep)) d.targets.push_back(*a);
        continue;
      }
      d.phase = Dial::Phase::resolving;
      auto st = d.resolver.resolve(loop_, ep.host, ep.port, [this, key, gen](Result<std::vector<SockAddr>> r) {
        auto it = dials_.find(key);
        if (it == dials_.end() || it->second->generation != gen) return;
        Dial& dd = *it->second;
        if (r) {
          for (const SockAddr& a : *r) dd.targets.push_back(a);
        } else {
          log_.info("dialling " + peer_tag(key) + ": " + r.error().describe());
        }
        next_target(dd);
      });
      if (!st) {
        log_.info("dialling " + peer_tag(key) + ": " + st.error().describe());
        continue;
      }
      return;
    }
    return round_failed(d);
  }
}

void Dialer::on_connected(const PublicKey& key, uint64_t generation, Status st) {
  auto it = dials_.find(key);
  if (it == dials_.end() || it->second->generation != generation) return;
  Dial& d = *it->second;
  if (d.phase != Dial::Phase::connecting) return;
  d.timer.stop();
  if (!st) {
    log_.debug("dialling " + peer_tag(key) + " at " + d.target + ": " + st.error().describe());
    return next_target(d);
  }
  d.phase = Dial::Phase::handshaking;
  auto adopted = registry_.adopt(std::move(d.stream), true, key, [this, key, generation](Result<PublicKey> r) {
    on_handshake(key, generation, std::move(r));
  });
  if (!adopted) next_target(d);
}

void Dialer::on_handshake(const PublicKey& key, uint64_t generation, Result<PublicKey> r) {
  auto it = dials_.find(key);
  if (it == dials_.end() || it->second->generation != generation) return;
  Dial& d = *it->second;
  if (d.phase != Dial::Phase::handshaking) return;
  if (r) {
    d.phase = Dial::Phase::idle;
    if (Peer* p = registry_.find(key)) registry_.set_dialing(*p, false);
    return;
  }
  // The registry logged why. A peer that refused us refuses at every
  // address: wait for the slow schedule; otherwise try the next address.
  if (Peer* p = registry_.find(key); p != nullptr && p->refused_us) return round_failed(d);
  next_target(d);
}

void Dialer::round_failed(Dial& d) {
  d.phase = Dial::Phase::idle;
  if (Peer* p = registry_.find(d.key)) registry_.set_dialing(*p, false);
  schedule(d.key, false);
}

void Dialer::cancel(Dial& d) {
  d.timer.stop();
  d.resolver.cancel();
  d.stream.close();
  d.targets.clear();
  d.phase = Dial::Phase::idle;
  d.generation = next_generation_++;
  if (Peer* p = registry_.find(d.key)) registry_.set_dialing(*p, false);
}

void Dialer::peer_online(const PublicKey& key) {
  auto it = dials_.find(key);
  if (it == dials_.end()) return;
  Dial& d = *it->second;
  // A handshake under way finishes: the tie-break keeps one session.
  if (d.phase == Dial::Phase::handshaking || d.phase == Dial::Phase::idle) return;
  cancel(d);
}

void Dialer::forget(const PublicKey& key) { dials_.erase(key); }

// ---- connect() ----

Status Dialer::connect(const Endpoint& to, ConnectCallback cb) {
  return start_request(to, std::nullopt, std::move(cb));
}

Status Dialer::connect_pairing(const Endpoint& to, std::string nameplate, ConnectCallback cb) {
  return start_request(to, std::move(nameplate), std::move(cb));
}

Status Dialer::start_request(const Endpoint& to, std::optional<std::string> pairing, ConnectCallback cb) {
  if (stopped_) return make_error(Errc::closed, "daemon is stopping");
  if (to.port == 0) return make_error(Errc::bad_request, "connect to " + to.to_string() + ": port 0");
  if (to.is_numeric()) PEERNET_TRY_VOID(SockAddr::from_endpoint(to));
  uint64_t id = next_request_++;
  auto req = std::make_unique<Request>(loop_, id, to, std::move(cb));
  req->pairing = std::move(pairing);
  Request& r = *req;
  requests_.emplace(id, std::move(req));
  // Start from the loop, so that even an immediate failure reaches `cb`
  // later, never from inside this call.
  (void)r.timer.start(0, 0, [this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    Request& rr = *it->second;
    if (rr.to.is_numeric()) {
      rr.targets.push_back(*SockAddr::from_endpoint(rr.to));
      return request_next(rr);
    }
    auto st = rr.resolver.resolve(loop_, rr.to.host, rr.to.port, [this, id](Result<std::vector<SockAddr>> res) {
      auto it2 = requests_.find(id);
      if (it2 == requests_.end()) return;
      if (!res) return request_done(id, std::move(res).error());
      for (const SockAddr& a : *res) it2->second->targets.push_back(a);
      request_next(*it2->second);
    });
    if (!st) request_done(id, std::move(st).error());
  });
  return {};
}

void Dialer::request_next(Request& r) {
  uint64_t id = r.id;
  for (;;) {
    if (r.targets.empty())
      return request_done(id, r.last_error ? *r.last_error
                                           : make_error(Errc::io_error, "connect to " + r.to.to_string() + " failed"));
    SockAddr addr = r.targets.front();
    r.targets.pop_front();
    auto s = uv::TcpStream::connect(loop_, addr, options_, [this, id](Status st) {
      auto it = requests_.find(id);
      if (it == requests_.end()) return;
      Request& rr = *it->second;
      rr.timer.stop();
      if (!st) {
        rr.last_error = std::move(st).error();
        return request_next(rr);
      }
      auto done = [this, id](Result<PublicKey> res) { request_done(id, std::move(res)); };
      auto adopted = rr.pairing ? registry_.adopt_pairing(std::move(rr.stream), *rr.pairing, done)
                                : registry_.adopt(std::move(rr.stream), true, std::nullopt, done);
      if (!adopted) request_done(id, std::move(adopted).error());
    });
    if (!s) {
      r.last_error = std::move(s).error();
      continue;
    }
    r.stream = std::move(*s);
    (void)r.timer.start(connect_timeout_ms_, 0, [this, id] {
      auto it = requests_.find(id);
      if (it == requests_.end()) return;
      it->second->stream.close();
      it->second->last_error = make_error(Errc::timeout, "connect to " + it->second->to.to_string() + " timed out");
      request_next(*it->second);
    });
    return;
  }
}

void Dialer::request_done(uint64_t id, Result<PublicKey> result) {
  auto node = requests_.extract(id);
  if (node.empty()) return;
  ConnectCallback cb = std::move(node.mapped()->cb);
  if (cb) cb(std::move(result));
  // `node` frees the request (its handles close) after the callback.
}

void Dialer::stop() {
  stopped_ = true;
  dials_.clear();
  auto requests = std::move(requests_);
  requests_.clear();
  for (auto& [id, r] : requests)
    if (r->cb) r->cb(make_error(Errc::cancelled, "daemon is stopping"));
}

}  // namespace peernet
