#include "pairing/pairing.hpp"

#include <algorithm>
#include <utility>

#include "proto/peer_id.hpp"
#include "proto/peer_state.hpp"
#include "proto/units.hpp"

namespace peernet {

// How often a join looks at what discovery found while it waits for the host.
constexpr uint64_t kFindPollMs = 250;
// A pairing connection is four messages, one round trip and a half after
// the handshake: one still open after this holds a slot for nothing and
// ends as a failed attempt (guides/protocol.md §10.2).
constexpr uint64_t kPairingConnectionMs = 30'000;

struct Pairing::Window {
  explicit Window(uv_loop_t* loop) : timer(loop) {}
  uint64_t owner = 0;
  pairing::Code code;
  std::optional<std::string> alias;
  uv::Timer timer;  // the window's deadline, then the wait() answer
  uint32_t failed = 0;
  bool closed = false;
  std::optional<Result<control::PairedResult>> outcome;  // once closed
  Done waiter;
};

struct Pairing::Join {
  explicit Join(uv_loop_t* loop) : timer(loop) {}
  uint64_t id = 0;
  uint64_t owner = 0;
  pairing::Code code;
  std::optional<std::string> alias;
  bool fixed_address = false;      // --addr: no looking around
  std::vector<Endpoint> tried;
  std::optional<Endpoint> current;  // being dialled or paired with
  uint64_t find_until_ms = 0;
  uv::Timer timer;
  std::optional<Error> failure;  // the most telling failure so far
  Done done;
};

struct Pairing::Connection {
  explicit Connection(uv_loop_t* loop) : deadline(loop) {}
  Session* session = nullptr;  // valid until on_closed, which erases this
  uv::Timer deadline;          // kPairingConnectionMs from on_established
  bool host = false;
  uint64_t join_id = 0;  // joiner side
  std::optional<pairing::Exchange> exchange;
  bool attempted = false;  // the joiner sent its element: a guess was made
  bool succeeded = false;
  std::optional<Error> error;  // why our side ended it
};

Pairing::Pairing(uv_loop_t* loop, Logger& log, Rng& rng, Registry& registry, Dialer& dialer,
                 const KeyPair& identity, std::string host_name, Hooks hooks)
    : loop_(loop),
      log_(log),
      rng_(rng),
      registry_(registry),
      dialer_(dialer),
      identity_(identity),
      host_name_(pairing::sanitize_peer_name(host_name)),
      hooks_(std::move(hooks)) {
  PairingHooks h;
  h.open_nameplate = [this] { return open_nameplate(); };
  h.on_established = [this](Session& s) { on_established(s); };
  h.on_pair = [this](Session& s, Pair&& m) { on_pair(s, std::move(m)); };
  h.on_closed = [this](Session& s, const Error& why) { on_closed(s, why); };
  registry_.set_pairing_hooks(std::move(h));
}

Pairing::~Pairing() { registry_.set_pairing_hooks({}); }

control::PairedResult Pairing::result_for(const PublicKey& key, const std::string& alias) const {
  return control::PairedResult{key, alias, fingerprint(key)};
}

std::optional<std::string> Pairing::open_nameplate() const {
  if (!window_ || window_->closed) return std::nullopt;
  return window_->code.nameplate;
}

// ---- Host ----

Result<control::PairOpenResult> Pairing::open(uint64_t owner, std::optional<double> window_s,
                                              std::optional<std::string> alias) {
  if (stopped_) return make_error(Errc::closed, "the daemon is stopping");
  if (window_ && !window_->closed)
    return make_error(Errc::exists, "a pairing window is already open on this box");
  double seconds = window_s.value_or(settings_.window_s);
  auto w = std::make_unique<Window>(loop_);
  w->owner = owner;
  w->code = pairing::generate_code(rng_);
  w->alias = std::move(alias);
  (void)w->timer.start(seconds_to_ms(seconds), 0, [this] {
    close_window(make_error(Errc::timeout, "the pairing window closed with nobody paired"));
  });
  std::string nameplate = w->code.nameplate;
  window_ = std::move(w);
  ++counters_.windows_opened;
  log_.info("pairing window " + nameplate + " open for " + format_number(seconds) + " s, " +
            std::to_string(settings_.max_attempts) + " attempts");
  if (hooks_.announce) hooks_.announce(nameplate);
  return control::PairOpenResult{window_->code.text(), seconds, settings_.max_attempts};
}

Status Pairing::wait(uint64_t owner, Done done) {
  if (!window_ || window_->owner != owner)
    return make_error(Errc::bad_request, "this connection has no pairing window open (pair.open first)");
  if (window_->waiter) return make_error(Errc::bad_request, "pair.wait is already waiting");
  window_->waiter = std::move(done);
  if (window_->closed) {
    // Answer from the loop, never from inside this call.
    (void)window_->timer.start(0, 0, [this] { close_window(*window_->outcome); });
  }
  return {};
}

void Pairing::close_window(Result<control::PairedResult> outcome) {
  if (!window_) return;
  if (!window_->closed) {
    window_->closed = true;
    window_->timer.stop();
    window_->outcome = outcome;
    if (hooks_.announce) hooks_.announce(std::nullopt);
    log_.info("pairing window " + window_->code.nameplate + " closed: " +
              (outcome ? "paired with " + peer_tag(outcome->id) : outcome.error().message));
  }
  if (!window_->waiter) return;  // wait() answers when it comes
  Done done = std::move(window_->waiter);
  window_.reset();
  done(std::move(outcome));
}

void Pairing::attempt_failed(const std::string& why) {
  ++counters_.attempts_failed;
  if (!window_ || window_->closed) return;
  ++window_->failed;
  log_.notice("pairing window " + window_->code.nameplate + ": failed attempt " + std::to_string(window_->failed) +
              " of " + std::to_string(settings_.max_attempts) + ": " + why);
  if (window_->failed >= settings_.max_attempts)
    close_window(make_error(Errc::pairing_failed, std::to_string(window_->failed) +
                                                      " failed attempts closed the pairing window"));
}

void Pairing::release(uint64_t owner) {
  if (window_ && window_->owner == owner) {
    if (!window_->closed && hooks_.announce) hooks_.announce(std::nullopt);
    if (!window_->closed) log_.info("pairing window " + window_->code.nameplate + " closed: its client went away");
    window_.reset();
  }
  std::erase_if(joins_, [owner](const auto& kv) { return kv.second->owner == owner; });
}

// ---- Joiner ----

Status Pairing::join(uint64_t owner, const control::PairJoinParams& p, Done done) {
  if (stopped_) return make_error(Errc::closed, "the daemon is stopping");
  PEERNET_TRY(pairing::Code code, pairing::parse_code(p.code));
  auto j = std::make_unique<Join>(loop_);
  j->id = next_join_++;
  j->owner = owner;
  j->code = std::move(code);
  j->alias = p.name;
  j->done = std::move(done);
  if (p.addr) {
    PEERNET_TRY(Endpoint ep, Endpoint::parse(*p.addr));
    j->fixed_address = true;
    j->tried.push_back(ep);
  }
  j->find_until_ms = uv_now(loop_) + seconds_to_ms(settings_.find_s);
  uint64_t id = j->id;
  Join& join = *j;
  joins_.emplace(id, std::move(j));
  (void)join.timer.start(0, 0, [this, id] { join_next(id); });
  return {};
}

void Pairing::join_next(uint64_t id) {
  auto it = joins_.find(id);
  if (it == joins_.end()) return;
  Join& j = *it->second;
  std::optional<Endpoint> target;
  if (j.fixed_address) {
    if (j.tried.size() == 1 && !j.current) target = j.tried.front();  // once
  } else {
    for (const Endpoint& ep : hooks_.find_hosts ? hooks_.find_hosts(j.code.nameplate) : std::vector<Endpoint>{})
      if (std::find(j.tried.begin(), j.tried.end(), ep) == j.tried.end()) {
        target = ep;
        break;
      }
    // After a box refused the code, only boxes already seen are tried.
    bool refused = j.failure && j.failure->code == Errc::pairing_failed;
    if (!target && !refused && uv_now(loop_) < j.find_until_ms) {
      (void)j.timer.start(kFindPollMs, 0, [this, id] { join_next(id); });
      return;
    }
  }
  if (!target) {
    if (j.failure) return join_done(id, *j.failure);
    return join_done(id, make_error(Errc::no_such_peer,
                                    j.fixed_address ? "no pairing window at that address"
                                                    : "no box with the open pairing window " + j.code.nameplate +
                                                          " was found on the LAN (give its address with --addr)"));
  }
  if (!j.fixed_address) j.tried.push_back(*target);
  j.current = *target;
  log_.info("pairing: trying " + target->to_string() + " for window " + j.code.nameplate);
  auto st = dialer_.connect_pairing(*target, j.code.nameplate, [this, id](Result<PublicKey> r) {
    if (r) return;  // accepted: the exchange goes on in on_established/on_pair/on_closed
    auto jt = joins_.find(id);
    if (jt == joins_.end()) return;
    Join& jj = *jt->second;
    log_.info("pairing: " + (jj.current ? jj.current->to_string() : std::string("?")) + ": " +
              r.error().describe());
    // A box that refused the nameplate is not the host; a network error
    // says nothing either. Keep the most telling reason.
    if (!jj.failure || r.error().code == Errc::pairing_failed) jj.failure = r.error();
    join_next(id);
  });
  if (!st) {
    j.failure = st.error();
    (void)j.timer.start(0, 0, [this, id] { join_next(id); });
  }
}

void Pairing::join_done(uint64_t id, Result<control::PairedResult> outcome) {
  auto node = joins_.extract(id);
  if (node.empty()) return;
  if (!outcome) ++counters_.joins_failed;
  Done done = std::move(node.mapped()->done);
  if (done) done(std::move(outcome));
}

// ---- Pairing connections ----

void Pairing::on_established(Session& s) {
  const PublicKey remote = *s.remote();
  Bytes hash = s.handshake_hash();
  Connection c(loop_);
  c.session = &s;
  c.host = !s.initiator();
  pairing::ExchangeParams params;
  params.handshake_hash = hash;
  params.own_name = host_name_;
  if (c.host) {
    if (!window_ || window_->closed) return s.close(kReasonPairingFailed, "the pairing window closed");
    params.side = pairing::Side::host;
    params.code = window_->code.text();
    params.joiner = remote;
    params.host = identity_.pub;
  } else {
    const std::optional<Hello>& hello = s.hello();
    auto it = std::find_if(joins_.begin(), joins_.end(), [&](const auto& kv) {
      return hello && hello->pair == kv.second->code.nameplate && kv.second->current;
    });
    if (it == joins_.end()) return s.close(kReasonCancelled, "the local client gave up joining");
    c.join_id = it->first;
    params.side = pairing::Side::joiner;
    params.code = it->second->code.text();
    params.joiner = identity_.pub;
    params.host = remote;
  }
  Pair first;
  auto ex = pairing::Exchange::start(params, rng_, first);
  if (!ex) {
    log_.warning("pairing with " + peer_tag(remote) + ": " + ex.error().describe());
    return s.close(kReasonPairingFailed, "internal error");
  }
  c.exchange.emplace(std::move(*ex));
  uint64_t id = s.id();
  auto [it, inserted] = connections_.emplace(id, std::move(c));
  (void)it->second.deadline.start(kPairingConnectionMs, 0, [this, id] {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    found->second.error = make_error(Errc::timeout, "the pairing exchange took too long");
    found->second.session->close(kReasonPairingFailed, "the pairing exchange took too long");
  });
  (void)s.send(first, Session::Priority::answer);
}

void Pairing::on_pair(Session& s, Pair&& m) {
  auto it = connections_.find(s.id());
  if (it == connections_.end() || !it->second.exchange) return;
  Connection& c = it->second;
  if (c.host && m.step == 1) c.attempted = true;
  // The window may have closed (deadline, attempts, its client gone) while
  // this exchange ran: then nobody pairs through it any more, and the host
  // sends no confirmation that would let the joiner believe otherwise.
  if (c.host && (!window_ || window_->closed)) {
    c.error = make_error(Errc::pairing_failed, "the pairing window closed during the exchange");
    return s.close(kReasonPairingFailed, "the pairing window closed");
  }
  auto out = c.exchange->on_message(m);
  if (!out) {
    c.error = out.error();
    std::string_view reason =
        out.error().code == Errc::pairing_failed ? kReasonPairingFailed : kReasonProtocolError;
    log_.info("pairing with " + peer_tag(*s.remote()) + " at " + s.remote_address().to_string() + " failed: " +
              out.error().describe());
    return s.close(reason, out.error().message);
  }
  if (out->send) (void)s.send(*out->send, Session::Priority::answer);
  if (out->paired_with) paired(c, s, *out->paired_with);
}

void Pairing::paired(Connection& c, Session& s, const std::string& their_name) {
  const PublicKey key = *s.remote();
  std::optional<std::string> alias;
  std::optional<Endpoint> addr;
  if (c.host) {
    alias = window_->alias;  // on_pair checked that the window is open
    if (s.hello() && s.hello()->port != 0) addr = Endpoint{s.remote_address().host(), s.hello()->port};
  } else {
    auto it = joins_.find(c.join_id);
    if (it != joins_.end()) alias = it->second->alias;
    addr = s.remote_address().to_endpoint();
  }
  auto trusted = hooks_.trust ? hooks_.trust(key, alias, their_name, addr)
                              : Result<std::string>(make_error(Errc::internal, "no trust hook"));
  if (!trusted) {
    c.error = trusted.error();
    log_.warning("pairing with " + peer_tag(key) + ": " + trusted.error().describe());
    return s.close(kReasonPairingFailed, "could not trust the key");
  }
  c.succeeded = true;
  ++counters_.paired;
  log_.notice("paired with " + peer_tag(key) + " \"" + *trusted + "\" (fingerprint " + fingerprint(key) + ")");
  // The host's last step is queued before the close.
  s.close(kReasonPaired, "paired");
  if (c.host)
    close_window(result_for(key, *trusted));
  else
    join_done(c.join_id, result_for(key, *trusted));
}

void Pairing::on_closed(Session& s, const Error& why) {
  auto node = connections_.extract(s.id());
  if (node.empty()) return;  // never established: the dialler's callback saw it
  Connection& c = node.mapped();
  if (c.succeeded) return;
  std::string reason = s.remote_closed() ? s.remote_close_reason() : (c.error ? c.error->message : why.message);
  if (c.host) {
    if (c.attempted) attempt_failed(s.remote_address().to_string() + ": " + reason);
    return;
  }
  auto it = joins_.find(c.join_id);
  if (it == joins_.end()) return;
  Join& j = *it->second;
  if ((c.error && c.error->code == Errc::pairing_failed) || s.remote_close_reason() == kReasonPairingFailed)
    j.failure = make_error(Errc::pairing_failed, "the code did not match on " + s.remote_address().to_string() +
                                                     " (a typo, or its window closed)");
  else if (!j.failure)
    j.failure = make_error(why.code, "pairing with " + s.remote_address().to_string() + ": " + reason);
  join_next(c.join_id);
}

void Pairing::stop() {
  stopped_ = true;
  if (window_) {
    if (!window_->closed && hooks_.announce) hooks_.announce(std::nullopt);
    Done waiter = std::move(window_->waiter);
    window_.reset();
    if (waiter) waiter(make_error(Errc::cancelled, "the daemon is stopping"));
  }
  auto joins = std::move(joins_);
  joins_.clear();
  for (auto& [id, j] : joins)
    if (j->done) j->done(make_error(Errc::cancelled, "the daemon is stopping"));
}

}  // namespace peernet
