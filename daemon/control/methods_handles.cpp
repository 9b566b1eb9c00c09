// The control methods about handles: expose and unexpose (this connection's
// handles: a handle belongs to the local connection that exposed it and
// goes away with it), call and send (to handles on peers). guides/control-api.md §6.
#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "control/connection.hpp"

namespace peernet {

template <>
void serve<control::method::Expose>(ControlClient& c, uint32_t msgid, control::ExposeParams p) {
  std::vector<PublicKey> allow;
  if (p.allow) {
    for (const std::string& name : *p.allow) {
      // An allow-list may name a key that is not trusted yet (exposing
      // before pairing); such a peer cannot reach the handle until then.
      auto key = c.resolve(name, false);
      if (!key) return c.respond(msgid, std::move(key).error());
      allow.push_back(*key);
    }
  }
  auto handler = c.make_handler();
  if (auto st = c.daemon_.expose(p.handle, c.id_, std::move(handler), std::move(allow)); !st) {
    Error e = std::move(st).error();
    if (e.code == Errc::handle_taken) {
      bool ours = false;
      for (const HandleInfo& h : c.daemon_.handles())
        ours = ours || (h.name == p.handle && h.owner == c.id_);
      e.message = "handle " + quote(p.handle) + " is already exposed by " +
                  (ours ? "this client" : "another client");
    }
    return c.respond(msgid, std::move(e));
  }
  c.log_.debug(c.tag() + " exposed " + quote(p.handle));
  c.respond(msgid, control::encode_empty_result());
}

template <>
void serve<control::method::Unexpose>(ControlClient& c, uint32_t msgid, control::UnexposeParams p) {
  if (auto st = c.daemon_.unexpose(p.handle, c.id_); !st) {
    // Another client's handle is, for this one, a handle it did not expose.
    return c.respond(msgid, make_error(Errc::no_such_handle,
                                       "handle " + quote(p.handle) + " is not exposed by this client"));
  }
  c.respond(msgid, control::encode_empty_result());
}

template <>
void serve<control::method::Call>(ControlClient& c, uint32_t msgid, control::CallParams p) {
  auto key = c.resolve(p.peer, true);
  if (!key) return c.respond(msgid, std::move(key).error());
  uint64_t token = c.next_token();
  // timeout 0 asks the Daemon for session.call_timeout.
  Status st = c.daemon_.call(*key, std::move(p.handle), std::move(p.args), p.timeout.value_or(0),
                             c.async_answer(token));
  if (!st) return c.respond(msgid, std::move(st).error());
  c.begin_async(token, msgid);
}

template <>
void serve<control::method::Send>(ControlClient& c, uint32_t msgid, control::SendParams p) {
  auto key = c.resolve(p.peer, true);
  if (!key) return c.respond(msgid, std::move(key).error());
  std::string handle = p.handle;
  Status st = c.daemon_.send(*key, std::move(p.handle), std::move(p.args));
  if (st) c.watch_send(*key, handle);
  // Walkie-talkie: a drop is an answer ("dropped, and why"), not an error.
  if (!st && !control::is_drop_reason(st.error().code)) return c.respond(msgid, std::move(st).error());
  c.respond(msgid, control::encode_result(control::SendResult::from(st)));
}

void ControlClient::watch_send(const PublicKey& peer, const std::string& handle) {
  if (!refused_subscription_)
    refused_subscription_ = daemon_.subscribe_refused(
        [weak = weak_from_this()](const PublicKey& p, const std::string& h, const std::string& code) {
          if (auto self = weak.lock()) self->on_send_refused(p, h, code);
        });
  auto it = std::find(sent_to_.begin(), sent_to_.end(), std::pair{peer, handle});
  if (it != sent_to_.end()) sent_to_.erase(it);
  sent_to_.emplace_back(peer, handle);
  if (sent_to_.size() > control::kMaxRefusalWatch) sent_to_.pop_front();
}

void ControlClient::on_send_refused(const PublicKey& peer, const std::string& handle, const std::string& code) {
  if (state_ != State::open) return;
  if (std::find(sent_to_.begin(), sent_to_.end(), std::pair{peer, handle}) == sent_to_.end()) return;
  control::SendRefused n{peer, alias_of(peer), handle, code};
  auto self = shared_from_this();
  write(control::make_notification(n), Kind::notification);
}

namespace {
constexpr std::array kRoutes = {
    route<control::method::Expose>(),
    route<control::method::Unexpose>(),
    route<control::method::Call>(),
    route<control::method::Send>(),
};
}  // namespace

std::span<const ControlRoute> handle_routes() { return kRoutes; }

}  // namespace peernet
