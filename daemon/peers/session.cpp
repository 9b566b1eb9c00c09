#include "peers/session.hpp"

#include <utility>

#include "base/constants.hpp"
#include "proto/peer_id.hpp"
#include "proto/overloaded.hpp"

namespace peernet {
namespace {

// The Errc a close reason stands for, when it names one ("timeout",
// "untrusted_peer", ...); Errc::closed for the others ("shutdown", ...).
Errc errc_of_reason(std::string_view reason) {
  auto code = errc_from_string(reason);
  return code ? *code : Errc::closed;
}

}  // namespace

std::string_view to_string(Session::State s) {
  switch (s) {
    case Session::State::handshaking: return "handshaking";
    case Session::State::open: return "open";
    case Session::State::closing: return "closing";
    case Session::State::closed: return "closed";
  }
  return "unknown";
}

Result<std::unique_ptr<Session>> Session::create(uv_loop_t* loop, uv::TcpStream stream, Params params,
                                                 SessionHost& host, Rng& rng, Logger& log) {
  LinkConfig lc;
  lc.initiator = params.initiator;
  lc.local = *params.local;
  lc.hello = params.hello;
  lc.max_envelope = params.settings.max_envelope;
  lc.rekey_after_messages = params.settings.rekey_after_messages;
  PEERNET_TRY(Link link, Link::create(std::move(lc), rng));
  return std::unique_ptr<Session>(
      new Session(loop, std::move(stream), std::move(params), std::move(link), host, rng, log));
}

Session::Session(uv_loop_t* loop, uv::TcpStream stream, Params params, Link link, SessionHost& host, Rng& rng,
                 Logger& log)
    : loop_(loop),
      stream_(std::move(stream)),
      params_(std::move(params)),
      host_(host),
      rng_(rng),
      log_(log),
      link_(std::move(link)),
      timers_(loop, params_.settings.timers, *this),
      notify_(loop),
      flush_timer_(loop),
      self_(std::make_shared<Session*>(this)),
      created_at_ms_(uv_now(loop)) {
  // The Link asks once per handshake (link.hpp); the host decides.
  check_ = [this](const PublicKey& key, const Hello& hello) -> Status {
    Status st = host_.on_session_check(*this, key, hello);
    rejected_ = !st.ok();
    return st;
  };
  if (auto a = stream_.peer_address()) remote_addr_ = *a;
  if (auto a = stream_.local_address()) local_addr_ = *a;
}

// Members close their handles; no callback of this session runs afterwards.
Session::~Session() { *self_ = nullptr; }

std::string Session::describe() const {
  return "session " + std::to_string(params_.id) + " " + remote_addr_.to_string();
}

size_t Session::queued_bytes() const { return link_.queued_bytes() + stream_.write_queue_bytes(); }

Status Session::start_reading() {
  return stream_.read_start([this](ByteView data) { on_read(data); }, [this] { on_eof(); },
                            [this](const Error& e) { abort(e); });
}

std::function<void()> Session::pause_reading() {
  if (paused_ || state_ == State::closed || remote_done_) return {};
  paused_ = true;
  stream_.read_stop();
  return [weak = std::weak_ptr<Session*>(self_)] {
    if (auto self = weak.lock(); self && *self) (*self)->resume_reading();
  };
}

void Session::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  // After a failure or the remote's end, reading stays stopped.
  if (state_ == State::closed || remote_done_) return;
  if (auto st = start_reading(); !st) abort(std::move(st).error());
}

void Session::start() {
  timers_.on_connection_opened();
  if (auto st = start_reading(); !st) return abort(std::move(st).error());
  if (params_.initiator) {
    if (auto s = link_.start(); !s) return abort(std::move(s).error());
    flush();
  }
}

void Session::on_read(ByteView data) {
  counters_.bytes_in += data.size();
  timers_.on_data_received();
  if (state_ == State::closed) return;
  Link::Received got;
  Status st = link_.receive(data, check_, got);
  if (got.established && !rejected_ && state_ == State::handshaking) {
    state_ = State::open;
    established_at_ms_ = uv_now(loop_);
    flush();  // message 3, before anything the host sends
    // The responder judged the initiator last: the session is accepted on
    // both sides, and its first transport message (a ping, unless the host
    // sends something first in this same iteration) tells the initiator so.
    // The initiator waits for that message, under the handshake deadline.
    if (!params_.initiator) {
      confirm();
      if (state_ == State::open) on_ping_due();
    }
  }
  for (Envelope& e : got.envelopes) {
    if (state_ == State::closed) return;
    dispatch(std::move(e));
  }
  if (!st) return fail(std::move(st).error());
  flush();
}

void Session::confirm() {
  confirmed_ = true;
  timers_.on_handshake_complete();
  host_.on_session_established(*this);
}

