#include "tcp.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>

#include "stream_block.hpp"

namespace peernet::uv {
namespace {

struct TcpBlock final : detail::StreamBlock {
  uv_tcp_t tcp;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&tcp); }
};

struct ListenerBlock final : detail::Block {
  uv_tcp_t tcp;
  TcpOptions options;
  TcpListener::AcceptCallback on_accept;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&tcp); }
};

Status set_user_timeout_on(uv_tcp_t* tcp, uint32_t ms) {
  uv_os_fd_t fd;
  if (int rc = uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd); rc != 0)
    return error_from_uv(rc, "set TCP_USER_TIMEOUT");
  unsigned int value = ms;
  if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, sizeof value) != 0)
    return error_from_uv(uv_translate_sys_error(errno), "set TCP_USER_TIMEOUT");
  return {};
}

// Needs the socket to exist (after uv_tcp_init_ex with a family, or accept).
Status apply_options(uv_tcp_t* tcp, const TcpOptions& options) {
  if (int rc = uv_tcp_nodelay(tcp, 1); rc != 0) return error_from_uv(rc, "set TCP_NODELAY");
  if (int rc = uv_tcp_keepalive(tcp, 0, 0); rc != 0) return error_from_uv(rc, "disable keepalive");
  if (options.user_timeout_ms != 0) return set_user_timeout_on(tcp, options.user_timeout_ms);
  return {};
}

Result<SockAddr> address_of(uv_tcp_t* tcp, bool peer) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  int rc = peer ? uv_tcp_getpeername(tcp, sa, &len) : uv_tcp_getsockname(tcp, sa, &len);
  if (rc != 0) return error_from_uv(rc, peer ? "peer address" : "local address");
  return SockAddr::from_raw(sa, static_cast<socklen_t>(len));
}

}  // namespace

Result<TcpStream> TcpStream::connect(uv_loop_t* loop, const SockAddr& to, const TcpOptions& options,
                                     DoneCallback on_connected) {
  auto b = std::make_unique<TcpBlock>();
  // With a family, libuv creates the socket now, so the options apply
  // before the SYN is sent.
  if (int rc = uv_tcp_init_ex(loop, &b->tcp, static_cast<unsigned>(to.family())); rc != 0)
    return error_from_uv(rc, "connect to " + to.to_string());
  detail::attach(b.get());
  TcpStream stream;
  TcpBlock* raw = b.release();
  stream.owner_ = detail::Owner(raw);  // From here on, closing frees it.
  PEERNET_TRY_VOID(apply_options(&raw->tcp, options));

  raw->on_connect = std::move(on_connected);
  auto req = std::make_unique<uv_connect_t>();
  int rc = uv_tcp_connect(req.get(), &raw->tcp, to.get(), [](uv_connect_t* r, int status) {
    detail::finish_connect(r, status, "connect");
  });
  if (rc != 0) {
    raw->on_connect = nullptr;
    return error_from_uv(rc, "connect to " + to.to_string());
  }
  req.release();
  return stream;
}

Status TcpStream::set_user_timeout(uint32_t ms) {
  auto* b = static_cast<TcpBlock*>(block());
  if (b == nullptr) return make_error(Errc::closed, "stream is closed");
  return set_user_timeout_on(&b->tcp, ms);
}

Result<SockAddr> TcpStream::peer_address() const {
  auto* b = static_cast<TcpBlock*>(block());
  if (b == nullptr) return make_error(Errc::closed, "stream is closed");
  return address_of(&b->tcp, true);
}

Result<SockAddr> TcpStream::local_address() const {
  auto* b = static_cast<TcpBlock*>(block());
  if (b == nullptr) return make_error(Errc::closed, "stream is closed");
  return address_of(&b->tcp, false);
}

Result<TcpListener> TcpListener::listen(uv_loop_t* loop, const Endpoint& at, const TcpOptions& options,
                                        AcceptCallback on_accept, int backlog) {
  auto addr = SockAddr::from_endpoint(at);
  if (!addr)
    return make_error(Errc::bad_request,
                      "listen on " + at.to_string() + ": " + addr.error().message +
                          " (a listen address must be an IP address)");
  return listen(loop, *addr, options, std::move(on_accept), backlog);
}

Result<TcpListener> TcpListener::listen(uv_loop_t* loop, const SockAddr& at, const TcpOptions& options,
                                        AcceptCallback on_accept, int backlog) {
  std::string what = "listen on " + at.to_string();
  auto b = std::make_unique<ListenerBlock>();
  if (int rc = uv_tcp_init_ex(loop, &b->tcp, static_cast<unsigned>(at.family())); rc != 0)
    return error_from_uv(rc, what);
  detail::attach(b.get());
  b->options = options;
  b->on_accept = std::move(on_accept);
  TcpListener listener;
  ListenerBlock* raw = b.release();
  listener.owner_ = detail::Owner(raw);

  // No UV_TCP_IPV6ONLY: libuv then clears IPV6_V6ONLY, so "::" is dual-stack
  // whatever net.ipv6.bindv6only says. libuv reports some bind errors
  // (EADDRINUSE) only from uv_listen.
  if (int rc = uv_tcp_bind(&raw->tcp, at.get(), 0); rc != 0) return error_from_uv(rc, what);
  int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&raw->tcp), backlog, [](uv_stream_t* server, int status) {
    auto* lb = detail::block_of<ListenerBlock>(reinterpret_cast<uv_handle_t*>(server));
    if (lb->closing) return;
    if (status < 0) {
      detail::invoke(*lb, lb->on_accept, Result<TcpStream>(error_from_uv(status, "accept")));
      return;
    }
    auto cb = std::make_unique<TcpBlock>();
    uv_tcp_init(server->loop, &cb->tcp);  // Cannot fail without a family.
    detail::attach(cb.get());
    TcpStream stream;
    TcpBlock* client = cb.release();
    stream.owner_ = detail::Owner(client);
    Result<TcpStream> result = std::move(stream);
    if (int arc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&client->tcp)); arc != 0)
      result = error_from_uv(arc, "accept");
    else if (auto st = apply_options(&client->tcp, lb->options); !st.ok())
      result = std::move(st).error();
    detail::invoke(*lb, lb->on_accept, std::move(result));
  });
  if (rc != 0) return error_from_uv(rc, what);
  return listener;
}

Result<SockAddr> TcpListener::local_address() const {
  auto* b = static_cast<ListenerBlock*>(owner_.get());
  if (b == nullptr) return make_error(Errc::closed, "listener is closed");
  return address_of(&b->tcp, false);
}

uint16_t TcpListener::port() const {
  auto addr = local_address();
  return addr ? addr->port() : 0;
}

}  // namespace peernet::uv
