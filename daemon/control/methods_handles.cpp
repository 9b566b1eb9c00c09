// The control methods about handles: expose and unexpose (this connection's
// handles: a handle belongs to the local connection that exposed it and
// goes away with it), call and send (to handles on peers). guides/control-api.md §6.
#include <utility>
#include <vector>

#include "control/connection.hpp"

namespace peernet {

void ControlClient::run(uint32_t msgid, control::ExposeParams p) {
  std::vector<PublicKey> allow;
  if (p.allow) {
    for (const std::string& name : *p.allow) {
      // An allow-list may name a key that is not trusted yet (exposing
      // before pairing); such a peer cannot reach the handle until then.
      auto key = resolve(name, false);
      if (!key) return respond(msgid, std::move(key).error());
      allow.push_back(*key);
    }
  }
  auto handler = make_handler();
  if (auto st = daemon_.expose(p.handle, id_, std::move(handler), std::move(allow)); !st) {
    Error e = std::move(st).error();
    if (e.code == Errc::handle_taken) {
      bool ours = false;
      for (const HandleInfo& h : daemon_.handles()) ours = ours || (h.name == p.handle && h.owner == id_);
      e.message = "handle " + quote(p.handle) + " is already exposed by " +
                  (ours ? "this client" : "another client");
    }
    return respond(msgid, std::move(e));
  }
  log_.debug(tag() + " exposed " + quote(p.handle));
  respond(msgid, control::encode_empty_result());
}

void ControlClient::run(uint32_t msgid, control::UnexposeParams p) {
  if (auto st = daemon_.unexpose(p.handle, id_); !st) {
    // Another client's handle is, for this one, a handle it did not expose.
    return respond(msgid, make_error(Errc::no_such_handle,
                                     "handle " + quote(p.handle) + " is not exposed by this client"));
  }
  respond(msgid, control::encode_empty_result());
}

void ControlClient::run(uint32_t msgid, control::CallParams p) {
  auto key = resolve(p.peer, true);
  if (!key) return respond(msgid, std::move(key).error());
  uint64_t token = next_token();
  // timeout 0 asks the Daemon for session.call_timeout.
  Status st = daemon_.call(*key, std::move(p.handle), std::move(p.args), p.timeout.value_or(0),
                           async_answer(token));
  if (!st) return respond(msgid, std::move(st).error());
  begin_async(token, msgid);
}

void ControlClient::run(uint32_t msgid, control::SendParams p) {
  auto key = resolve(p.peer, true);
  if (!key) return respond(msgid, std::move(key).error());
  Status st = daemon_.send(*key, std::move(p.handle), std::move(p.args));
  // Walkie-talkie: a drop is an answer ("dropped, and why"), not an error.
  if (!st && !control::is_drop_reason(st.error().code)) return respond(msgid, std::move(st).error());
  respond(msgid, control::encode_result(control::SendResult::from(st)));
}

}  // namespace peernet
