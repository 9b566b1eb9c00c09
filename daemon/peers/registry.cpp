#include "peers/registry.hpp"

#include <algorithm>

#include "base/constants.hpp"
#include "base/wall_clock.hpp"
#include "proto/overloaded.hpp"
#include "proto/peer_id.hpp"
#include "proto/remote_error.hpp"

namespace peernet {

Registry::Registry(uv_loop_t* loop, Logger& log, Rng& rng, const KeyPair& identity)
    : loop_(loop), log_(log), rng_(rng), identity_(identity), stop_timer_(loop) {}

// Sessions close their sockets silently; pending calls are dropped without
// running (the daemon is going away: the completion contract's exception).
Registry::~Registry() = default;

void Registry::configure(const SessionSettings& settings, uint16_t hello_port, uint64_t reconnect_min_ms,
                         uint64_t reconnect_max_ms) {
  settings_ = settings;
  hello_port_ = hello_port;
  reconnect_min_ms_ = reconnect_min_ms;
  reconnect_max_ms_ = reconnect_max_ms;
  for (auto& [key, p] : peers_) p->backoff.set_bounds(reconnect_min_ms, reconnect_max_ms);
}

Peer* Registry::find(const PublicKey& key) {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : it->second.get();
}

const Peer* Registry::find(const PublicKey& key) const {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : it->second.get();
}

Peer& Registry::add_trusted(const TrustedPeer& tp) {
  auto& slot = peers_[tp.key];
  if (!slot) {
    slot = std::make_unique<Peer>(loop_, tp.key);
    slot->backoff.set_bounds(reconnect_min_ms_, reconnect_max_ms_);
    slot->since_unix_ms = wall_now_ms();  // offline from now
  }
  slot->trusted = true;
  slot->name = tp.name;
  slot->static_addrs = tp.addrs;
  return *slot;
}

void Registry::remove(const PublicKey& key) {
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  std::unique_ptr<Peer> p = std::move(it->second);
  peers_.erase(it);
  bool was_online = p->active != nullptr;
  p->active = nullptr;
  for (Session* s : p->sessions) s->close(kReasonUntrusted, "no longer trusted");
  for (auto& [id, e] : sessions_)
    if (!e.established && e.session->expected() == key)
      e.session->abort(make_error(Errc::untrusted_peer, peer_tag(key) + " is no longer trusted"));
  auto failed = p->calls.take_all();
  for (auto& cb : p->pings.take_all()) failed.push_back(std::move(cb));
  std::string why = "session to " + peer_tag(key) + " closed: untrusted_peer";
  if (was_online) {
    log_.info(p->tag() + " down: no longer trusted");
    emit(PeerEvent{PeerEvent::Kind::down, key, p->name, {}, std::string(kReasonUntrusted), {}});
  }
  p.reset();
  for (auto& cb : failed) cb(make_error(Errc::peer_offline, why));
}

PeerState Registry::state(const Peer& p) const {
  if (p.active != nullptr) return PeerState::online;
  return p.dialing ? PeerState::connecting : PeerState::offline;
}

void Registry::set_dialing(Peer& p, bool dialing) {
  PeerState before = state(p);
  p.dialing = dialing;
  if (state(p) != before) p.since_unix_ms = wall_now_ms();
  if (before == PeerState::offline && state(p) == PeerState::connecting)
    emit(PeerEvent{PeerEvent::Kind::connecting, p.key, p.name, {}, {}, {}});
}

// ---- Sessions ----

Status Registry::adopt(uv::TcpStream stream, bool initiator, std::optional<PublicKey> expected,
                       HandshakeDone done) {
  return adopt_session(std::move(stream), initiator, expected, std::nullopt, std::move(done));
}

Status Registry::adopt_pairing(uv::TcpStream stream, std::string nameplate, HandshakeDone done) {
  return adopt_session(std::move(stream), true, std::nullopt, std::move(nameplate), std::move(done));
}

Status Registry::adopt_inbound(uv::TcpStream stream, uint64_t handshake_timeout_ms, HandshakeDone done) {
  return adopt_session(std::move(stream), false, std::nullopt, std::nullopt, std::move(done), handshake_timeout_ms);
}

Status Registry::adopt_session(uv::TcpStream stream, bool initiator, std::optional<PublicKey> expected,
                               std::optional<std::string> pairing, HandshakeDone done,
                               uint64_t handshake_timeout_ms) {
  // On an early return the stream closes as it goes out of scope.
  if (stopping_) return make_error(Errc::closed, "daemon is stopping");
  Session::Params params;
  params.id = next_session_id_++;
  params.initiator = initiator;
  params.expected = expected;
  params.local = &identity_;
  params.hello.port = hello_port_;
  // What we accept, so that the peer refuses larger envelopes itself.
  params.hello.max_envelope = settings_.max_envelope;
  // A joiner names the nameplate it was given; a responder names the one of
  // its open window, so that a joiner can tell it reached the right box.
  params.hello.pair = initiator ? pairing : (pairing_.open_nameplate ? pairing_.open_nameplate() : std::nullopt);
  params.settings = settings_;
  if (handshake_timeout_ms != 0) params.settings.timers.handshake_timeout_ms = handshake_timeout_ms;
  auto s = Session::create(loop_, std::move(stream), std::move(params), *this, rng_, log_);
  if (!s) return log_.fail(std::move(s).error(), "start session", LogLevel::warning);
  Session& session = **s;
  sessions_.emplace(session.id(), Entry{std::move(*s), std::move(done), false, initiator ? pairing : std::nullopt});
  if (log_.enabled(LogLevel::debug))
    log_.debug(session.describe() + ": " + (initiator ? "dialled" : "accepted") + ", handshake starts");
  session.start();
  return {};
}

size_t Registry::handshaking() const {
  return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(), [](const auto& kv) {
    return kv.second.session->state() == Session::State::handshaking;
  }));
}

