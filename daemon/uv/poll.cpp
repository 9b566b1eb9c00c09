#include "poll.hpp"

#include <unistd.h>

#include <memory>

namespace peernet::uv {
namespace {

struct PollBlock final : detail::Block {
  uv_poll_t poll;
  int fd = -1;
  Poll::Callback cb;
  ~PollBlock() override {
    if (fd >= 0) ::close(fd);
  }
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&poll); }
};

}  // namespace

Result<Poll> Poll::create(uv_loop_t* loop, int fd) {
  auto b = std::make_unique<PollBlock>();
  b->fd = fd;
  if (int rc = uv_poll_init(loop, &b->poll, fd); rc != 0) return error_from_uv(rc, "poll descriptor");
  detail::attach(b.get());
  Poll p;
  p.owner_ = detail::Owner(b.release());
  return p;
}

Status Poll::start_readable(Callback cb) {
  auto* b = static_cast<PollBlock*>(owner_.get());
  if (b == nullptr) return make_error(Errc::closed, "poll handle is closed");
  b->cb = std::move(cb);
  int rc = uv_poll_start(&b->poll, UV_READABLE, [](uv_poll_t* p, int status, int) {
    auto* pb = detail::block_of<PollBlock>(reinterpret_cast<uv_handle_t*>(p));
    Status st;
    if (status < 0) st = error_from_uv(status, "poll");
    detail::invoke(*pb, pb->cb, std::move(st));
  });
  if (rc != 0) return error_from_uv(rc, "start polling");
  return {};
}

int Poll::fd() const {
  auto* b = static_cast<PollBlock*>(owner_.get());
  return b == nullptr ? -1 : b->fd;
}

}  // namespace peernet::uv
