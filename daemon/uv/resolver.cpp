#include "resolver.hpp"

#include <netdb.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "proto/text.hpp"
#include "block.hpp"

namespace peernet::uv {

// Lives until libuv's completion callback, which always runs (with
// UV_EAI_CANCELED after a successful uv_cancel). `owner` is cleared when the
// Resolver cancels or goes away, so the completion then only frees it.
struct Resolver::Request {
  uv_getaddrinfo_t req;
  Resolver* owner = nullptr;
  std::string host;
  Callback cb;
};

Resolver::Resolver(Resolver&& o) noexcept : pending_(std::exchange(o.pending_, nullptr)) {
  if (pending_) pending_->owner = this;
}

Resolver& Resolver::operator=(Resolver&& o) noexcept {
  if (this != &o) {
    cancel();
    pending_ = std::exchange(o.pending_, nullptr);
    if (pending_) pending_->owner = this;
  }
  return *this;
}

void Resolver::cancel() {
  Request* r = std::exchange(pending_, nullptr);
  if (r == nullptr) return;
  r->owner = nullptr;
  r->cb = nullptr;
  // Fails harmlessly when the lookup is already running on a worker thread.
  uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));
}

Status Resolver::resolve(uv_loop_t* loop, const std::string& host, uint16_t port, Callback cb) {
  if (pending_) return make_error(Errc::busy, "a lookup is already pending");
  if (host.empty()) return make_error(Errc::bad_request, "empty host name");
  auto r = std::make_unique<Request>();
  r->owner = this;
  r->host = host;
  r->cb = std::move(cb);
  r->req.data = r.get();

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // No AI_ADDRCONFIG: glibc then ignores loopback addresses, so "localhost"
  // fails inside a network namespace that has only lo.
  hints.ai_flags = AI_NUMERICSERV;
  std::string service = std::to_string(port);

  int rc = uv_getaddrinfo(
      loop, &r->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
        std::unique_ptr<Request> done(static_cast<Request*>(req->data));
        std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(res, uv_freeaddrinfo);
        if (done->owner == nullptr) return;
        done->owner->pending_ = nullptr;
        Callback callback = std::move(done->cb);
        if (status != 0) {
          callback(error_from_uv(status, "resolve " + quote(done->host)));
          return;
        }
        std::vector<SockAddr> addrs;
        for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
          auto a = SockAddr::from_raw(ai->ai_addr, ai->ai_addrlen);
          if (a && std::find(addrs.begin(), addrs.end(), *a) == addrs.end()) addrs.push_back(*a);
        }
        if (addrs.empty()) {
          callback(make_error(Errc::io_error, "resolve " + quote(done->host) + ": no IPv4 or IPv6 address"));
          return;
        }
        callback(std::move(addrs));
      },
      host.c_str(), service.c_str(), &hints);
  if (rc != 0) return error_from_uv(rc, "resolve " + quote(host));
  pending_ = r.release();
  return {};
}

}  // namespace peernet::uv