size_t Registry::inbound_handshaking() const {
  return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(), [](const auto& kv) {
    return !kv.second.established && !kv.second.session->initiator();
  }));
}

uint64_t Registry::bytes_in() const {
  uint64_t n = counters_.bytes_in_closed;
  for (const auto& [id, e] : sessions_) n += e.session->counters().bytes_in;
  return n;
}

uint64_t Registry::bytes_out() const {
  uint64_t n = counters_.bytes_out_closed;
  for (const auto& [id, e] : sessions_) n += e.session->counters().bytes_out;
  return n;
}

Peer* Registry::peer_of(Session& s) {
  if (!s.remote()) return nullptr;
  Peer* p = find(*s.remote());
  if (p == nullptr || std::find(p->sessions.begin(), p->sessions.end(), &s) == p->sessions.end()) return nullptr;
  return p;
}

void Registry::remember_request(const PublicKey& key, const Session& s, const Hello& hello) {
  Endpoint addr = s.remote_address().to_endpoint();
  if (hello.port != 0) addr.port = hello.port;
  auto it = std::find_if(requests_.begin(), requests_.end(), [&](const PairRequest& r) { return r.key == key; });
  int64_t now = wall_now_ms();
  PairRequest r{key, addr, now, 1, now};
  // Local clients hear of a new request, and of a repeated one at most once
  // a minute: a peer redialling with backoff does not flood `events`.
  bool tell = true;
  if (it != requests_.end()) {
    r.attempts = it->attempts + 1;
    tell = now - it->told_unix_ms >= kPairRequestEventIntervalMs;
    if (!tell) r.told_unix_ms = it->told_unix_ms;
    requests_.erase(it);
  } else if (requests_.size() >= kMaxPairRequests) {
    requests_.pop_back();  // the oldest
  }
  requests_.insert(requests_.begin(), r);
  if (tell) emit(PeerEvent{PeerEvent::Kind::wants_to_pair, key, {}, {}, {}, {addr.to_string()}});
}

