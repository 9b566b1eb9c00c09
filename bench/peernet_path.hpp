// The full path under load: a local client (control socket) -> daemon A ->
// Noise/TCP -> daemon B -> a local handler (a client that exposed handles on
// B) -> back.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "proto/bytes.hpp"
#include "rpc_conn.hpp"

namespace bench {

// A msgpack bin value of exactly `total` encoded bytes (>= 6).
peernet::Bytes msgpack_payload(size_t total);

// A client of daemon B exposing "echo" (answers every call with its args)
// and "sink" (counts sends), served on its own thread.
class Handler {
 public:
  explicit Handler(const std::string& socket);
  ~Handler();
  uint64_t sends() const { return sends_.load(std::memory_order_relaxed); }
  uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }

 private:
  void run();
  RpcConn conn_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sends_{0};
  std::atomic<uint64_t> calls_{0};
  std::thread thread_;
};

struct CallStats {
  std::vector<int64_t> latency_ns;
  double seconds = 0;
  uint64_t errors = 0;
};
// `total` calls of "echo" on `peer`, at most `window` outstanding.
CallStats run_calls(RpcConn& conn, const std::string& peer, size_t window, size_t total,
                    const peernet::Bytes& args);

struct SendStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;  // the daemon said delivered
  uint64_t dropped = 0;    // the daemon said dropped
  uint64_t received = 0;   // counted by the handler
  double seconds = 0;      // first send until the handler saw the last one
  uint64_t unaccounted() const { return sent - received - dropped; }
};
// `total` sends to "sink" on `peer`, at most `window` outstanding (0: all
// written at once by a second thread, as fast as the socket takes them).
SendStats run_sends(RpcConn& conn, const Handler& handler, const std::string& peer, size_t window,
                    size_t total, const peernet::Bytes& args);

// `total` streamed sends to "sink" on `peer` (the `send` notification: no
// answer each), written by a second thread as fast as the daemon reads
// them, then send.flush for the counts. dropped is what the daemon reported
// (send.dropped, checked against the flush's total).
SendStats run_stream_sends(RpcConn& conn, const Handler& handler, const std::string& peer, size_t total,
                           const peernet::Bytes& args);

}  // namespace bench
