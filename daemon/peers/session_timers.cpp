#include "peers/session_timers.hpp"

#include <algorithm>

namespace peernet {

SessionTimers::SessionTimers(uv_loop_t* loop, const SessionTimerSettings& settings,
                             SessionTimerEvents& events)
    : loop_(loop),
      settings_(settings),
      events_(events),
      deadline_(loop),
      ping_(loop),
      dead_(loop),
      rekey_(loop) {}

void SessionTimers::on_connection_opened() {
  last_received_ms_ = uv_now(loop_);
  // Starting a timer only fails on a closed handle, and ours live as long
  // as this object; the same holds below.
  (void)deadline_.start(settings_.handshake_timeout_ms, 0, [this] { events_.on_deadline_expired(); });
}

void SessionTimers::on_handshake_complete() {
  deadline_.stop();
  (void)ping_.start(settings_.ping_interval_ms, settings_.ping_interval_ms, [this] { events_.on_ping_due(); });
  arm_dead_peer(settings_.dead_after_ms);
  if (settings_.rekey_after_ms > 0)
    (void)rekey_.start(settings_.rekey_after_ms, settings_.rekey_after_ms, [this] { events_.on_rekey_due(); });
}

void SessionTimers::arm_dead_peer(uint64_t in_ms) {
  (void)dead_.start(in_ms, 0, [this] {
    // Fires at most once per dead_after while data flows: if something
    // arrived meanwhile, wait for the rest of the bound from that moment.
    uint64_t silent = uv_now(loop_) - last_received_ms_;
    if (silent >= settings_.dead_after_ms) {
      events_.on_peer_dead();
      return;
    }
    arm_dead_peer(settings_.dead_after_ms - silent);
  });
}

void SessionTimers::on_session_closing() {
  ping_.stop();
  dead_.stop();
  rekey_.stop();
  (void)deadline_.start(settings_.handshake_timeout_ms, 0, [this] { events_.on_deadline_expired(); });
}

void SessionTimers::on_session_closed() {
  deadline_.stop();
  ping_.stop();
  dead_.stop();
  rekey_.stop();
}

uint64_t ReconnectBackoff::ceiling_ms() const {
  // min * 2^attempt without overflow: stop doubling once past the cap.
  uint64_t ceiling = std::max<uint64_t>(min_ms_, 1);
  for (uint32_t i = 0; i < attempt_ && ceiling < max_ms_; ++i) ceiling *= 2;
  return std::min(ceiling, max_ms_);
}

uint64_t ReconnectBackoff::next_delay_ms(Rng& rng) {
  uint64_t ceiling = ceiling_ms();
  if (attempt_ < 64) ++attempt_;
  // The modulo bias is below 2^-40 for any ceiling we use.
  return rng.next_u64() % (ceiling + 1);
}

}  // namespace peernet