const std::vector<PairRequest>& Registry::pair_requests() {
  int64_t now = wall_now_ms();
  std::erase_if(requests_, [&](const PairRequest& r) { return now - r.last_unix_ms > kPairRequestTtlMs; });
  return requests_;
}

Registry::Entry* Registry::entry_of(const Session& s) {
  auto it = sessions_.find(s.id());
  return it == sessions_.end() ? nullptr : &it->second;
}

Status Registry::on_session_check(Session& s, const PublicKey& remote, const Hello& hello) {
  if (stopping_) return make_error(Errc::closed, "daemon is stopping");
  if (remote == identity_.pub)
    return make_error(Errc::untrusted_peer, s.remote_address().to_string() + " is this daemon itself");
  Entry* e = entry_of(s);
  if (e != nullptr && e->pairing && s.initiator()) {
    // A joiner reveals itself only to the box whose window has its
    // nameplate (protocol.md §10.2).
    if (hello.pair != e->pairing)
      return make_error(Errc::pairing_failed, s.remote_address().to_string() + " has no pairing window " + *e->pairing);
    return {};
  }
  if (e != nullptr && !s.initiator() && hello.pair) {
    std::optional<std::string> open = pairing_.open_nameplate ? pairing_.open_nameplate() : std::nullopt;
    if (open && *open == *hello.pair) {
      e->pairing = *hello.pair;
      log_.info("pairing attempt from " + peer_tag(remote) + " (fingerprint " + fingerprint(remote) + ") at " +
                s.remote_address().to_string());
      return {};
    }
    log_.info("refused pairing attempt from " + peer_tag(remote) + " at " + s.remote_address().to_string() +
              ": no pairing window " + quote(*hello.pair) + " is open");
    return make_error(Errc::pairing_failed, "no pairing window " + quote(*hello.pair) + " is open");
  }
  // Dialling a particular peer, only that key may answer: we have not
  // revealed ourselves yet and will not to anyone else (protocol.md §3).
  if (s.expected() && *s.expected() != remote) {
    log_.info("dialled " + peer_tag(*s.expected()) + " at " + s.remote_address().to_string() + " but " +
              peer_tag(remote) + " (fingerprint " + fingerprint(remote) + ") answered, refusing");
    return make_error(Errc::untrusted_peer, "expected " + peer_tag(*s.expected()) + ", got " + peer_tag(remote));
  }
  if (const Peer* p = find(remote); p != nullptr && p->trusted) return {};
  if (!s.initiator()) remember_request(remote, s, hello);
  log_.info("rejected untrusted " + peer_tag(remote) + " (fingerprint " + fingerprint(remote) + ") " +
            (s.initiator() ? "at " : "from ") + s.remote_address().to_string());
  if (s.initiator() && !s.expected()) {
    // connect(): tell the person who is there and how to trust it.
    std::string id = peer_id_text(remote);
    return make_error(Errc::untrusted_peer, "the peer at " + s.remote_address().to_string() + " is not trusted: " +
                                                id + " (fingerprint " + fingerprint(remote) +
                                                "); to trust it: peernetctl pair " + id + " --addr " +
                                                s.remote_address().to_string());
  }
  return make_error(Errc::untrusted_peer, peer_tag(remote) + " is not trusted");
}

bool Registry::new_session_wins(const Session& fresh, const Session& old) const {
  if (old.remote_closed()) return true;  // the remote already chose
  // The peer changed address and dialled from the new one while we hold
  // its dead session (protocol.md §7, rule 0).
  uint64_t now = uv_now(loop_);
  double stale_ms = kStaleSessionPings * static_cast<double>(settings_.timers.ping_interval_ms);
  if (now > old.last_received_ms() && static_cast<double>(now - old.last_received_ms()) >= stale_ms) return true;
  if (fresh.initiator() == old.initiator()) return true;  // it dialled again: the old one is dead to it
  // The session initiated by the greater key wins; keys compare as 32-byte
  // big-endian numbers, which is what the array comparison does.
  bool we_are_greater = identity_.pub > *fresh.remote();
  return fresh.initiator() == we_are_greater;
}