void Session::dispatch(Envelope&& e) {
  ++counters_.envelopes_in;
  if (!confirmed_ && state_ == State::open) {
    // A `duplicate` close accepted us: the responder keeps another session
    // to us (protocol.md §7), which the tie-break here settles too.
    if (auto* c = std::get_if<Close>(&e); c != nullptr && c->reason != kReasonDuplicate) {
      // The responder refused us after message 3 (protocol.md §3): to us
      // the session never existed.
      remote_closed_ = true;
      remote_done_ = true;
      remote_close_reason_ = c->reason;
      std::string who = remote() ? peer_id_text(*remote()) + " (fingerprint " + fingerprint(*remote()) + ") at " +
                                       remote_addr_.to_string()
                                 : remote_addr_.to_string();
      if (c->reason == kReasonUntrusted)
        return abort(make_error(Errc::untrusted_peer,
                                who + " does not trust this daemon; to pair, run there: peernetctl pair " +
                                    peer_id_text(params_.local->pub)));
      return abort(make_error(errc_of_reason(c->reason),
                              "refused by " + who + ": " + c->reason + (c->message.empty() ? "" : ": " + c->message)));
    }
    confirm();
    // The host may have closed it as a duplicate, which still delivers
    // what arrives (draining): go on below.
    if (state_ == State::closed) return;
  }
  if (log_.enabled(LogLevel::debug))
    log_.debug(describe() + ": received " + std::string(to_string(type_of(e))));
  std::visit(Overloaded{
                 [this](Ping& p) {
                   if (state_ == State::open) (void)send(Pong{p.nonce}, Priority::answer);
                 },
                 [this, &e](Pong& p) {
                   if (ping_nonce_ && *ping_nonce_ == p.nonce) {
                     rtt_ms_ = static_cast<double>(uv_hrtime() - ping_sent_ns_) / 1e6;
                     ping_nonce_.reset();
                     return;
                   }
                   // Not the keepalive's: the host's (a timed round trip).
                   if (state_ == State::open) host_.on_session_envelope(*this, std::move(e));
                 },
                 [this, &e](Close& c) {
                   // The remote sends nothing after its close: our end of
                   // the session need not wait for more (protocol.md §7).
                   remote_closed_ = true;
                   remote_done_ = true;
                   remote_close_reason_ = c.reason;
                   if (state_ == State::closing) return maybe_finish_close();
                   // The host decides: close too, or (a duplicate) keep
                   // sending on it until its replacement is up.
                   host_.on_session_envelope(*this, std::move(e));
                   if (state_ == State::open) timers_.on_session_closing();
                 },
                 [this, &e](auto&) {
                   if (state_ == State::open || (state_ == State::closing && draining_))
                     host_.on_session_envelope(*this, std::move(e));
                 },
             },
             e);
}

void Session::on_eof() {
  remote_done_ = true;
  if (state_ == State::closing) return maybe_finish_close();
  // After its close the remote may end its side while we still write
  // (protocol.md §7); the host closes us when it is done.
  if (state_ == State::open && remote_closed_) return;
  abort(make_error(Errc::closed, state_ == State::handshaking ? "connection closed during the handshake"
                                                               : "connection closed by the peer"));
}

Status Session::check_room(Priority priority) {
  if (state_ != State::open)
    return make_error(Errc::closed, describe() + " is " + std::string(to_string(state_)));
  size_t queued = queued_bytes();
  size_t limit = params_.settings.write_queue_limit;
  if (priority == Priority::work && queued >= limit)
    return make_error(Errc::busy, "write queue to the peer is full (" + std::to_string(queued) + " bytes)");
  if (priority == Priority::stream && queued >= limit / 2)
    return make_error(Errc::busy, "write queue to the peer is half full (" + std::to_string(queued) + " bytes)");
  if (priority == Priority::answer && queued >= limit * kControlQueueFactor) {
    close(kReasonBusy, "write queue overflow: the peer does not read");
    return make_error(Errc::busy, "the peer does not read; session closed");
  }
  return {};
}

void Session::queued_one() {
  ++counters_.envelopes_out;
  // Encrypt and write at the end of this loop iteration, so that what is
  // queued in one iteration (a client's pipelined sends, the answers to a
  // batch of calls) shares Noise messages and one write. While a write is
  // in flight its completion flushes.
  if (!write_in_flight_ && !flush_timer_.active()) (void)flush_timer_.start(0, 0, [this] { flush(); });
}

Status Session::send(const Envelope& e, Priority priority) {
  PEERNET_TRY_VOID(check_room(priority));
  PEERNET_TRY_VOID(link_.queue(e));
  queued_one();
  return {};
}

Status Session::send_encoded(Bytes envelope, Priority priority) {
  PEERNET_TRY_VOID(check_room(priority));
  PEERNET_TRY_VOID(link_.queue_encoded(std::move(envelope)));
  queued_one();
  return {};
}

void Session::flush() {
  flush_timer_.stop();
  if (write_in_flight_ || state_ == State::closed) return;
  if (link_.has_output()) {
    std::vector<Bytes> frames;
    Status st = link_.take_output(frames);
    if (!frames.empty()) {
      size_t n = 0;
      for (const Bytes& f : frames) n += f.size();
      auto ws = stream_.write(std::move(frames), [this](Status s) { on_write_done(std::move(s)); });
      if (!ws) return abort(std::move(ws).error());
      write_in_flight_ = true;
      counters_.bytes_out += n;
      timers_.on_data_sent();
    }
    if (!st) return abort(std::move(st).error());
  }
  maybe_finish_close();
}

