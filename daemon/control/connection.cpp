#include "control/connection.hpp"

#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "base/constants.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"

namespace peernet {

// The Handler the Daemon routes a peer's call or send to. It holds the
// client weakly: a call that races with the client's disconnect finds it
// gone, and the Responder, destroyed unanswered, answers handler_failed.
class ControlClient::ExposedHandler final : public Handler {
 public:
  explicit ExposedHandler(std::weak_ptr<ControlClient> client) : client_(std::move(client)) {}
  void on_call(IncomingCall call) override {
    if (auto c = client_.lock()) c->deliver_call(std::move(call));
  }
  void on_send(IncomingSend send) override {
    if (auto c = client_.lock()) c->deliver_send(std::move(send));
  }
  bool congested() const override {
    auto c = client_.lock();
    return c && c->congested();
  }
  void when_drained(std::function<void()> resume) override {
    if (auto c = client_.lock()) c->when_drained(std::move(resume));
  }

 private:
  std::weak_ptr<ControlClient> client_;
};

std::shared_ptr<Handler> ControlClient::make_handler() {
  return std::make_shared<ExposedHandler>(weak_from_this());
}

ControlClient::ControlClient(ControlContext& ctx, uint64_t id, uv::PipeStream stream,
                             uv::PeerCred cred, bool admin)
    : ctx_(ctx),
      daemon_(*ctx.daemon),
      log_(*ctx.log),
      id_(id),
      cred_(cred),
      admin_(admin),
      stream_(std::move(stream)),
      decoder_(ctx.max_message),
      drain_timer_(ctx.loop),
      flush_timer_(ctx.loop),
      call_deadlines_(
          ctx.loop,
          [this](uint64_t msgid, uint64_t token) {
            auto it = outbound_.find(static_cast<uint32_t>(msgid));
            return it != outbound_.end() && it->second.token == token;
          },
          [this](std::vector<uint64_t> msgids) { expire_calls(std::move(msgids)); }),
      resume_timer_(ctx.loop) {}

ControlClient::~ControlClient() {
  // The server is being destroyed with this client still connected: let
  // go of everything held in the Daemon, answering nobody on the socket.
  if (state_ == State::open) release();
  ctx_.queued_total -= std::min(ctx_.queued_total, accounted_);
  ctx_.counters.queued_bytes = ctx_.queued_total;
}

std::string ControlClient::tag() const {
  return "control client " + std::to_string(id_) + " (uid " + std::to_string(cred_.uid) +
         ", pid " + std::to_string(cred_.pid) + ")";
}

Status ControlClient::start() {
  return stream_.read_start([this](ByteView data) { on_data(data); }, [this] { on_eof(); },
                            [this](const Error& e) {
                              auto self = shared_from_this();
                              close("disconnected: " + e.describe(), LogLevel::debug);
                            });
}

// ---- Reading ----

void ControlClient::on_data(ByteView data) {
  auto self = shared_from_this();
  // Decoded in place, in libuv's buffer.
  if (auto st = decoder_.feed(data); !st)
    return close("sent unreadable input: " + st.error().describe() + "; closing", LogLevel::notice);
  process_input();
  // Stopped mid-chunk (backpressure): the buffer goes back to libuv when we
  // return, so the rest is copied, to be decoded when reading resumes.
  if (state_ != State::closed && !decoder_.unread().empty()) {
    ByteView rest = decoder_.unread();
    inbox_.assign(rest.begin(), rest.end());
    decoder_.relocate(inbox_);
  }
}

bool ControlClient::over_budget() const {
  size_t queued = queued_bytes();
  return queued > ctx_.pause_reading_above || (queued > 0 && ctx_.queued_total > ctx_.write_budget);
}

void ControlClient::process_input() {
  while (state_ == State::open) {
    // A streamed send waits for its session's queue (resume_stream).
    if (stalled_) return;
    if (over_budget()) {
      // Its answers pile up: read no more of its requests until they drain
      // (maybe_resume_reading, on each completed write).
      if (!reading_paused_) {
        reading_paused_ = true;
        ++ctx_.counters.reads_paused;
        stream_.read_stop();
      }
      return;
    }
    if (decoder_.at_message_start()) {
      // Streamed sends, the bulk of a busy connection, are read in place,
      // without scanning for their end first.
      size_t length = 0;
      if (auto send = control::read_streamed_send_at(decoder_.unread(), decoder_.limits(), length);
          send && length <= decoder_.max_message()) {
        decoder_.skip(length);
        on_streamed_send(*send);
        continue;
      }
    }
    auto raw = decoder_.next_raw();
    if (!raw) return close("sent unreadable input: " + raw.error().describe() + "; closing", LogLevel::notice);
    if (!*raw) break;
    // A streamed send that straddled two reads.
    if (auto send = control::read_streamed_send(**raw, decoder_.limits())) {
      on_streamed_send(*send);
      continue;
    }
    if (auto call = control::read_call_request(**raw, decoder_.limits())) {
      on_call_request(*call);
      continue;
    }
    auto m = decoder_.decode(**raw);
    if (!m) {
      if (decoder_.failed())
        return close("sent unreadable input: " + m.error().describe() + "; closing",
                     LogLevel::notice);
      // A complete value that is not a valid message: the stream is still
      // in sync, so answer it when it had a msgid and keep reading.
      ++ctx_.counters.bad_requests;
      if (auto msgid = decoder_.bad_msgid())
        write(control::error_response(*msgid, m.error()), Kind::response);
      else
        log_.debug(tag() + ": " + m.error().describe() + ", ignoring");
      continue;
    }
    dispatch(std::move(**m));
  }
  if (state_ == State::open && reading_paused_) {
    // The chunk is used up and the answers drained: read again.
    reading_paused_ = false;
    if (auto st = start(); !st) close("disconnected: " + st.error().describe(), LogLevel::debug);
  }
}

void ControlClient::maybe_resume_reading() {
  if (!reading_paused_ || state_ != State::open) return;
  size_t queued = queued_bytes();
  // Hysteresis: down to half its own bound, and the daemon's total down to
  // three quarters of the budget (or nothing left of its own).
  if (queued > ctx_.pause_reading_above / 2) return;
  if (queued > 0 && ctx_.queued_total > ctx_.write_budget / 4 * 3) return;
  process_input();
}

void ControlClient::account() {
  size_t now = state_ == State::closed ? 0 : queued_bytes();
  ctx_.queued_total = ctx_.queued_total + now - accounted_;
  accounted_ = now;
  ctx_.counters.queued_bytes = ctx_.queued_total;
}

void ControlClient::on_eof() {
  auto self = shared_from_this();
  // The client will send nothing more, but may still read the answers to
  // what it sent (`printf REQUEST | socat - UNIX:…`).
  log_.debug(tag() + " closed its end");
  begin_drain(false);
}

void ControlClient::dispatch(RpcMessage message) {
  if (auto* req = std::get_if<RpcRequest>(&message)) return on_request(std::move(*req));
  if (auto* resp = std::get_if<RpcResponse>(&message)) return on_response(std::move(*resp));
  on_notification(std::move(std::get<RpcNotification>(message)));
}

void ControlClient::on_notification(RpcNotification n) {
  // `send` is the one notification a client sends (control-api.md §2).
  if (n.method == control::method::kSend) return on_streamed_send(std::move(n));
  ++ctx_.counters.bad_requests;
  log_.debug(tag() + ": notification " + quote(n.method) + ", ignoring");
}

void ControlClient::on_request(RpcRequest req) {
  const control::MethodInfo* info =
      control::find_method(req.method, control::Direction::to_daemon);
  if (info == nullptr || info->type != RpcType::request)
    return respond(req.msgid, make_error(Errc::unsupported, "no method " + quote(req.method)));
  if (info->admin && !admin_)
    return respond(req.msgid,
                   make_error(Errc::forbidden,
                              std::string(info->name) + ": uid " + std::to_string(cred_.uid) +
                                  " is not an admin (root, the daemon's uid, or a member of "
                                  "control.admin_group)"));
  if (outstanding_msgids_.count(req.msgid) != 0) {
    // Never run: the request in flight with this msgid goes on.
    ++ctx_.counters.duplicate_msgids;
    return respond(req.msgid, make_error(Errc::bad_request,
                                         "msgid " + std::to_string(req.msgid) +
                                             " is that of a request still awaiting its response"));
  }
  const ControlRoute* route = find_route(info->name);
  if (route == nullptr)
    return respond(req.msgid, make_error(Errc::unsupported, "no method " + quote(req.method)));
  route->run(*this, req.msgid, req.params);
}

const ControlRoute* find_route(std::string_view method) {
  for (auto routes : {peer_routes(), handle_routes(), operator_routes()})
    for (const ControlRoute& r : routes)
      if (r.method == method) return &r;
  return nullptr;
}

// ---- Writing ----

// Messages are encoded into one output buffer, written (one write for all
// of them) at the end of this loop iteration: a client that pipelines
// requests, or a peer whose sends arrive together, costs one write per
// batch, not per message. The cap (on that buffer plus the stream's queue)
// bounds what a client that never reads can make the daemon hold: beyond
// it, a handle.call is refused (the caller
// gets `busy`), and a response that cannot be queued ends the connection,
// since every request must be answered. Notifications (handle.send, peer
// events) may go up to kControlQueueFactor times the cap: the sessions
// delivering sends pause at half the cap (congested()), but finish the
// chunk they are reading; beyond that the client is not reading at all and
// notifications are dropped. A message is always accepted when nothing is
// queued, so one maximal response always fits.
template <class Encode>
bool ControlClient::write_with(Kind kind, const Encode& encode, Bytes* payload) {
  if (state_ == State::closed) return false;
  // Drops collected so far go first: a send.flush answer, say, follows
  // every drop of the sends before it.
  if (drop_run_ && !emitting_drops_) emit_drops();
  if (out_.empty() || !out_tail_shared_) {
    out_.emplace_back();
    // About what the last batch took, so that a busy stream of
    // deliveries does not grow its buffer step by step each time.
    out_.back().reserve(std::min(last_batch_bytes_, size_t{256} << 10));
    out_tail_shared_ = true;
  }
  const size_t before = out_bytes_;
  const size_t tail_before = out_.back().size();
  encode(out_.back());
  const size_t size = out_.back().size() - tail_before + (payload != nullptr ? payload->size() : 0);
  const size_t queued = stream_.write_queue_bytes() + before;
  const size_t limit = ctx_.write_queue_cap * (kind == Kind::notification ? kControlQueueFactor : 1);
  if (queued > 0 && queued + size > limit) {
    out_.back().resize(tail_before);
    if (out_.back().empty()) {
      out_.pop_back();
      out_tail_shared_ = false;
    }
    switch (kind) {
      case Kind::notification:
        ++ctx_.counters.notifications_dropped;
        if (!warned_dropping_) {
          warned_dropping_ = true;
          log_.warning(tag() + " is not reading (" + std::to_string(queued) +
                       " bytes queued); dropping notifications to it");
        }
        return false;
      case Kind::request:
        return false;
      case Kind::response:
        ++ctx_.counters.clients_cut_off;
        close("is not reading its responses (" + std::to_string(queued) +
                  " bytes queued); disconnecting",
              LogLevel::warning);
        return false;
    }
  }
  out_bytes_ += size;
  shared_bytes_ += out_.back().size() - tail_before;
  if (payload != nullptr) {
    // Its own buffer, moved: written with the others in one writev.
    out_.push_back(std::move(*payload));
    out_tail_shared_ = false;
  }
  if (!flush_timer_.active()) {
    // A zero timeout runs first thing in the loop's next iteration, after
    // this one's callbacks and before it waits for I/O again.
    (void)flush_timer_.start(0, 0, [this] {
      auto self = shared_from_this();
      flush();
    });
  }
  account();
  return true;
}

bool ControlClient::write(const RpcMessage& message, Kind kind) {
  return write_with(kind, [&](Bytes& out) { encode_to(out, message); });
}

size_t ControlClient::queued_bytes() const { return stream_.write_queue_bytes() + out_bytes_; }

void ControlClient::flush() {
  flush_timer_.stop();
  if (drop_run_) emit_drops();
  if (out_.empty() || state_ == State::closed) return;
  std::vector<Bytes> buffers = std::move(out_);
  out_.clear();
  // The shared buffers' bytes, not the payloads that travel on their own.
  last_batch_bytes_ = shared_bytes_;
  shared_bytes_ = 0;
  out_bytes_ = 0;
  out_tail_shared_ = false;
  auto st = stream_.write(std::move(buffers), [this](Status done) {
    auto self = shared_from_this();
    if (!done) return close("disconnected: " + done.error().describe(), LogLevel::debug);
    account();
    if (!drained_waiters_.empty() && queued_bytes() <= ctx_.write_queue_cap / 4) resume_senders();
    maybe_resume_reading();
  });
  if (!st) close("disconnected: " + st.error().describe(), LogLevel::debug);
  account();
}

void ControlClient::respond(uint32_t msgid, Result<Bytes> result) {
  if (result) {
    write(control::result_response(msgid, std::move(*result)), Kind::response);
    return;
  }
  Errc code = result.error().code;
  if (code == Errc::bad_request || code == Errc::unsupported || code == Errc::forbidden)
    ++ctx_.counters.bad_requests;
  write(control::error_response(msgid, result.error()), Kind::response);
}

std::function<void(Result<Bytes>)> ControlClient::async_answer(uint64_t token) {
  return [weak = weak_from_this(), token](Result<Bytes> r) {
    if (auto self = weak.lock()) self->finish_async(token, std::move(r));
  };
}

void ControlClient::finish_async(uint64_t token, Result<Bytes> result) {
  auto it = outstanding_.find(token);
  if (it == outstanding_.end()) return;  // answered `cancelled` already
  uint32_t msgid = it->second;
  outstanding_.erase(it);
  if (auto m = outstanding_msgids_.find(msgid); m != outstanding_msgids_.end()) outstanding_msgids_.erase(m);
  respond(msgid, std::move(result));
  maybe_finish_drain();
}

// ---- Closing ----

void ControlClient::drain() { begin_drain(true); }

void ControlClient::begin_drain(bool cancel_outstanding) {
  if (state_ == State::closed) return;
  auto self = shared_from_this();
  if (state_ == State::open) {
    if (stalled_) {
      // Still ours to account for: it will not be sent.
      StreamedSend s = std::move(*stalled_);
      stalled_.reset();
      drop_streamed(s.seq, s.peer, s.handle, to_string(Errc::closed),
                    cancel_outstanding ? "the daemon is shutting down" : "the connection is closing");
    }
    state_ = State::draining;
    stream_.read_stop();
    release();
  }
  if (cancel_outstanding) {
    auto pending = std::move(outstanding_);
    outstanding_.clear();
    outstanding_msgids_.clear();
    for (const auto& [token, msgid] : pending)
      respond(msgid, make_error(Errc::cancelled, "the daemon is shutting down"));
  }
  maybe_finish_drain();
}

// Once every request is answered: half-close after the queued responses
// and close when that is done, or when the client has not read them in time.
void ControlClient::maybe_finish_drain() {
  if (state_ != State::draining || !outstanding_.empty() || drain_timer_.active()) return;
  flush();
  if (state_ == State::closed) return;
  (void)drain_timer_.start(ctx_.drain_timeout_ms, 0, [this] {
    auto self = shared_from_this();
    close("did not read its last responses in time; closing", LogLevel::info);
  });
  auto st = stream_.shutdown([this](Status) {
    auto self = shared_from_this();
    close({}, LogLevel::debug);
  });
  if (!st) close({}, LogLevel::debug);
}

void ControlClient::close(std::string_view why, LogLevel level) {
  if (state_ == State::closed) return;
  // on_closed() makes the server drop its reference.
  auto self = weak_from_this().lock();
  if (!why.empty()) log_.log(level, tag() + " " + std::string(why));
  bool was_open = state_ == State::open;
  state_ = State::closed;
  stream_.close();
  drain_timer_.close();
  flush_timer_.close();
  resume_timer_.close();
  stalled_.reset();
  drop_run_.reset();
  out_.clear();
  out_bytes_ = 0;
  shared_bytes_ = 0;
  outstanding_.clear();
  outstanding_msgids_.clear();
  account();
  if (was_open) release();
  log_.debug(tag() + " disconnected");
  if (ctx_.on_closed) ctx_.on_closed(id_);
}

// Lets go of everything this connection holds in the Daemon.
void ControlClient::release() {
  size_t n = daemon_.release_owner(id_);
  if (n > 0) log_.debug(tag() + ": released " + std::to_string(n) + " handle(s)");
  if (subscription_) daemon_.unsubscribe(*subscription_);
  subscription_.reset();
  if (refused_subscription_) daemon_.unsubscribe_refused(*refused_subscription_);
  refused_subscription_.reset();
  events_.reset();
  // Sessions paused for this client read again: their sends now find no
  // handle and are dropped as for any missing one.
  resume_senders();
  auto calls = std::move(outbound_);
  outbound_.clear();
  call_deadlines_.clear();
  for (auto& [msgid, call] : calls)
    call.responder.fail(to_string(Errc::handler_failed),
                        "the local program exposing " + quote(call.handle) +
                            " went away without answering");
}

// ---- From the Daemon ----

uint32_t ControlClient::next_outbound_msgid() {
  // Our msgids are ours alone (control-api.md §1); skip any still waiting
  // for an answer after a wrap-around.
  do ++last_outbound_msgid_;
  while (outbound_.count(last_outbound_msgid_) != 0);
  return last_outbound_msgid_;
}

std::optional<std::string> ControlClient::alias_of(const PublicKey& key) const {
  const TrustedPeer* tp = daemon_.trust().find(key);
  if (tp == nullptr || tp->name.empty()) return std::nullopt;
  return tp->name;
}

void ControlClient::deliver_call(IncomingCall call) {
  auto self = shared_from_this();
  if (state_ != State::open)
    return call.responder.fail(to_string(Errc::handler_failed),
                               "the local program exposing " + quote(call.handle) + " is leaving");
  uint32_t msgid = next_outbound_msgid();
  // The part after the msgid up to the handle is the same for every call of a peer.
  const Bytes& prefix = delivery_prefix(call_prefix_, call.peer, control::handle_call_prefix);
  if (!write_with(Kind::request, [&](Bytes& out) {
        control::append_handle_call(out, msgid, prefix, call.handle, call.args);
      })) {
    call.responder.fail(to_string(Errc::busy), "the local program exposing " + quote(call.handle) +
                                                   " is not reading its calls");
    return;
  }
  std::string handle = std::move(call.handle);
  // The caller's own timeout is not known here (the peer protocol does not
  // carry it), so the configured default bounds how long the call is held.
  double timeout_s = daemon_.config().session.call_timeout;
  uint64_t token = call_deadlines_.add(msgid, call_deadlines_.deadline_in(seconds_to_ms(timeout_s)));
  outbound_.emplace(msgid, OutboundCall{std::move(call.responder), std::move(handle), token, timeout_s});
}

void ControlClient::expire_calls(std::vector<uint64_t> msgids) {
  auto self = shared_from_this();
  std::vector<OutboundCall> expired;
  expired.reserve(msgids.size());
  for (uint64_t msgid : msgids) {
    auto found = outbound_.find(static_cast<uint32_t>(msgid));
    expired.push_back(std::move(found->second));
    outbound_.erase(found);
  }
  for (OutboundCall& call : expired)
    call.responder.fail(to_string(Errc::timeout), "the local program exposing " + quote(call.handle) +
                                                      " did not answer within " + format_number(call.timeout_s) + " s");
}

void ControlClient::on_response(RpcResponse resp) {
  auto it = outbound_.find(resp.msgid);
  if (it == outbound_.end()) {
    // Too late (timed out) or never asked: the caller has its answer.
    log_.debug(tag() + ": answer to no pending handle.call (msgid " +
               std::to_string(resp.msgid) + "), ignoring");
    return;
  }
  OutboundCall call = std::move(it->second);
  outbound_.erase(it);
  call_deadlines_.forget();
  auto answer = control::decode_handler_answer(resp);
  if (!answer) {
    log_.info(tag() + ": malformed answer to a call of " + quote(call.handle) + ": " +
              answer.error().message + "; the caller gets handler_failed");
    return call.responder.fail(to_string(Errc::handler_failed),
                               "malformed answer from the local handler: " +
                                   answer.error().message);
  }
  if (answer->error) return call.responder.fail(answer->error->code, answer->error->message);
  call.responder.reply(std::move(answer->result));
}

// Sends to this client's handles are delivered as long as the client reads
// them: above half the write-queue cap the client is congested, and the
// sessions that deliver to it pause (Daemon's on_send) until the queue is
// down to a quarter, so that a notification the peer was told is
// delivered is not dropped here for a slow reader.
bool ControlClient::congested() const {
  return state_ == State::open && queued_bytes() > ctx_.write_queue_cap / 2;
}

void ControlClient::when_drained(std::function<void()> resume) {
  if (state_ != State::open) return resume();
  drained_waiters_.push_back(std::move(resume));
}

void ControlClient::resume_senders() {
  std::vector<std::function<void()>> waiters;
  waiters.swap(drained_waiters_);
  for (auto& resume : waiters) resume();
}

void ControlClient::deliver_send(IncomingSend send) {
  auto self = shared_from_this();
  if (state_ != State::open) return;
  // The part before the handle is the same for every send of a peer.
  const Bytes& prefix = delivery_prefix(send_prefix_, send.peer, control::handle_send_prefix);
  if (send.args.size() >= kSeparatePayload) {
    // A large payload is not copied again: its buffer is written as is.
    write_with(
        Kind::notification, [&](Bytes& out) { control::append_handle_send_head(out, prefix, send.handle); },
        &send.args);
    return;
  }
  write_with(Kind::notification,
             [&](Bytes& out) { control::append_handle_send(out, prefix, send.handle, send.args); });
}

}  // namespace peernet