void Registry::on_session_established(Session& s) {
  auto it = sessions_.find(s.id());
  it->second.established = true;
  if (it->second.pairing) {
    ++counters_.pairing_sessions;
    HandshakeDone done = std::move(it->second.done);
    PublicKey key = *s.remote();
    if (pairing_.on_established) pairing_.on_established(s);
    if (done) done(key);
    return;
  }
  ++counters_.handshakes_ok;
  HandshakeDone done = std::move(it->second.done);
  PublicKey key = *s.remote();
  Peer* p = find(key);
  if (p == nullptr) {  // cannot happen: the check passed within this same read
    s.close(kReasonUntrusted);
    if (done) done(make_error(Errc::untrusted_peer, peer_tag(key) + " is not trusted"));
    return;
  }
  p->sessions.push_back(&s);
  ++p->counters.handshakes_ok;
  p->last_handshake_unix_ms = wall_now_ms();
  if (!s.initiator() && s.hello() && s.hello()->port != 0)
    p->learn_address(Endpoint{s.remote_address().host(), s.hello()->port});
  else if (s.initiator() && !s.expected())
    p->learn_address(s.remote_address().to_endpoint());  // connect(): remember where it was
  activate(*p, s);  // may run observers: `p` is not used after it
  if (done) done(key);
}

void Registry::activate(Peer& p, Session& s) {
  Session* old = p.active;
  if (old == nullptr) {
    p.active = &s;
    p.backoff.reset();
    p.refused_us = false;
    p.refused_backoff.reset();
    p.last_error.reset();
    p.since_unix_ms = wall_now_ms();
    log_.info(p.tag() + " up: " + (s.initiator() ? "dialled " : "accepted ") + s.describe());
    PeerEvent ev{PeerEvent::Kind::up, p.key, p.name, s.remote_address().to_string(), {}, {}};
    if (hooks_.on_peer_up) hooks_.on_peer_up(p);
    emit(ev);
    return;
  }
  bool fresh_wins = new_session_wins(s, *old);
  Session& winner = fresh_wins ? s : *old;
  Session& loser = fresh_wins ? *old : s;
  p.active = &winner;
  log_.info(p.tag() + ": two sessions, keeping " + winner.describe() + ", closing " + loser.describe() +
            " as duplicate");
  loser.close(kReasonDuplicate, "another session to this peer won the tie-break");
}

void Registry::deactivate(Peer& p, std::string_view reason) {
  if (p.active != nullptr && p.active->rtt_ms()) p.rtt_ms = p.active->rtt_ms();
  p.active = nullptr;
  p.last_seen_unix_ms = wall_now_ms();
  p.since_unix_ms = p.last_seen_unix_ms;
  p.last_error = std::string(reason);
  p.last_close_reason = std::string(reason);
  p.last_close_unix_ms = p.last_seen_unix_ms;
  log_.info(p.tag() + " down: " + std::string(reason));
  std::vector<CallCallback> failed;
  if (!p.has_live_session()) failed = p.calls.take_all();
  for (auto& cb : p.pings.take_all()) failed.push_back(std::move(cb));
  PeerEvent ev{PeerEvent::Kind::down, p.key, p.name, {}, std::string(reason), {}};
  std::string why = "session to " + peer_tag(p.key) + " closed: " + std::string(reason);
  if (hooks_.on_peer_down) hooks_.on_peer_down(p);
  // User code from here on; `p` may be gone.
  emit(ev);
  for (auto& cb : failed) cb(make_error(Errc::peer_offline, why));
}

