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
  c.start_call(msgid, p.peer, p.handle, p.args, p.timeout);
}

void ControlClient::on_call_request(const control::CallView& call) {
  // What on_request checks for any request (call needs no admin).
  if (outstanding_msgids_.count(call.msgid) != 0) {
    ++ctx_.counters.duplicate_msgids;
    return respond(call.msgid, make_error(Errc::bad_request,
                                          "msgid " + std::to_string(call.msgid) +
                                              " is that of a request still awaiting its response"));
  }
  start_call(call.msgid, call.peer, call.handle, call.args, call.timeout);
}

void ControlClient::start_call(uint32_t msgid, std::string_view peer, std::string_view handle, ByteView args,
                               std::optional<double> timeout) {
  auto key = resolve_cached(peer);
  if (!key) return respond(msgid, std::move(key).error());
  uint64_t token = next_token();
  // timeout 0 asks the Daemon for session.call_timeout.
  Status st = daemon_.call(*key, handle, args, timeout.value_or(0), async_answer(token));
  if (!st) return respond(msgid, std::move(st).error());
  begin_async(token, msgid);
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

void ControlClient::subscribe_refusals() {
  if (!refused_subscription_)
    refused_subscription_ = daemon_.subscribe_refused(
        [weak = weak_from_this()](const PublicKey& p, const std::string& h, const std::string& code) {
          if (auto self = weak.lock()) self->on_send_refused(p, h, code);
        });
}

void ControlClient::watch_send(const PublicKey& peer, const std::string& handle) {
  subscribe_refusals();
  auto it = std::find(sent_to_.begin(), sent_to_.end(), std::pair{peer, handle});
  if (it != sent_to_.end()) sent_to_.erase(it);
  sent_to_.emplace_back(peer, handle);
  if (sent_to_.size() > control::kMaxRefusalWatch) sent_to_.pop_front();
}

void ControlClient::on_send_refused(const PublicKey& peer, const std::string& handle, const std::string& code) {
  if (state_ != State::open) return;
  // A target this connection streams to: the refusal is one of its
  // streamed sends (which one the peer does not say).
  if (std::find(stream_targets_.begin(), stream_targets_.end(), std::pair{peer, handle}) != stream_targets_.end()) {
    auto self = shared_from_this();
    drop_streamed(std::nullopt, peer, handle, code,
                  "the peer has no handle " + quote(handle) + " for us");
    return;
  }
  if (std::find(sent_to_.begin(), sent_to_.end(), std::pair{peer, handle}) == sent_to_.end()) return;
  control::SendRefused n{peer, alias_of(peer), handle, code};
  auto self = shared_from_this();
  write(control::make_notification(n), Kind::notification);
}

// ---- Streamed sends ----
//
// A `send` notification is a send without an answer. The connection numbers
// them 1, 2, 3, … as it reads them; each is handed to the peer's session or
// reported dropped in a send.dropped notification, and send.flush answers
// the totals once the peers have read what was handed to them. A session
// whose write queue is half full makes the connection wait: it reads nothing
// more until the queue is down to a quarter, so a stream runs at the speed
// of the link with bounded memory, and is never dropped for being fast.

uint64_t ControlClient::number_streamed_send() {
  ++ctx_.counters.stream_sends;
  return ++stream_seq_;
}

void ControlClient::on_streamed_send(const control::SendView& v) {
  stream_send(number_streamed_send(), v.peer, v.handle, v.args);
}

void ControlClient::on_streamed_send(RpcNotification n) {
  const uint64_t seq = number_streamed_send();
  auto p = control::decode_params<control::SendParams>(n.params);
  if (!p) return drop_streamed(seq, std::nullopt, std::nullopt, to_string(p.error().code), p.error().message);
  stream_send(seq, p->peer, p->handle, p->args);
}

void ControlClient::stream_send(uint64_t seq, std::string_view peer_name, std::string_view handle, ByteView args) {
  auto key = resolve_cached(peer_name);
  if (!key) return drop_streamed(seq, std::nullopt, std::string(handle), to_string(key.error().code), key.error().message);
  stream_send_to(seq, *key, handle, args);
}

void ControlClient::stream_send_to(uint64_t seq, const PublicKey& peer, std::string_view handle, ByteView args) {
  Status st = daemon_.send_streamed(peer, handle, args);
  if (!st && st.error().code == Errc::busy) {
    // The session's queue is half full: wait for it, reading nothing more.
    ++ctx_.counters.stream_waits;
    stalled_ = StreamedSend{seq, peer, std::string(handle), Bytes(args.begin(), args.end())};
    if (!reading_paused_) {
      reading_paused_ = true;
      stream_.read_stop();
    }
    daemon_.when_writable(peer, [weak = weak_from_this()] {
      // From inside the session's callbacks: only schedule the retry.
      if (auto self = weak.lock())
        if (self->state_ == State::open && !self->resume_timer_.active())
          (void)self->resume_timer_.start(0, 0, [raw = self.get()] { raw->resume_stream(); });
    });
    return;
  }
  if (!st) return drop_streamed(seq, peer, std::string(handle), to_string(st.error().code), st.error().message);
  if (stream_peers_.empty() || stream_peers_.back() != peer) {
    if (std::find(stream_peers_.begin(), stream_peers_.end(), peer) == stream_peers_.end())
      stream_peers_.push_back(peer);
  }
  if (stream_targets_.empty() || stream_targets_.back().first != peer || stream_targets_.back().second != handle) {
    subscribe_refusals();
    auto it = std::find_if(stream_targets_.begin(), stream_targets_.end(),
                           [&](const auto& t) { return t.first == peer && t.second == handle; });
    if (it != stream_targets_.end()) stream_targets_.erase(it);
    stream_targets_.emplace_back(peer, std::string(handle));
    if (stream_targets_.size() > control::kMaxRefusalWatch) stream_targets_.pop_front();
  }
}

void ControlClient::resume_stream() {
  auto self = shared_from_this();
  if (!stalled_ || state_ != State::open) return;
  StreamedSend s = std::move(*stalled_);
  stalled_.reset();
  stream_send_to(s.seq, s.peer, s.handle, s.args);
  if (!stalled_) process_input();
}

void ControlClient::drop_streamed(std::optional<uint64_t> seq, const std::optional<PublicKey>& peer,
                                  const std::optional<std::string>& handle, std::string_view reason,
                                  std::string_view message) {
  ++stream_dropped_;
  ++ctx_.counters.stream_dropped;
  if (drop_run_ && drop_run_->peer == peer && drop_run_->handle == handle && drop_run_->reason == reason &&
      drop_run_->first.has_value() == seq.has_value() &&
      (!seq || *drop_run_->first + drop_run_->count == *seq)) {
    ++drop_run_->count;
    return;
  }
  if (drop_run_) emit_drops();
  control::SendDropped d;
  d.peer = peer;
  d.peer_name = peer ? alias_of(*peer) : std::nullopt;
  d.handle = handle;
  d.reason = std::string(reason);
  d.message = std::string(message.substr(0, control::kDefaultMaxMessage));
  d.first = seq;
  d.count = 1;
  drop_run_ = std::move(d);
  if (!flush_timer_.active())
    (void)flush_timer_.start(0, 0, [this] {
      auto self = shared_from_this();
      flush();
    });
}

void ControlClient::emit_drops() {
  if (!drop_run_ || state_ == State::closed) return;
  control::SendDropped d = std::move(*drop_run_);
  drop_run_.reset();
  emitting_drops_ = true;
  write(control::make_notification(d), Kind::notification);
  emitting_drops_ = false;
}

control::SendFlushResult ControlClient::flush_result(bool confirmed) const {
  return control::SendFlushResult{stream_seq_, stream_dropped_, confirmed};
}

template <>
void serve<control::method::SendFlush>(ControlClient& c, uint32_t msgid, control::SendFlushParams p) {
  // Everything streamed before this request has been handed to a session
  // or dropped (requests are read in order, and a waiting send stops the
  // reading). A ping round trip on each session then shows that the peer
  // has read those sends, and reported the ones it refused: its reports
  // travel ahead of its pong.
  std::vector<PublicKey> peers = std::move(c.stream_peers_);
  c.stream_peers_.clear();
  if (peers.empty()) return c.respond(msgid, control::encode_result(c.flush_result(true)));
  struct Pending {
    size_t left;
    bool confirmed = true;
  };
  auto pending = std::make_shared<Pending>(Pending{peers.size()});
  uint64_t token = c.next_token();
  c.begin_async(token, msgid);
  auto done = [weak = c.weak_from_this(), token, pending](bool ok) {
    pending->confirmed = pending->confirmed && ok;
    if (--pending->left > 0) return;
    if (auto self = weak.lock()) self->finish_async(token, control::encode_result(self->flush_result(pending->confirmed)));
  };
  double timeout = p.timeout.value_or(c.daemon_.config().session.call_timeout);
  for (const PublicKey& key : peers) {
    Status st = c.daemon_.ping(key, timeout, [done](Result<double> r) { done(r.ok()); });
    if (!st) done(false);
  }
}

namespace {
constexpr std::array kRoutes = {
    route<control::method::Expose>(),
    route<control::method::Unexpose>(),
    route<control::method::Call>(),
    route<control::method::Send>(),
    route<control::method::SendFlush>(),
};
}  // namespace

std::span<const ControlRoute> handle_routes() { return kRoutes; }

}  // namespace peernet
