// The CurveZMQ baseline (libzmq's CURVE mechanism, with a ZAP handler that
// admits exactly one client key): REQ/REP latency and connect-to-first-reply,
// PUSH/PULL throughput.
#pragma once

#include <cstddef>

#include "peernet_path.hpp"

namespace bench {

class ZmqCurve {
 public:
  ZmqCurve();
  ~ZmqCurve();
  CallStats req_rep(size_t total, size_t payload);
  // Each round: a new REQ socket, CURVE handshake, one request and its reply.
  std::vector<int64_t> connect_first_reply(size_t rounds, size_t payload);
  SendStats push_pull(size_t total, size_t payload);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace bench
