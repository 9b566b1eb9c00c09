// Daemons on one loop, each with a control server on a socket in its state
// directory, and a small msgpack-RPC client of our own over the Unix
// socket: proto/control/rpc.hpp's encoder and RpcDecoder, nothing of the server's.
// TearDown closes the clients, destroys the servers, then the daemon
// fixture stops the daemons and the loop fixture checks every handle closed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "control/server.hpp"
#include "daemon_fixture.hpp"
#include "proto/control/control.hpp"
#include "proto/control/rpc.hpp"
#include "uv/pipe.hpp"

namespace peernet::testing {

// One connection to a control socket. Records everything the daemon sends.
class RpcClient {
 public:
  RpcClient(uv_loop_t* loop, const std::string& path) : decoder_(size_t{64} << 20) {
    auto s = uv::PipeStream::connect(loop, path, [this](Status st) {
      if (!st) {
        failed = true;
        return;
      }
      connected = true;
      start_reading();
    });
    if (s) stream_ = std::move(*s);
    else failed = true;
  }

  // Sends a request; returns its msgid.
  uint32_t request(std::string_view method, Bytes params) {
    uint32_t id = ++last_msgid_;
    write_raw(encode(RpcRequest{id, std::string(method), std::move(params)}));
    return id;
  }
  template <class P>
  uint32_t request(const P& params) {
    return request(P::Method::kName, control::encode_params(params));
  }
  // Answers a handle.call of the daemon.
  void answer(uint32_t msgid, Bytes result) { write_raw(encode(control::result_response(msgid, std::move(result)))); }
  void answer_error(uint32_t msgid, std::string code, std::string message) {
    write_raw(encode(control::error_response(msgid, control::ErrorBody{std::move(code), std::move(message)})));
  }
  void write_raw(Bytes bytes) { (void)stream_.write({std::move(bytes)}); }

  void stop_reading() { stream_.read_stop(); }
  void start_reading() {
    (void)stream_.read_start([this](ByteView d) { on_data(d); }, [this] { eof = true; },
                             [this](const Error&) { eof = true; });
  }
  void close() { stream_.close(); }
  // Half-close: the daemon sees the end of the requests, we keep reading.
  void shutdown() { (void)stream_.shutdown(); }

  bool has_response(uint32_t id) const { return responses.count(id) != 0; }
  // The daemon closed the connection (or it failed).
  bool gone() const { return eof || failed || decode_failed; }

  bool connected = false;
  bool failed = false;
  bool eof = false;
  bool decode_failed = false;
  std::map<uint32_t, RpcResponse> responses;
  std::vector<RpcRequest> requests;  // from the daemon: handle.call
  std::vector<RpcNotification> notifications;

 private:
  void on_data(ByteView data) {
    if (!decoder_.feed(data)) {
      decode_failed = true;
      return;
    }
    for (;;) {
      auto m = decoder_.next();
      if (!m) {
        decode_failed = true;
        if (decoder_.failed()) return;
        continue;
      }
      if (!*m) return;
      if (auto* r = std::get_if<RpcResponse>(&**m)) responses[r->msgid] = std::move(*r);
      else if (auto* q = std::get_if<RpcRequest>(&**m)) requests.push_back(std::move(*q));
      else notifications.push_back(std::get<RpcNotification>(std::move(**m)));
    }
  }

  uv::PipeStream stream_;
  RpcDecoder decoder_;
  uint32_t last_msgid_ = 0;
};

class ControlTest : public DaemonTest {
 protected:
  // Starts a control server for `n` on <state dir>/ctl.sock. Connections
  // are admins unless `admin` is false when they are accepted.
  ControlServer& serve(Node& n, const std::function<void(ControlServerOptions&)>& tweak = {}) {
    auto opts = ControlServerOptions::from(n->config());
    opts.daemon_name = "peernetd test";
    opts.is_admin = [this](const uv::PeerCred&) { return admin; };
    if (tweak) tweak(opts);
    auto s = ControlServer::start(&loop, *n.daemon, n.log, std::move(opts));
    EXPECT_TRUE(s.ok()) << s.error().describe();
    if (!s) std::abort();
    servers_.push_back(std::move(*s));
    server_of_[&n] = servers_.back().get();
    return *servers_.back();
  }
  ControlServer& server(Node& n) { return *server_of_.at(&n); }

  // A connected client of `n`'s server (accepted by the time this returns).
  RpcClient& connect(Node& n) {
    ControlServer& s = server(n);
    uint64_t before = s.counters().clients_accepted;
    clients_.push_back(std::make_unique<RpcClient>(&loop, s.path()));
    RpcClient& c = *clients_.back();
    EXPECT_TRUE(run_until([&] { return (c.connected && s.counters().clients_accepted > before) || c.failed; }));
    EXPECT_TRUE(c.connected);
    return c;
  }

  // Waits for the response to `id`; an empty response if the connection
  // went away first.
  RpcResponse wait_response(RpcClient& c, uint32_t id) {
    EXPECT_TRUE(run_until([&] { return c.has_response(id) || c.gone(); }));
    EXPECT_TRUE(c.has_response(id)) << "no response to msgid " << id;
    return c.has_response(id) ? c.responses.at(id) : RpcResponse{};
  }
  // A request and its result (or the error the daemon answered).
  template <class P>
  Result<Bytes> rpc(RpcClient& c, const P& params) {
    return control::response_result(wait_response(c, c.request(params)));
  }
  Result<Bytes> rpc(RpcClient& c, std::string_view method, Bytes params) {
    return control::response_result(wait_response(c, c.request(method, std::move(params))));
  }

  // Two daemons with servers, trusting each other and connected.
  void pair(Node& a, Node& b) {
    trust(b, a, false);
    trust(a, b);
    ASSERT_TRUE(connected(a, b));
  }

  void TearDown() override {
    clients_.clear();
    servers_.clear();
    server_of_.clear();
    DaemonTest::TearDown();
  }

  bool admin = true;
  std::vector<std::unique_ptr<ControlServer>> servers_;
  std::map<Node*, ControlServer*> server_of_;
  std::vector<std::unique_ptr<RpcClient>> clients_;
};

// The error code of a failed result, for EXPECT_EQ.
inline std::string code_of(const Result<Bytes>& r) {
  return r.ok() ? std::string("ok") : std::string(to_string(r.error().code));
}

}  // namespace peernet::testing
