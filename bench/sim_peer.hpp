// Simulated peers: proto::Link driven over plain sockets, each with its own
// key, for the benchmarks that need more peers than daemons: connect
// latency, handshakes per second, thousands of idle sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "proto/keys.hpp"
#include "proto/rng.hpp"

namespace bench {

class OsRng final : public peernet::Rng {
 public:
  void fill(std::span<uint8_t> out) override;
};

std::vector<peernet::KeyPair> make_keys(size_t n);

// Each round: a fresh TCP connection and Noise XX handshake to the daemon
// on `port`, then one call of "echo" with `args`, until its reply.
std::vector<int64_t> connect_first_reply(uint16_t port, const peernet::KeyPair& key, size_t rounds,
                                         const peernet::Bytes& args);

// Many sessions to one daemon, on one epoll loop.
class Swarm {
 public:
  Swarm(uint16_t port, const std::vector<peernet::KeyPair>& keys);
  ~Swarm();
  // Handshakes completed per second: `concurrency` connections (keys
  // 0..concurrency-1) each handshake, exchange a ping, hang up and start
  // over, for `seconds`.
  double handshake_rate(size_t concurrency, double seconds, uint64_t* failures);
  // Opens sessions with keys [open_count(), n), `concurrency` handshakes at
  // a time, and keeps them; false when not all came up within `timeout_s`.
  bool open(size_t n, size_t concurrency, double timeout_s);
  size_t open_count() const;
  // Serves the open sessions (answers pings) for `seconds`.
  void idle(double seconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bench
