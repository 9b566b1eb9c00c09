// The TCP listeners of the peer protocol (config network.listen), with the
// cap on connections still in their handshake (protocol.md §3): beyond it a
// new connection is closed at once. Unauthenticated connections are cheap
// for an attacker and cost us a handshake each, so the cap keeps a flood
// from starving the peers we trust.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "proto/endpoint.hpp"
#include "base/log.hpp"
#include "proto/result.hpp"
#include "uv/tcp.hpp"

namespace peernet {

class Listener {
 public:
  using AcceptCallback = std::function<void(uv::TcpStream)>;
  using PendingCount = std::function<size_t()>;

  Listener(uv_loop_t* loop, Logger& log, AcceptCallback on_accept, PendingCount pending)
      : loop_(loop), log_(log), on_accept_(std::move(on_accept)), pending_(std::move(pending)) {}

  // Binds every endpoint; on any failure none stays bound.
  Status listen(const std::vector<Endpoint>& at, const uv::TcpOptions& options);
  void close();

  void set_max_pending(uint32_t cap) { max_pending_ = cap; }
  // The bound addresses, with the ports the kernel picked.
  std::vector<Endpoint> addresses() const;
  // The port to announce in our hello: the first listener's, 0 without one.
  uint16_t port() const;
  // Connections refused by the cap since start.
  uint64_t refused() const { return refused_total_; }

 private:
  void on_accept(Result<uv::TcpStream> r);

  uv_loop_t* loop_;
  Logger& log_;
  AcceptCallback on_accept_;
  PendingCount pending_;
  uint32_t max_pending_ = 64;
  std::vector<uv::TcpListener> listeners_;
  bool refusing_ = false;       // inside a burst of refusals (logged once)
  uint64_t refused_burst_ = 0;  // refused in the current burst
  uint64_t refused_total_ = 0;
};

}  // namespace peernet
