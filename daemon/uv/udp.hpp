// A libuv UDP socket, owned (see uv_handle.hpp for the close lifecycle).
//
// Sending is synchronous (uv_udp_try_send): discovery datagrams are small
// and few, and a datagram the kernel cannot take now is dropped like any
// other lost datagram. Being synchronous also lets a caller switch the
// multicast interface between two sends without racing a queued one.
#pragma once

#include <uv.h>

#include <functional>
#include <string_view>

#include "proto/bytes.hpp"
#include "sock_addr.hpp"
#include "block.hpp"

namespace peernet::uv {

class Udp {
 public:
  // One datagram and its source. `data` is valid during the call only.
  using RecvCallback = std::function<void(ByteView data, const SockAddr& from)>;

  Udp() = default;  // empty: every operation fails with Errc::closed
  // Binds `at`; with `reuse` others may bind the same port (SO_REUSEADDR:
  // each gets a copy of every multicast and broadcast datagram).
  static Result<Udp> bind(uv_loop_t* loop, const SockAddr& at, bool reuse);

  // `cb` runs for every datagram until close(); datagrams larger than
  // 9000 bytes (RFC 6762 §17) arrive truncated and are dropped silently.
  Status start_receiving(RecvCallback cb);

  Status join(std::string_view group, std::string_view interface_address);
  Status leave(std::string_view group, std::string_view interface_address);
  // The interface multicast datagrams leave by (its IPv4 address).
  Status set_multicast_interface(std::string_view interface_address);
  Status set_multicast_loop(bool on);
  Status set_multicast_ttl(int ttl);
  Status set_broadcast(bool on);

  Status try_send(ByteView data, const SockAddr& to);

  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 private:
  detail::Owner owner_;
};

}  // namespace peernet::uv