void Session::on_write_done(Status status) {
  write_in_flight_ = false;
  if (!status) return abort(std::move(status).error());
  flush();
  if (!writable_waiters_.empty() && queued_bytes() <= params_.settings.write_queue_limit / 4) wake_writers();
}

void Session::when_writable(std::function<void()> ready) {
  if (state_ != State::open || queued_bytes() <= params_.settings.write_queue_limit / 4) return ready();
  writable_waiters_.push_back(std::move(ready));
}

void Session::wake_writers() {
  std::vector<std::function<void()>> waiters;
  waiters.swap(writable_waiters_);
  for (auto& w : waiters) w();
}

void Session::close(std::string_view reason, std::string_view message) {
  if (state_ == State::closing || state_ == State::closed) return;
  std::string text = "closed: " + std::string(reason);
  if (!message.empty()) text += ": " + std::string(message);
  if (state_ == State::handshaking) return abort(make_error(errc_of_reason(reason), std::move(text)));
  leave_open();
  state_ = State::closing;
  close_reason_ = std::string(reason);
  close_error_ = make_error(errc_of_reason(reason), std::move(text));
  // A duplicate keeps delivering what the remote still sends (protocol.md
  // §7); other closes only wait for the remote's end.
  draining_ = reason == kReasonDuplicate && !remote_closed_;
  timers_.on_session_closing();
  if (!remote_closed_) link_.queue_close(reason, message);
  flush();
}

void Session::fail(Error why) {
  if (state_ == State::closed) return;
  // The Link may have queued a close that tells the peer why (an untrusted
  // initiator, a protocol error): send it, then hang up without reading on.
  if (state_ != State::closing && link_.has_output()) {
    leave_open();
    state_ = State::closing;
    close_reason_ = std::string(to_string(why.code));
    close_error_ = std::move(why);
    draining_ = false;
    remote_done_ = true;
    stream_.read_stop();
    timers_.on_session_closing();
    flush();
    return;
  }
  abort(std::move(why));
}

void Session::abort(Error why) {
  if (state_ == State::closed) return;
  if (close_reason_.empty()) close_reason_ = std::string(to_string(why.code));
  if (!close_error_) close_error_ = std::move(why);
  finish();
}

void Session::maybe_finish_close() {
  if (state_ != State::closing || write_in_flight_ || link_.has_output()) return;
  if (!shutdown_started_) {
    shutdown_started_ = true;
    auto st = stream_.shutdown([this](Status s) {
      shutdown_done_ = true;
      if (!s || remote_done_) finish();
    });
    if (!st) finish();
    return;
  }
  if (shutdown_done_ && remote_done_) finish();
}

void Session::leave_open() {
  if (state_ == State::open) wake_writers();
  // The host hears on_session_closing() only for a session it heard
  // established (confirmed).
  if (state_ != State::open || !confirmed_) return;
  closing_pending_ = true;
  (void)notify_.start(0, 0, [this] { deliver_notifications(); });
}

void Session::finish() {
  if (state_ == State::closed) return;
  leave_open();
  state_ = State::closed;
  timers_.on_session_closed();
  stream_.close();
  (void)notify_.start(0, 0, [this] { deliver_notifications(); });
}

void Session::deliver_notifications() {
  if (closing_pending_) {
    closing_pending_ = false;
    host_.on_session_closing(*this);
  }
  if (state_ != State::closed || closed_notified_) return;
  closed_notified_ = true;
  Error why = close_error_ ? *close_error_ : make_error(Errc::closed, "closed");
  // Last statement: the host may destroy this session (see the header).
  host_.on_session_closed(*this, why);
}

void Session::on_deadline_expired() {
  switch (state_) {
    case State::handshaking:
      return abort(make_error(Errc::timeout, "handshake did not complete within " +
                                                 std::to_string(params_.settings.timers.handshake_timeout_ms) +
                                                 " ms"));
    case State::open:
      if (!confirmed_)  // an initiator the responder never answered after message 3
        return abort(make_error(Errc::timeout, "the peer did not accept the session within " +
                                                   std::to_string(params_.settings.timers.handshake_timeout_ms) +
                                                   " ms"));
      // The remote closed and no replacement came.
      return close(kReasonTimeout, "the peer closed this session and nothing replaced it");
    case State::closing:
      return finish();
    case State::closed:
      return;
  }
}

void Session::on_ping_due() {
  if (state_ != State::open) return;
  uint64_t nonce = rng_.next_u64();
  ping_nonce_ = nonce;
  ping_sent_ns_ = uv_hrtime();
  (void)send(Ping{nonce}, Priority::answer);
}

void Session::on_peer_dead() {
  close(kReasonTimeout, "nothing received for " + std::to_string(params_.settings.timers.dead_after_ms) + " ms");
}

void Session::on_rekey_due() {
  if (state_ != State::open) return;
  link_.request_rekey();
  flush();
}

}  // namespace peernet
