// Host name resolution on libuv's thread pool (uv_getaddrinfo).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "proto/result.hpp"
#include "sock_addr.hpp"

namespace peernet::uv {

// One lookup at a time. getaddrinfo has no timeout of its own: a caller
// that needs one runs a Timer and calls cancel().
class Resolver {
 public:
  // The addresses in the resolver's order, duplicates removed; never empty
  // on success.
  using Callback = std::function<void(Result<std::vector<SockAddr>>)>;

  Resolver() = default;
  Resolver(Resolver&& o) noexcept;
  Resolver& operator=(Resolver&& o) noexcept;
  ~Resolver() { cancel(); }

  // Resolve `host` (a name or an IP literal) for TCP `port`. On success
  // `cb` runs exactly once, on the loop, unless cancel() (or destruction)
  // comes first; Errc::busy while a lookup is pending.
  Status resolve(uv_loop_t* loop, const std::string& host, uint16_t port, Callback cb);
  // Abandon the pending lookup, if any: its callback will not run. The
  // thread-pool work finishes on its own; the loop must run until it has
  // (it keeps the loop alive meanwhile).
  void cancel();
  bool busy() const { return pending_ != nullptr; }

 private:
  struct Request;
  Request* pending_ = nullptr;
};

}  // namespace peernet::uv