void Registry::on_session_envelope(Session& s, Envelope&& e) {
  if (Entry* entry = entry_of(s); entry != nullptr && entry->pairing) {
    if (auto* pair = std::get_if<Pair>(&e)) {
      if (pairing_.on_pair) pairing_.on_pair(s, std::move(*pair));
    } else if (auto* c = std::get_if<Close>(&e)) {
      s.close(c->reason, "closed by the peer");
    } else if (std::holds_alternative<Pong>(e)) {
      // A late keepalive pong: matches nothing, dropped (§5.1).
    } else {
      s.close(kReasonProtocolError, "a pairing connection carries pair envelopes only");
    }
    return;
  }
  if (std::holds_alternative<Pair>(e)) {
    // pair envelopes belong to pairing connections only (protocol.md §10.2).
    s.close(kReasonProtocolError, "a pair envelope outside pairing");
    return;
  }
  Peer* p = peer_of(s);
  if (p == nullptr) return;  // no longer trusted: its sessions are closing
  std::visit(Overloaded{
                 [&](Call& c) {
                   if (hooks_.on_call) hooks_.on_call(*p, std::move(c));
                 },
                 [&](Send& m) {
                   if (hooks_.on_send) hooks_.on_send(*p, s, std::move(m));
                 },
                 [&](Reply& r) { complete_call(*p, r.req_id, std::move(r.result)); },
                 // A known code stays itself; a handler's own becomes handler_failed
                 // naming it, which is what Daemon::call promises its caller.
                 [&](ErrorReply& r) {
                   // Request id 0 answers no call: it reports a send of ours
                   // as not delivered, naming its handle (§5.1).
                   if (r.req_id == 0) {
                     ++p->counters.sends_refused;
                     if (hooks_.on_send_refused) hooks_.on_send_refused(*p, std::move(r.message), std::move(r.code));
                     return;
                   }
                   complete_call(*p, r.req_id, error_from_remote(r.code, r.message));
                 },
                 [&](Pong& pong) {
                   // A pong the session's keepalive did not claim: peer.ping's.
                   CallCallback cb = p->pings.take(pong.nonce);
                   if (!cb) return;
                   ++p->counters.pings;
                   cb(Bytes{});
                 },
                 [&](Close& c) { on_remote_close(*p, s, c); },
                 [](auto&) {},  // pings stay in the session
             },
             e);
}

void Registry::complete_call(Peer& p, uint64_t req_id, Result<Bytes> result) {
  CallCallback cb = p.calls.take(req_id);
  if (!cb) {
    if (log_.enabled(LogLevel::debug))
      log_.debug(p.tag() + ": answer to unknown call " + std::to_string(req_id) + ", ignoring");
    return;
  }
  cb(std::move(result));
}

void Registry::on_remote_close(Peer& p, Session& s, const Close& c) {
  // The remote lost a tie-break on this session and keeps reading it: go on
  // sending here until the winner is established on our side too (§7), or
  // the session's deadline passes.
  if (c.reason == kReasonDuplicate && p.active == &s) {
    log_.debug(p.tag() + ": remote closed " + s.describe() + " as duplicate; awaiting its replacement");
    return;
  }
  bool was_active = p.active == &s;
  s.close(c.reason, "closed by the peer");
  if (was_active) deactivate(p, c.reason);
}

void Registry::on_session_closing(Session& s) {
  Peer* p = peer_of(s);
  if (p != nullptr && p->active == &s) deactivate(*p, s.close_reason());
}

