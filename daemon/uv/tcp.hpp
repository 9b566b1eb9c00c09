// TCP streams and listeners on libuv (uv.hpp has the completion contract,
// uv_handle.hpp the close lifecycle).
//
// Every stream gets TCP_NODELAY (the session layer coalesces its own
// writes), no TCP keepalive (the peer protocol pings at the application
// level) and TCP_USER_TIMEOUT, so that data left unacknowledged for that
// long fails the connection even while pings are queued behind it.
//
// Writing to a connection the peer has reset raises SIGPIPE: the process
// must ignore it (peernetd's main does).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "proto/endpoint.hpp"
#include "sock_addr.hpp"
#include "stream.hpp"

namespace peernet::uv {

struct TcpOptions {
  uint32_t user_timeout_ms = 20000;  // TCP_USER_TIMEOUT; 0 keeps the kernel's default
};

class TcpStream : public Stream {
 public:
  TcpStream() = default;  // empty: every operation fails with Errc::closed

  // Start connecting to `to`. On success, `on_connected` runs exactly once
  // with the outcome (unless the stream is closed first).
  static Result<TcpStream> connect(uv_loop_t* loop, const SockAddr& to, const TcpOptions& options,
                                   DoneCallback on_connected);

  Status set_user_timeout(uint32_t ms);
  Result<SockAddr> peer_address() const;
  Result<SockAddr> local_address() const;

 private:
  friend class TcpListener;
};

class TcpListener {
 public:
  // Runs once per incoming connection, or with an error when accepting
  // fails (e.g. out of file descriptors); the listener keeps listening.
  using AcceptCallback = std::function<void(Result<TcpStream>)>;

  TcpListener() = default;
  // Bind and listen. `at` must be an IP literal; "[::]" accepts IPv4 and
  // IPv6 alike (IPV6_V6ONLY is cleared), port 0 picks a free port.
  static Result<TcpListener> listen(uv_loop_t* loop, const Endpoint& at, const TcpOptions& options,
                                    AcceptCallback on_accept, int backlog = 128);
  static Result<TcpListener> listen(uv_loop_t* loop, const SockAddr& at, const TcpOptions& options,
                                    AcceptCallback on_accept, int backlog = 128);

  Result<SockAddr> local_address() const;
  uint16_t port() const;  // the bound port (0 when closed)
  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 private:
  detail::Owner owner_;
};

}  // namespace peernet::uv
