#include "signal.hpp"

#include <memory>

namespace peernet::uv {
namespace {

struct SignalBlock final : detail::Block {
  uv_signal_t signal;
  std::function<void()> cb;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&signal); }
};

}  // namespace

Result<Signal> Signal::create(uv_loop_t* loop) {
  auto b = std::make_unique<SignalBlock>();
  if (int rc = uv_signal_init(loop, &b->signal); rc != 0) return error_from_uv(rc, "create signal watcher");
  detail::attach(b.get());
  Signal s;
  s.owner_ = detail::Owner(b.release());
  return s;
}

Status Signal::start(int signum, std::function<void()> cb) {
  auto* b = static_cast<SignalBlock*>(owner_.get());
  if (b == nullptr) return make_error(Errc::closed, "signal watcher is closed");
  b->cb = std::move(cb);
  int rc = uv_signal_start(
      &b->signal,
      [](uv_signal_t* s, int) {
        auto* sb = detail::block_of<SignalBlock>(reinterpret_cast<uv_handle_t*>(s));
        detail::invoke(*sb, sb->cb);
      },
      signum);
  if (rc != 0) return error_from_uv(rc, "watch signal " + std::to_string(signum));
  return {};
}

void Signal::stop() {
  if (auto* b = static_cast<SignalBlock*>(owner_.get())) uv_signal_stop(&b->signal);
}

}  // namespace peernet::uv