void Registry::on_session_closed(Session& s, const Error& why) {
  auto node = sessions_.extract(s.id());
  Entry& e = node.mapped();
  if (e.pairing) {
    if (!e.established) ++counters_.handshakes_failed;
    if (pairing_.on_closed) pairing_.on_closed(s, why);
    if (e.done) e.done(why);
    if (stopping_ && sessions_.empty() && stop_done_) {
      auto stopped = std::move(stop_done_);
      stop_done_ = nullptr;
      stopped();
    }
    return;  // `node` destroys the session here (session.hpp)
  }
  counters_.bytes_in_closed += s.counters().bytes_in;
  counters_.bytes_out_closed += s.counters().bytes_out;
  std::vector<CallCallback> failed;
  std::string failed_why;
  if (!e.established) {
    ++counters_.handshakes_failed;
    if (Peer* hp = s.remote() ? find(*s.remote()) : (s.expected() ? find(*s.expected()) : nullptr))
      ++hp->counters.handshakes_failed;
    Peer* refused = s.initiator() && s.remote_closed() && s.remote() ? find(*s.remote()) : nullptr;
    if (refused != nullptr) {
      // It does not accept us (protocol.md §3): to us it never came up.
      refused->last_error = s.remote_close_reason();
      refused->refused_us = why.code == Errc::untrusted_peer;
      log_.info(refused->tag() + " refused " + s.describe() + ": " + s.remote_close_reason());
    } else if (why.code == Errc::untrusted_peer) {
      // Untrusted keys were logged by the check, at info, with their fingerprint.
      log_.debug("handshake of " + s.describe() + " failed: " + why.describe());
    } else if (s.initiator()) {
      log_.info("handshake of " + s.describe() + " failed: " + why.describe());
    } else {
      log_preauth_failure(s, why);
    }
  } else if (Peer* p = peer_of(s)) {
    p->counters.bytes_in_closed += s.counters().bytes_in;
    p->counters.bytes_out_closed += s.counters().bytes_out;
    p->counters.messages_in_closed += s.counters().envelopes_in;
    p->counters.messages_out_closed += s.counters().envelopes_out;
    std::erase(p->sessions, &s);
    if (p->active == &s) {
      deactivate(*p, s.close_reason());  // runs user code: look the peer up again
      p = s.remote() ? find(*s.remote()) : nullptr;
    }
    if (p != nullptr && !p->has_live_session() && p->calls.size() > 0) {
      failed = p->calls.take_all();
      failed_why = "session to " + peer_tag(p->key) + " closed: " + s.close_reason();
    } else if (p != nullptr && !(s.close_reason() == kReasonDuplicate && s.remote_done())) {
      // Another session lives on, but this one did not end in an orderly
      // hand-over (a tie-break the remote read to its end, protocol.md §7):
      // the calls that left on it may never have arrived, and their answers
      // will not come. They fail now, not at their timeout.
      failed = p->calls.take_sent_on(s.id());
      failed_why = "the session the call left on (" + s.describe() + ") closed before its answer: " +
                   s.close_reason() + "; the call may not have run and may be retried";
    }
  }
  if (e.done) e.done(why);
  for (auto& cb : failed) cb(make_error(Errc::peer_offline, failed_why));
  if (stopping_ && sessions_.empty() && stop_done_) {
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    done();
  }
  // `node` destroys the session here, inside on_session_closed (session.hpp).
}

// Bad frames, keys that fail the handshake, decryption failures, deadlines:
// what strangers cause is worth seeing, but not one line per attempt.
void Registry::log_preauth_failure(const Session& s, const Error& why) {
  uint64_t now = uv_now(loop_);
  std::string host = s.remote_address().host();
  if (preauth_logged_.size() >= kMaxPreauthLogSources) {
    std::erase_if(preauth_logged_,
                  [&](const auto& kv) { return now - kv.second.at_ms >= kPreauthLogIntervalMs; });
    if (preauth_logged_.size() >= kMaxPreauthLogSources) return;  // counted in handshakes_failed
  }
  auto [it, fresh] = preauth_logged_.try_emplace(host, PreauthLog{now, 0});
  if (!fresh && now - it->second.at_ms < kPreauthLogIntervalMs) {
    ++it->second.suppressed;
    return;
  }
  uint64_t more = it->second.suppressed;
  it->second = PreauthLog{now, 0};
  log_.info("handshake from " + s.remote_address().to_string() + " failed: " + why.describe() +
            (more > 0 ? " (" + std::to_string(more) + " more from " + host + " since its last such line)" : "") +
            "; logged at most once per " + std::to_string(kPreauthLogIntervalMs / 1000) + " s per address");
}

