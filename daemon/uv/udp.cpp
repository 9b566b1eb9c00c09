#include "udp.hpp"

#include <array>
#include <memory>
#include <string>

namespace peernet::uv {
namespace {

// One datagram above the largest mDNS packet (RFC 6762 §17), so that a
// larger one shows up as truncated.
constexpr size_t kRecvBuffer = 9216;

struct UdpBlock final : detail::Block {
  uv_udp_t udp;
  Udp::RecvCallback on_recv;
  std::array<uint8_t, kRecvBuffer> buffer;
  bool buffer_lent = false;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&udp); }
};

UdpBlock* block(const detail::Owner& o) { return static_cast<UdpBlock*>(o.get()); }

Error closed() { return make_error(Errc::closed, "UDP socket is closed"); }

Status check(int rc, std::string_view what) {
  if (rc != 0) return error_from_uv(rc, what);
  return {};
}

}  // namespace

Result<Udp> Udp::bind(uv_loop_t* loop, const SockAddr& at, bool reuse) {
  auto b = std::make_unique<UdpBlock>();
  if (int rc = uv_udp_init_ex(loop, &b->udp, static_cast<unsigned>(at.family())); rc != 0)
    return error_from_uv(rc, "UDP socket for " + at.to_string());
  detail::attach(b.get());
  Udp u;
  u.owner_ = detail::Owner(b.release());
  auto* raw = block(u.owner_);
  PEERNET_TRY_VOID(check(uv_udp_bind(&raw->udp, at.get(), reuse ? UV_UDP_REUSEADDR : 0), "bind UDP " + at.to_string()));
  return u;
}

Status Udp::start_receiving(RecvCallback cb) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  b->on_recv = std::move(cb);
  int rc = uv_udp_recv_start(
      &b->udp,
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* ub = detail::block_of<UdpBlock>(h);
        // libuv lends one buffer at a time for a plain recv; refuse a
        // second (buf->len 0 makes libuv report UV_ENOBUFS) rather than alias.
        if (ub->buffer_lent) {
          *buf = uv_buf_init(nullptr, 0);
          return;
        }
        ub->buffer_lent = true;
        *buf = uv_buf_init(reinterpret_cast<char*>(ub->buffer.data()), static_cast<unsigned>(ub->buffer.size()));
      },
      [](uv_udp_t* u, ssize_t n, const uv_buf_t*, const sockaddr* from, unsigned flags) {
        auto* ub = detail::block_of<UdpBlock>(reinterpret_cast<uv_handle_t*>(u));
        ub->buffer_lent = false;
        // n == 0 with no address: nothing to read; errors are transient
        // (ICMP unreachable and the like) for a datagram socket.
        if (n <= 0 || from == nullptr || (flags & UV_UDP_PARTIAL) != 0) return;
        auto addr = SockAddr::from_raw(from, from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
        if (!addr) return;
        ByteView data(ub->buffer.data(), static_cast<size_t>(n));
        detail::invoke(*ub, ub->on_recv, data, *addr);
      });
  return check(rc, "receive on UDP socket");
}

Status Udp::join(std::string_view group, std::string_view interface_address) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  std::string g(group), i(interface_address);
  return check(uv_udp_set_membership(&b->udp, g.c_str(), i.c_str(), UV_JOIN_GROUP), "join " + g + " on " + i);
}

Status Udp::leave(std::string_view group, std::string_view interface_address) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  std::string g(group), i(interface_address);
  return check(uv_udp_set_membership(&b->udp, g.c_str(), i.c_str(), UV_LEAVE_GROUP), "leave " + g + " on " + i);
}

Status Udp::set_multicast_interface(std::string_view interface_address) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  std::string i(interface_address);
  return check(uv_udp_set_multicast_interface(&b->udp, i.c_str()), "multicast interface " + i);
}

Status Udp::set_multicast_loop(bool on) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  return check(uv_udp_set_multicast_loop(&b->udp, on ? 1 : 0), "IP_MULTICAST_LOOP");
}

Status Udp::set_multicast_ttl(int ttl) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  return check(uv_udp_set_multicast_ttl(&b->udp, ttl), "IP_MULTICAST_TTL");
}

Status Udp::set_broadcast(bool on) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  return check(uv_udp_set_broadcast(&b->udp, on ? 1 : 0), "SO_BROADCAST");
}

Status Udp::try_send(ByteView data, const SockAddr& to) {
  UdpBlock* b = block(owner_);
  if (b == nullptr) return closed();
  uv_buf_t buf =
      uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data.data())), static_cast<unsigned>(data.size()));
  int rc = uv_udp_try_send(&b->udp, &buf, 1, to.get());
  if (rc < 0) return error_from_uv(rc, "send to " + to.to_string());
  return {};
}

}  // namespace peernet::uv
