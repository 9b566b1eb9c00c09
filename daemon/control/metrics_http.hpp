// The optional metrics endpoint ([metrics] listen): a minimal HTTP/1.x
// responder for a Prometheus scrape. One request per connection:
//
//   GET /metrics (or HEAD) -> 200, Prometheus text 0.0.4, or OpenMetrics 1.0
//                             when the Accept header names
//                             application/openmetrics-text
//   another path           -> 404;  another method -> 405
//   a head over metrics.max_request bytes -> 431;  malformed -> 400
//
// then `Connection: close`. At most metrics.max_connections at once (more
// are closed at once, counted); a connection that has not sent its whole
// request head within metrics.request_timeout is closed. It listens on a
// loopback address or a Unix socket only (the config refuses others): it
// has no authentication.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>

#include "base/deadlines.hpp"
#include "base/log.hpp"
#include "config/config.hpp"
#include "control/connection.hpp"
#include "daemon.hpp"
#include "uv/pipe.hpp"
#include "uv/tcp.hpp"

namespace peernet {

class MetricsHttp {
 public:
  // Binds settings.listen (non-empty). A Unix socket path that holds a
  // stale socket is replaced; any other file there is an error.
  // `daemon`, `log` and `counters` must outlive the server.
  static Result<std::unique_ptr<MetricsHttp>> start(uv_loop_t* loop, const Daemon& daemon, Logger& log,
                                                    ControlCounters& counters, const Config::Metrics& settings);
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // "http://127.0.0.1:9464/metrics" or "unix:/path".
  const std::string& url() const { return url_; }
  size_t connections() const { return conns_.size(); }

 private:
  using AnyStream = std::variant<uv::TcpStream, uv::PipeStream>;
  struct Conn {
    AnyStream stream;
    std::string head;
    uint64_t token = 0;  // deadlines_.add's
    bool answered = false;
  };
  MetricsHttp(uv_loop_t* loop, const Daemon& daemon, Logger& log, ControlCounters& counters,
              const Config::Metrics& settings);
  void accept(AnyStream stream);
  void on_data(uint64_t id, ByteView data);
  void answer(uint64_t id, int status, std::string_view reason, std::string content_type, std::string body,
              bool head_only);
  void drop(uint64_t id);

  uv_loop_t* loop_;
  const Daemon& daemon_;
  Logger& log_;
  ControlCounters& counters_;
  Config::Metrics settings_;
  std::string url_;
  uv::TcpListener tcp_;
  uv::PipeListener pipe_;
  std::unordered_map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 1;
  Deadlines deadlines_;
};

}  // namespace peernet