// ---- Traffic ----

Status Registry::send(const PublicKey& key, const Envelope& e, Session::Priority priority) {
  Peer* p = find(key);
  if (p == nullptr || p->active == nullptr || !p->active->open())
    return make_error(Errc::peer_offline, "no session to " + peer_tag(key));
  return p->active->send(e, priority);
}

Status Registry::send_encoded(const PublicKey& key, Bytes envelope, Session::Priority priority) {
  Peer* p = find(key);
  if (p == nullptr || p->active == nullptr || !p->active->open())
    return make_error(Errc::peer_offline, "no session to " + peer_tag(key));
  return p->active->send_encoded(std::move(envelope), priority);
}

void Registry::when_writable(const PublicKey& key, std::function<void()> ready) {
  Peer* p = find(key);
  if (p == nullptr || p->active == nullptr || !p->active->open()) return ready();
  p->active->when_writable(std::move(ready));
}

Status Registry::call(const PublicKey& key, std::string_view handle, ByteView args, uint64_t timeout_ms,
                      CallCallback cb) {
  Peer* p = find(key);
  if (p == nullptr || p->active == nullptr || !p->active->open())
    return make_error(Errc::peer_offline, "no session to " + peer_tag(key));
  uint64_t id = p->calls.new_id(rng_);
  PEERNET_TRY_VOID(p->active->send_encoded(encode_call(id, handle, args), Session::Priority::work));
  PendingCalls::Describe timeout_message = [key, handle = std::string(handle), timeout_ms] {
    return "no answer from " + peer_tag(key) + " to the call of " + quote(handle) + " within " +
           std::to_string(timeout_ms) + " ms";
  };
  p->calls.add(id, timeout_ms, std::move(timeout_message), std::move(cb), p->active->id());
  return {};
}

void Registry::answer(const PublicKey& key, Envelope answer) {
  Status st = send(key, answer, Session::Priority::answer);
  if (!st && st.error().code == Errc::payload_too_large) {
    if (auto* r = std::get_if<Reply>(&answer)) {
      ErrorReply too_large{r->req_id, std::string(to_string(Errc::payload_too_large)), st.error().message};
      st = send(key, too_large, Session::Priority::answer);
    }
  }
  if (!st && log_.enabled(LogLevel::debug))
    log_.debug("answer to " + peer_tag(key) + " dropped: " + st.error().describe());
}

Status Registry::ping(const PublicKey& key, uint64_t timeout_ms, PingCallback cb) {
  Peer* p = find(key);
  if (p == nullptr || p->active == nullptr || !p->active->open())
    return make_error(Errc::peer_offline, "no session to " + peer_tag(key));
  if (p->pings.size() >= kMaxPendingPings)
    return make_error(Errc::busy, std::to_string(kMaxPendingPings) + " pings to " + peer_tag(key) + " wait already");
  uint64_t nonce = p->pings.new_id(rng_);
  PEERNET_TRY_VOID(p->active->send(Ping{nonce}, Session::Priority::work));
  uint64_t sent_ns = uv_hrtime();
  p->pings.add(nonce, timeout_ms,
               "no pong from " + peer_tag(key) + " within " + std::to_string(timeout_ms) + " ms",
               [this, key, sent_ns, cb = std::move(cb)](Result<Bytes> r) {
                 if (!r) return cb(std::move(r).error());
                 double ms = static_cast<double>(uv_hrtime() - sent_ns) / 1e6;
                 if (Peer* p = find(key)) p->rtt_ms = ms;  // the latest measurement, for peers and show
                 cb(ms);
               });
  return {};
}

