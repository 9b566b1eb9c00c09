#include "peers/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace peernet {

Status Listener::listen(const std::vector<Endpoint>& at, const uv::TcpOptions& options) {
  std::vector<uv::TcpListener> bound;
  for (const Endpoint& ep : at) {
    PEERNET_TRY(auto l, uv::TcpListener::listen(loop_, ep, options,
                                                [this](Result<uv::TcpStream> r) { on_accept(std::move(r)); }));
    log_.info("listening on " + (l.local_address() ? l.local_address()->to_string() : ep.to_string()));
    bound.push_back(std::move(l));
  }
  listeners_ = std::move(bound);
  return {};
}

void Listener::close() { listeners_.clear(); }

std::vector<Endpoint> Listener::addresses() const {
  std::vector<Endpoint> out;
  for (const auto& l : listeners_)
    if (auto a = l.local_address()) out.push_back(a->to_endpoint());
  return out;
}

uint16_t Listener::port() const { return listeners_.empty() ? 0 : listeners_.front().port(); }

std::string Listener::source_of(const SockAddr& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr.get());
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return text;
  }
  if (addr.family() == AF_INET6) {
    in6_addr a = reinterpret_cast<const sockaddr_in6*>(addr.get())->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      in_addr v4;
      std::memcpy(&v4, &a.s6_addr[12], 4);
      ::inet_ntop(AF_INET, &v4, text, sizeof text);
      return text;
    }
    std::memset(&a.s6_addr[8], 0, 8);
    ::inet_ntop(AF_INET6, &a, text, sizeof text);
    return std::string(text) + "/64";
  }
  return addr.host();
}

bool Listener::take_token(const std::string& source, uint64_t now) {
  auto [it, fresh] = buckets_.try_emplace(source);
  Bucket& b = it->second;
  double burst = std::max<uint32_t>(limits_.burst, 1);
  if (fresh) {
    b.tokens = burst;
  } else {
    b.tokens = std::min(burst, b.tokens + static_cast<double>(now - b.at_ms) * limits_.rate / 1000.0);
  }
  b.at_ms = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

// Forgets what no longer matters: full buckets (a source idle for
// burst/rate seconds), sources without pending handshakes, log times older
// than the interval. An attacker with many addresses thus makes us remember
// at most what it sent within the last burst/rate seconds.
void Listener::sweep(uint64_t now) {
  double burst = std::max<uint32_t>(limits_.burst, 1);
  std::erase_if(buckets_, [&](const auto& kv) {
    return kv.second.tokens + static_cast<double>(now - kv.second.at_ms) * limits_.rate / 1000.0 >= burst;
  });
  std::erase_if(logged_at_, [&](const auto& kv) { return now - kv.second >= kRefusalLogIntervalMs; });
}

void Listener::refuse(const std::string& source, uint64_t& counter, const std::string& why) {
  ++counter;
  uint64_t now = uv_now(loop_);
  auto [it, fresh] = logged_at_.try_emplace(source, now);
  if (!fresh && now - it->second < kRefusalLogIntervalMs) return;
  it->second = now;
  log_.info("refusing connections from " + source + ": " + why + " (logged once per " +
            std::to_string(kRefusalLogIntervalMs / 1000) + " s per source; see `status` for counts)");
}

void Listener::on_accept(Result<uv::TcpStream> r) {
  uint64_t now = uv_now(loop_);
  if (!r) {
    // Typically EMFILE: the listener keeps going, and logging every failed
    // accept of a flood would be a flood of its own.
    ++counters_.accept_failed;
    if (!accept_failed_logged_ || now - accept_failed_logged_at_ >= kRefusalLogIntervalMs) {
      accept_failed_logged_ = true;
      accept_failed_logged_at_ = now;
      log_.info("accepting a connection failed: " + r.error().describe() + " (" +
                std::to_string(counters_.accept_failed) + " so far; logged once per " +
                std::to_string(kRefusalLogIntervalMs / 1000) + " s)");
    }
    return;
  }
  auto peer = r->peer_address();
  std::string source = peer ? source_of(*peer) : std::string("unknown");
  if (buckets_.size() >= kMaxTrackedSources || logged_at_.size() >= kMaxTrackedSources) sweep(now);

  // On every early return `r` closes the connection as it goes out of scope.
  if (!take_token(source, now))
    return refuse(source, counters_.refused_rate,
                  "more than " + std::to_string(limits_.rate) + " new connections per second (burst " +
                      std::to_string(limits_.burst) + ")");
  auto held = pending_by_source_.find(source);
  if (held != pending_by_source_.end() && held->second >= limits_.max_pending_per_source)
    return refuse(source, counters_.refused_per_source,
                  std::to_string(held->second) + " of its connections are in their handshake already");
  size_t pending = pending_();
  if (pending >= std::max<uint32_t>(limits_.max_pending, 1))
    return refuse(source, counters_.refused_full,
                  std::to_string(pending) + " connections are in their handshake, the cap");
  if (double p = drop_probability(limits_, pending); p > 0) {
    double draw = static_cast<double>(rng_.next_u64() >> 11) / 9007199254740992.0;  // [0, 1)
    if (draw < p)
      return refuse(source, counters_.dropped_early,
                    std::to_string(pending) + " connections are in their handshake; dropping some early");
  }
  Admission admission;
  admission.source = source;
  admission.handshake_timeout_ms = handshake_deadline_ms(limits_, pending);
  ++pending_by_source_[source];
  on_accept_(std::move(*r), std::move(admission));
}

// MaxStartups start:rate:full: rate% at start, growing linearly to 100 %
// at full.
double Listener::drop_probability(const ListenerLimits& limits, size_t pending) {
  size_t full = std::max<uint32_t>(limits.max_pending, 1);
  size_t start = std::min<size_t>(limits.early_drop_start, full);
  if (pending >= full) return 1;
  if (pending < start) return 0;
  double rate = std::min<uint32_t>(limits.early_drop_rate, 100) / 100.0;
  return rate + (1 - rate) * static_cast<double>(pending - start) / static_cast<double>(full - start);
}

// The full timeout below `start`, falling linearly to the minimum at the cap.
uint64_t Listener::handshake_deadline_ms(const ListenerLimits& limits, size_t pending) {
  size_t full = std::max<uint32_t>(limits.max_pending, 1);
  size_t start = std::min<size_t>(limits.early_drop_start, full);
  uint64_t full_ms = limits.handshake_timeout_ms;
  uint64_t min_ms = std::min(limits.handshake_timeout_min_ms, full_ms);
  if (pending <= start || full <= start) return full_ms;
  pending = std::min(pending, full);
  return full_ms - (full_ms - min_ms) * (pending - start) / (full - start);
}

void Listener::handshake_ended(const std::string& source) {
  auto it = pending_by_source_.find(source);
  if (it == pending_by_source_.end()) return;
  if (--it->second == 0) pending_by_source_.erase(it);
}

}  // namespace peernet