PeerTraffic Registry::traffic(const Peer& p) const {
  PeerTraffic t{p.counters.messages_in_closed, p.counters.messages_out_closed, p.counters.bytes_in_closed,
                p.counters.bytes_out_closed};
  for (const Session* s : p.sessions) {
    t.messages_in += s->counters().envelopes_in;
    t.messages_out += s->counters().envelopes_out;
    t.bytes_in += s->counters().bytes_in;
    t.bytes_out += s->counters().bytes_out;
  }
  return t;
}

size_t Registry::close_sessions_not_on(const std::vector<std::string>& local_addresses) {
  std::vector<uint64_t> doomed;
  for (auto& [id, e] : sessions_) {
    std::string host = e.session->local_address().host();
    if (auto pct = host.find('%'); pct != std::string::npos) host.resize(pct);
    bool loopback = host.rfind("127.", 0) == 0 || host == "::1" || host == "::ffff:127.0.0.1";
    if (loopback || host.empty()) continue;
    // A v4-mapped address (a dual-stack listener) is the IPv4 address.
    if (host.rfind("::ffff:", 0) == 0) host = host.substr(7);
    if (std::find(local_addresses.begin(), local_addresses.end(), host) != local_addresses.end()) continue;
    doomed.push_back(id);
  }
  // Closing runs observers, which may close other sessions: look each up.
  for (uint64_t id : doomed) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    Session* s = it->second.session.get();
    log_.info(s->describe() + ": local address gone, closing");
    if (s->state() == Session::State::handshaking)
      s->abort(make_error(Errc::closed, "local address gone after a network change"));
    else
      s->close(kReasonNetworkChanged, "local address gone after a network change");
  }
  return doomed.size();
}

// ---- Events ----

uint64_t Registry::subscribe(Observer observer) {
  uint64_t id = next_observer_id_++;
  observers_.emplace(id, std::move(observer));
  return id;
}

void Registry::unsubscribe(uint64_t id) { observers_.erase(id); }

void Registry::emit(const PeerEvent& ev) {
  // Observers may subscribe or unsubscribe while we iterate: walk a
  // snapshot of the ids and run a copy of each function.
  std::vector<uint64_t> ids;
  ids.reserve(observers_.size());
  for (const auto& [id, o] : observers_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = observers_.find(id);
    if (it == observers_.end()) continue;
    Observer o = it->second;
    o(ev);
  }
}

void Registry::shutdown(std::function<void()> done) {
  stopping_ = true;
  std::vector<CallCallback> failed;
  for (auto& [key, p] : peers_) {
    auto cbs = p->calls.take_all();
    for (auto& cb : cbs) failed.push_back(std::move(cb));
    for (auto& cb : p->pings.take_all()) failed.push_back(std::move(cb));
  }
  for (auto& [id, e] : sessions_) {
    if (e.session->state() == Session::State::handshaking)
      e.session->abort(make_error(Errc::cancelled, "daemon is stopping"));
    else
      e.session->close(kReasonShutdown, "daemon is stopping");
  }
  if (sessions_.empty()) {
    if (done) done();
  } else {
    stop_done_ = std::move(done);
    (void)stop_timer_.start(kStopGraceMs, 0, [this] {
      std::vector<Session*> left;
      for (auto& [id, e] : sessions_) left.push_back(e.session.get());
      if (!left.empty())
        log_.info("stopping: cutting " + std::to_string(left.size()) + " session(s) whose peer did not take the close within " +
                  std::to_string(kStopGraceMs) + " ms");
      // abort() only schedules the host's callbacks: no session goes away here.
      for (Session* s : left) s->abort(make_error(Errc::cancelled, "daemon is stopping"));
    });
  }
  for (auto& cb : failed) cb(make_error(Errc::cancelled, "daemon is stopping"));
}

}  // namespace peernet
