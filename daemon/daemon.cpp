#include "daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <map>

#include "handles/command_handles.hpp"
#include "peers/dialer.hpp"
#include "discovery/hub.hpp"
#include "pairing/pairing.hpp"
#include "peers/listener.hpp"
#include "config/paths.hpp"
#include "store/identity_file.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"
#include "base/random.hpp"
#include "base/wall_clock.hpp"
#include "peers/registry.hpp"
#include "uv/timer.hpp"

namespace peernet {
namespace {

SessionSettings session_settings(const Config& c) {
  SessionSettings s;
  s.max_envelope = c.session.max_envelope;
  s.write_queue_limit = c.session.write_queue_limit;
  s.rekey_after_messages = c.session.rekey_after_messages;
  s.timers.handshake_timeout_ms = seconds_to_ms(c.network.handshake_timeout);
  s.timers.ping_interval_ms = seconds_to_ms(c.session.ping_interval);
  s.timers.dead_after_ms = seconds_to_ms(c.session.dead_after);
  s.timers.rekey_after_ms = seconds_to_ms(c.session.rekey_after);
  return s;
}

uv::TcpOptions tcp_options(const Config& c) {
  uv::TcpOptions o;
  o.user_timeout_ms =
      c.network.tcp_user_timeout > 0 ? static_cast<uint32_t>(seconds_to_ms(c.network.tcp_user_timeout)) : 0;
  return o;
}

Status check_outgoing(std::string_view handle, ByteView args) {
  if (!valid_handle_name(handle))
    return make_error(Errc::bad_request, "invalid handle name " + quote(handle) +
                                             ": 1-128 characters of [A-Za-z0-9_.:/-] expected");
  if (args.empty()) return {};  // encodes as nil
  auto n = check_object(args);
  if (!n || *n != args.size())
    return make_error(Errc::bad_request, "args must be exactly one msgpack object" +
                                             (n ? std::string() : ": " + n.error().message));
  return {};
}

// This machine's host name, first label only ("pi" of "pi.lan"): what a
// pairing exchange offers the other box as a default alias.
std::string local_host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "peer";
  std::string name(host);
  if (auto dot = name.find('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

// An alias (trust_store.hpp syntax) from the host name the other box sent:
// characters outside [A-Za-z0-9_.-] become '-', leading '-' and '.' go, at
// most 64; "peer" when nothing is left.
std::string alias_from_host_name(std::string_view host_name) {
  std::string out;
  for (char c : host_name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-';
    out += ok ? c : '-';
    if (out.size() == 60) break;  // room for a "-NN" suffix
  }
  out.erase(0, out.find_first_not_of("-."));
  return is_valid_alias(out) ? out : std::string("peer");
}

Status check_alias(std::string_view alias) {
  if (!is_valid_alias(alias))
    return make_error(Errc::bad_request, "alias " + quote(alias) +
                                             " is not 1-64 characters of [A-Za-z0-9_.-] not starting with '-'");
  return {};
}

}  // namespace

struct Daemon::Impl {
  Impl(uv_loop_t* l, Config c, Logger& lg) : loop(l), config(std::move(c)), log(lg), later(l) {}

  std::string trust_path() const { return config.daemon.state_dir + "/trust.toml"; }
  void apply_settings();
  void on_call(Peer& p, Call&& c);
  void on_send(Peer& p, Session& from, Send&& m);
  Status send(const PublicKey& peer, std::string_view handle, ByteView args, Session::Priority priority);
  void finish_stop();
  Status save_trust(TrustStore next);

  uv_loop_t* loop;
  Config config;
  Logger& log;
  OsRng rng;
  KeyPair identity;
  TrustStore trust;
  uint64_t trust_generation = 1;  // changes with every new trust list
  Handles handles;
  // After `handles`, which holds its handlers, and before `registry`, so
  // that programs still running at destruction answer no session.
  std::unique_ptr<CommandHandles> commands;  // [[handle]] entries and [admin]
  // Declared in this order so that destruction runs listener, dialer, then
  // registry: whatever holds callbacks into another goes first.
  std::shared_ptr<Registry> registry;  // shared: Responders hold weak references
  std::unique_ptr<Dialer> dialer;
  std::unique_ptr<Listener> listener;
  std::unique_ptr<DiscoveryHub> discovery;  // it dials and closes sessions
  std::unique_ptr<Pairing> pairing;         // first to go: registry hooks and dials
  Result<std::string> trust_paired(const PublicKey& key, const std::optional<std::string>& alias,
                                   const std::string& host_name, const std::optional<Endpoint>& addr);
  uv::Timer later;  // completes stop() from a fresh callback

  uint64_t started_at_ms = 0;
  bool started = false;
  bool stopping = false;
  bool stopped = false;
  std::vector<DoneCallback> stop_waiters;
  uint64_t calls_in = 0, calls_out = 0, sends_in = 0, sends_out = 0, sends_dropped = 0;
  // The request ids of each peer's calls that are not answered yet: a call
  // reusing one is refused (protocol.md §5.1). Shared with the Responders,
  // which may outlive the daemon.
  using CallsInFlight = std::unordered_map<PublicKey, std::unordered_set<uint64_t>>;
  std::shared_ptr<CallsInFlight> calls_in_flight = std::make_shared<CallsInFlight>();
  uint64_t calls_in_duplicate = 0;
  uint64_t sends_refused = 0, sends_refusals_sent = 0;
  std::map<SubscriptionId, RefusedObserver> refused_observers;
  struct RefusalLog {
    uint64_t last_ms = 0;
    uint64_t suppressed = 0;
  };
  std::unordered_map<std::string, RefusalLog> refusal_log;  // by peer key bytes + handle
  SubscriptionId next_refused_id = 1;
  void on_send_refused(Peer& p, std::string handle, std::string code);
  control::PeerShowResult show(const Peer& p) const;
};

void Daemon::Impl::apply_settings() {
  pairing->configure(PairingSettings{config.pairing.window, config.pairing.attempts, config.pairing.find_timeout});
  registry->configure(session_settings(config), listener->port(),
                      seconds_to_ms(config.session.reconnect_min),
                      seconds_to_ms(config.session.reconnect_max));
  dialer->configure(tcp_options(config), seconds_to_ms(config.network.handshake_timeout));
  ListenerLimits limits;
  limits.max_pending = config.network.max_pending_handshakes;
  limits.max_pending_per_source = config.network.max_pending_per_address;
  limits.rate = config.network.handshake_rate;
  limits.burst = config.network.handshake_burst;
  limits.early_drop_start = config.network.early_drop_start;
  limits.early_drop_rate = config.network.early_drop_rate;
  limits.handshake_timeout_ms = seconds_to_ms(config.network.handshake_timeout);
  limits.handshake_timeout_min_ms = seconds_to_ms(config.network.handshake_timeout_min);
  listener->set_limits(limits);
}

void Daemon::Impl::on_call(Peer& p, Call&& c) {
  ++calls_in;
  ++p.counters.calls_in;
  PublicKey key = p.key;
  uint64_t id = c.req_id;
  if (auto ids = calls_in_flight->find(key); ids != calls_in_flight->end() && ids->second.count(id) != 0) {
    // Never run: the first call with this id goes on and is answered.
    ++calls_in_duplicate;
    log.info("call of " + quote(c.handle) + " from " + p.tag() + " reuses the request id of a call in flight; "
             "answered bad_request, not run");
    registry->answer(key, ErrorReply{id, std::string(to_string(Errc::bad_request)),
                                     "request id " + std::to_string(id) + " is that of a call still in flight"});
    return;
  }
  auto handler = handles.route(c.handle, key);
  if (!handler) {
    if (log.enabled(LogLevel::debug))
      log.debug("call of " + quote(c.handle) + " from " + p.tag() + ": " + handler.error().describe());
    registry->answer(key, ErrorReply{id, std::string(to_string(handler.error().code)), handler.error().message});
    return;
  }
  (*calls_in_flight)[key].insert(id);
  std::weak_ptr<Registry> weak = registry;
  std::weak_ptr<CallsInFlight> in_flight = calls_in_flight;
  Responder responder([weak, in_flight, key, id](Envelope answer) {
    if (auto all = in_flight.lock()) {
      if (auto ids = all->find(key); ids != all->end()) {
        ids->second.erase(id);
        if (ids->second.empty()) all->erase(ids);
      }
    }
    auto reg = weak.lock();
    if (!reg) return;  // the daemon is gone
    if (auto* r = std::get_if<Reply>(&answer)) r->req_id = id;
    if (auto* e = std::get_if<ErrorReply>(&answer)) e->req_id = id;
    reg->answer(key, std::move(answer));
  });
  // The handler may unexpose itself (or more) while running: hold it.
  std::shared_ptr<Handler> h = std::move(*handler);
  h->on_call(IncomingCall{key, std::move(c.handle), std::move(c.args), std::move(responder)});
}

void Daemon::Impl::on_send(Peer& p, Session& from, Send&& m) {
  ++sends_in;
  ++p.counters.sends_in;
  auto handler = handles.route(m.handle, p.key);
  if (!handler) {
    // Tell the sender, naming the handle (protocol.md §5.1): always
    // no_such_handle, so that a handle exposed to other peers only looks
    // exactly like one that does not exist. Best effort: dropped when the
    // session's queue is full; a peer that predates the report ignores it.
    if (log.enabled(LogLevel::debug))
      log.debug("send to " + quote(m.handle) + " from " + p.tag() + " dropped: " + handler.error().describe());
    ErrorReply report{0, std::string(to_string(Errc::no_such_handle)), std::move(m.handle)};
    if (registry->send(p.key, report, Session::Priority::work)) ++sends_refusals_sent;
    return;
  }
  std::shared_ptr<Handler> h = std::move(*handler);
  h->on_send(IncomingSend{p.key, std::move(m.handle), std::move(m.args)});
  // A handler that cannot keep up must not make us drop what the peer was
  // told is delivered: stop reading from this peer until the handler has
  // caught up. TCP then pushes back on the sender, whose daemon reports
  // further sends as dropped (`busy`).
  if (h->congested()) {
    if (auto resume = from.pause_reading()) h->when_drained(std::move(resume));
  }
}

void Daemon::Impl::on_send_refused(Peer& p, std::string handle, std::string code) {
  ++sends_refused;
  // Logged once a minute per peer and handle: a stream to a missing handle
  // is refused once per send (sends_refused counts them all).
  {
    std::string target = std::string(p.key.view().begin(), p.key.view().end()) + handle;
    if (refusal_log.size() > 1024) refusal_log.clear();
    RefusalLog& r = refusal_log[target];
    uint64_t now = uv_now(loop);
    if (r.last_ms == 0 || now - r.last_ms >= 60'000) {
      std::string also = r.suppressed > 0 ? " (and " + std::to_string(r.suppressed) + " more since the last report)" : "";
      log.info(p.tag() + " did not deliver a send to " + quote(handle) + ": " + quote(code) + also);
      r.last_ms = now;
      r.suppressed = 0;
    } else {
      ++r.suppressed;
    }
  }
  PublicKey key = p.key;
  // Observers may unsubscribe while we iterate: walk a snapshot of the ids.
  std::vector<SubscriptionId> ids;
  for (const auto& [id, o] : refused_observers) ids.push_back(id);
  for (SubscriptionId id : ids) {
    auto it = refused_observers.find(id);
    if (it == refused_observers.end()) continue;
    RefusedObserver o = it->second;
    o(key, handle, code);
  }
}

void Daemon::Impl::finish_stop() {
  stopped = true;
  (void)later.start(0, 0, [this] {
    auto waiters = std::move(stop_waiters);
    stop_waiters.clear();
    // A waiter may destroy the daemon: nothing touches `this` from here.
    for (auto& w : waiters)
      if (w) w();
  });
}

Status Daemon::Impl::save_trust(TrustStore next) {
  if (auto st = next.save(trust_path()); !st) return log.fail(std::move(st).error(), "save the trust list");
  trust = std::move(next);
  ++trust_generation;
  return {};
}

// ---- Daemon ----

Result<std::unique_ptr<Daemon>> Daemon::create(uv_loop_t* loop, Config config, Logger& log) {
  auto impl = std::make_unique<Impl>(loop, std::move(config), log);
  const std::string& dir = impl->config.daemon.state_dir;
  PEERNET_TRY_VOID(ensure_private_dir(dir));
  bool created = false;
  PEERNET_TRY(impl->identity, load_or_create_identity(dir + "/identity.key", impl->rng, &created));
  log.notice((created ? "created identity " : "loaded identity ") + peer_tag(impl->identity.pub) +
             ", fingerprint " + fingerprint(impl->identity.pub));
  PEERNET_TRY(impl->trust, TrustStore::load(impl->trust_path(), &impl->identity.pub));
  log.info("trust list: " + std::to_string(impl->trust.size()) + " peer(s)");

  Impl* self = impl.get();
  impl->commands = std::make_unique<CommandHandles>(loop, log, impl->handles, impl->trust);
  impl->registry = std::make_shared<Registry>(loop, log, impl->rng, impl->identity);
  impl->dialer = std::make_unique<Dialer>(loop, log, impl->rng, *impl->registry);
  impl->listener = std::make_unique<Listener>(
      loop, log, impl->rng,
      [self](uv::TcpStream s, Listener::Admission admission) {
        std::string source = admission.source;
        // The listener's count of the source's handshakes ends with the
        // handshake, whichever way.
        auto ended = [self, source](const Result<PublicKey>&) {
          if (self->listener) self->listener->handshake_ended(source);
        };
        if (auto st = self->registry->adopt_inbound(std::move(s), admission.handshake_timeout_ms, ended); !st) {
          self->listener->handshake_ended(source);
          self->log.debug("inbound connection dropped: " + st.error().describe());
        }
      },
      [self] { return self->registry->inbound_handshaking(); });
  impl->discovery = std::make_unique<DiscoveryHub>(loop, log, impl->rng, *impl->registry, *impl->dialer,
                                                   impl->identity.pub);
  Pairing::Hooks pairing_hooks;
  pairing_hooks.trust = [self](const PublicKey& key, const std::optional<std::string>& alias,
                               const std::string& host_name, const std::optional<Endpoint>& addr) {
    return self->trust_paired(key, alias, host_name, addr);
  };
  pairing_hooks.find_hosts = [self](std::string_view nameplate) {
    return self->discovery->hosts_with_nameplate(nameplate);
  };
  pairing_hooks.announce = [self](std::optional<std::string> nameplate) {
    self->discovery->set_pairing_nameplate(std::move(nameplate));
  };
  impl->pairing = std::make_unique<Pairing>(loop, log, impl->rng, *impl->registry, *impl->dialer, impl->identity,
                                            local_host_name(), std::move(pairing_hooks));
  RegistryHooks hooks;
  hooks.on_call = [self](Peer& p, Call&& c) { self->on_call(p, std::move(c)); };
  hooks.on_send = [self](Peer& p, Session& from, Send&& m) { self->on_send(p, from, std::move(m)); };
  hooks.on_peer_up = [self](Peer& p) { self->dialer->peer_online(p.key); };
  hooks.on_send_refused = [self](Peer& p, std::string handle, std::string code) {
    self->on_send_refused(p, std::move(handle), std::move(code));
  };
  hooks.on_peer_down = [self](Peer& p) {
    if (!self->stopping) self->dialer->schedule(p.key, false);
  };
  impl->registry->set_hooks(std::move(hooks));
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Status Daemon::start() {
  Impl& d = *impl_;
  if (d.started) return make_error(Errc::invalid_state, "the daemon was started already");
  PEERNET_TRY_VOID(d.listener->listen(d.config.network.listen, tcp_options(d.config)));
  d.started = true;
  d.started_at_ms = uv_now(d.loop);
  d.apply_settings();
  for (const TrustedPeer& tp : d.trust.peers()) d.registry->add_trusted(tp);
  for (const TrustedPeer& tp : d.trust.peers()) d.dialer->schedule(tp.key, true);
  d.commands->apply(d.config);
  d.discovery->start(d.config, d.listener->port(), d.listener->addresses());
  return {};
}

void Daemon::stop(DoneCallback done) {
  Impl& d = *impl_;
  d.stop_waiters.push_back(std::move(done));
  if (d.stopped) return d.finish_stop();
  if (d.stopping) return;
  d.stopping = true;
  d.pairing->stop();
  d.discovery->stop();  // the mDNS goodbye goes out now
  d.listener->close();
  d.dialer->stop();
  Impl* self = &d;
  d.registry->shutdown([self] { self->finish_stop(); });
}

Status Daemon::reload(Config config) {
  Impl& d = *impl_;
  if (d.stopping) return make_error(Errc::closed, "the daemon is stopping");
  auto fresh = TrustStore::load(d.trust_path(), &d.identity.pub);
  if (!fresh) return d.log.fail(std::move(fresh).error(), "reload: keeping the current trust list");

  // Values that only apply at startup.
  if (config.network.listen != d.config.network.listen)
    d.log.notice("reload: network.listen needs a restart, ignoring");
  if (config.daemon.state_dir != d.config.daemon.state_dir)
    d.log.notice("reload: daemon.state_dir needs a restart, ignoring");
  if (config.control != d.config.control) d.log.notice("reload: control.* needs a restart, ignoring");
  if (config.metrics != d.config.metrics) d.log.notice("reload: metrics.* needs a restart, ignoring");
  // The listeners' sockets took it at bind time.
  if (config.network.tcp_user_timeout != d.config.network.tcp_user_timeout)
    d.log.notice("reload: network.tcp_user_timeout needs a restart, ignoring");
  config.network.tcp_user_timeout = d.config.network.tcp_user_timeout;
  config.network.listen = d.config.network.listen;
  config.daemon.state_dir = d.config.daemon.state_dir;
  config.control = d.config.control;
  config.metrics = d.config.metrics;
  d.config = std::move(config);
  d.log.set_level(d.config.daemon.log_level);
  if (d.started) d.apply_settings();
  if (d.started) d.discovery->reconfigure(d.config);

  std::vector<PublicKey> removed;
  for (const TrustedPeer& tp : d.trust.peers())
    if (fresh->find(tp.key) == nullptr) removed.push_back(tp.key);
  size_t added = 0;
  for (const TrustedPeer& tp : fresh->peers())
    if (d.trust.find(tp.key) == nullptr) ++added;
  d.trust = std::move(*fresh);
  ++d.trust_generation;
  if (d.started) d.commands->apply(d.config);  // new grants and aliases
  if (d.started) {
    for (const PublicKey& key : removed) {
      d.dialer->forget(key);
      d.registry->remove(key);  // runs user code; re-read state below
    }
    for (const TrustedPeer& tp : d.trust.peers()) {
      d.registry->add_trusted(tp);
      // At once, whatever schedule it was on (a peer that refused us
      // included): a reload may be what changed its mind. A no-op when
      // online or being dialled.
      d.dialer->redial_now(tp.key);
    }
  }
  d.log.info("reloaded: " + std::to_string(d.trust.size()) + " trusted peer(s), " + std::to_string(added) +
             " added, " + std::to_string(removed.size()) + " removed");
  return {};
}

Status Daemon::call(const PublicKey& peer, std::string_view handle, ByteView args, double timeout_s,
                    CallCallback cb) {
  Impl& d = *impl_;
  if (!d.started || d.stopping) return make_error(Errc::closed, "the daemon is not running");
  if (!cb) return make_error(Errc::bad_request, "call without a callback");
  PEERNET_TRY_VOID(check_outgoing(handle, args));
  uint64_t timeout_ms = seconds_to_ms(timeout_s > 0 ? timeout_s : d.config.session.call_timeout);
  // Per-peer counters: the peer is looked up again when the call ends, as
  // it may be gone by then.
  std::weak_ptr<Registry> weak = d.registry;
  auto counted = [weak, peer, cb = std::move(cb)](Result<Bytes> r) {
    if (!r)
      if (auto reg = weak.lock())
        if (Peer* p = reg->find(peer)) ++p->counters.call_errors;
    cb(std::move(r));
  };
  Status st = d.registry->call(peer, handle, args, timeout_ms, std::move(counted));
  Peer* p = d.registry->find(peer);
  if (!st) {
    if (p != nullptr) ++p->counters.call_errors;
    return st;
  }
  ++d.calls_out;
  if (p != nullptr) ++p->counters.calls_out;
  return {};
}

Status Daemon::send(const PublicKey& peer, std::string handle, Bytes args) {
  return impl_->send(peer, handle, args, Session::Priority::work);
}

Status Daemon::send_streamed(const PublicKey& peer, std::string_view handle, ByteView args) {
  // The control connection checked handle and args as it read them.
  return impl_->send(peer, handle, args, Session::Priority::stream);
}

Status Daemon::Impl::send(const PublicKey& peer, std::string_view handle, ByteView args, Session::Priority priority) {
  Status st;
  if (!started || stopping)
    st = make_error(Errc::closed, "the daemon is not running");
  else if (st = priority == Session::Priority::stream ? Status{} : check_outgoing(handle, args); st)
    st = registry->send_encoded(peer, encode_send(handle, args), priority);
  // A streamed send refused for a half-full queue waits and is tried again.
  if (!st && priority == Session::Priority::stream && st.error().code == Errc::busy) return st;
  ++(st ? sends_out : sends_dropped);
  if (Peer* p = started ? registry->find(peer) : nullptr) ++(st ? p->counters.sends_out : p->counters.sends_dropped);
  return st;
}

void Daemon::when_writable(const PublicKey& peer, std::function<void()> ready) {
  Impl& d = *impl_;
  if (d.started && !d.stopping) return d.registry->when_writable(peer, std::move(ready));
  ready();
}

Daemon::SubscriptionId Daemon::subscribe_refused(RefusedObserver observer) {
  SubscriptionId id = impl_->next_refused_id++;
  impl_->refused_observers.emplace(id, std::move(observer));
  return id;
}

void Daemon::unsubscribe_refused(SubscriptionId id) { impl_->refused_observers.erase(id); }

Status Daemon::ping(const PublicKey& peer, double timeout_s, PingCallback cb) {
  Impl& d = *impl_;
  if (!d.started || d.stopping) return make_error(Errc::closed, "the daemon is not running");
  if (!cb) return make_error(Errc::bad_request, "ping without a callback");
  return d.registry->ping(peer, seconds_to_ms(timeout_s), std::move(cb));
}

Status Daemon::expose(std::string name, OwnerId owner, std::shared_ptr<Handler> handler,
                      std::vector<PublicKey> allow) {
  return impl_->handles.expose(std::move(name), owner, std::move(handler), std::move(allow));
}

Status Daemon::unexpose(std::string_view name, OwnerId owner) { return impl_->handles.unexpose(name, owner); }
size_t Daemon::release_owner(OwnerId owner) {
  impl_->pairing->release(owner);
  return impl_->handles.release_owner(owner);
}

Result<control::PairOpenResult> Daemon::pair_open(OwnerId owner, std::optional<double> window_s,
                                                  std::optional<std::string> alias) {
  Impl& d = *impl_;
  if (!d.started || d.stopping) return make_error(Errc::closed, "the daemon is not running");
  if (alias) PEERNET_TRY_VOID(check_alias(*alias));
  return d.pairing->open(owner, window_s, std::move(alias));
}

Status Daemon::pair_wait(OwnerId owner, PairDone done) { return impl_->pairing->wait(owner, std::move(done)); }

Status Daemon::pair_join(OwnerId owner, const control::PairJoinParams& params, PairDone done) {
  Impl& d = *impl_;
  if (!d.started || d.stopping) return make_error(Errc::closed, "the daemon is not running");
  if (params.name) PEERNET_TRY_VOID(check_alias(*params.name));
  return d.pairing->join(owner, params, std::move(done));
}

// A peer paired by code: trusted under the alias the user gave, else its
// own host name made into an alias (unique: "pi", "pi-2", ...). A peer
// trusted already keeps its alias unless the user gave one.
Result<std::string> Daemon::Impl::trust_paired(const PublicKey& key, const std::optional<std::string>& alias,
                                               const std::string& host_name, const std::optional<Endpoint>& addr) {
  const TrustedPeer* known = trust.find(key);
  TrustedPeer tp{key, "", {}};
  if (known != nullptr) tp = *known;
  if (alias) {
    tp.name = *alias;
  } else if (tp.name.empty()) {
    std::string base = alias_from_host_name(host_name);
    tp.name = base;
    auto taken = [&](const std::string& name) {
      return std::any_of(trust.peers().begin(), trust.peers().end(),
                         [&](const TrustedPeer& other) { return other.name == name && other.key != key; });
    };
    for (int n = 2; taken(tp.name) && n < 1000; ++n) tp.name = base + "-" + std::to_string(n);
  }
  TrustStore next = trust;
  PEERNET_TRY_VOID(next.add_or_update(tp));
  PEERNET_TRY_VOID(save_trust(std::move(next)));
  log.info(std::string(known ? "paired again with " : "trusted ") + peer_tag(key) + " \"" + tp.name +
           "\" (fingerprint " + fingerprint(key) + ") by code");
  Peer& p = registry->add_trusted(*trust.find(key));
  if (addr) p.learn_address(*addr);
  dialer->redial_now(key);
  commands->apply(config);  // an alias may now name this key
  return tp.name;
}
std::vector<HandleInfo> Daemon::handles() const { return impl_->handles.list(); }

Status Daemon::trust_add(TrustedPeer peer) {
  Impl& d = *impl_;
  if (peer.key == d.identity.pub) return make_error(Errc::bad_request, "a daemon cannot trust its own key");
  TrustStore next = d.trust;
  bool is_new = next.find(peer.key) == nullptr;
  PEERNET_TRY_VOID(next.add_or_update(peer));
  PEERNET_TRY_VOID(d.save_trust(std::move(next)));
  d.log.info(std::string(is_new ? "trusted " : "updated ") + peer_tag(peer.key) + " (fingerprint " +
             fingerprint(peer.key) + ")");
  if (d.started && !d.stopping) {
    Peer& p = d.registry->add_trusted(*d.trust.find(peer.key));
    for (const Endpoint& ep : d.discovery->adopt(peer.key)) p.learn_address(ep, true);
    d.dialer->redial_now(peer.key);
    d.commands->apply(d.config);  // an alias may now name this key
  }
  return {};
}

Status Daemon::trust_remove(const PublicKey& key) {
  Impl& d = *impl_;
  TrustStore next = d.trust;
  if (!next.remove(key)) return make_error(Errc::no_such_peer, peer_tag(key) + " is not trusted");
  PEERNET_TRY_VOID(d.save_trust(std::move(next)));
  d.log.info("no longer trusting " + peer_tag(key));
  d.dialer->forget(key);
  d.registry->remove(key);
  if (d.started && !d.stopping) d.commands->apply(d.config);  // its alias names nobody now
  return {};
}

uint64_t Daemon::trust_generation() const { return impl_->trust_generation; }

const TrustStore& Daemon::trust() const { return impl_->trust; }

Status Daemon::connect(const Endpoint& to, ConnectCallback cb) {
  Impl& d = *impl_;
  if (!d.started || d.stopping) return make_error(Errc::closed, "the daemon is not running");
  if (!cb) return make_error(Errc::bad_request, "connect without a callback");
  return d.dialer->connect(to, std::move(cb));
}

namespace {

// Unix milliseconds as the protocol's Unix seconds.
std::optional<double> unix_seconds(std::optional<int64_t> ms) {
  if (!ms) return std::nullopt;
  return static_cast<double>(*ms) / 1000.0;
}

// Each address once, as text, in the order given.
// Where the other end of a session can be dialled, in one form: for a
// connection it made to us, its source address with the port its hello
// announced, never its ephemeral source port (protocol.md §3.1).
Endpoint dialable_remote(const Session& s) {
  Endpoint ep = s.remote_address().to_endpoint().normalized();
  if (!s.initiator() && s.hello() && s.hello()->port != 0) ep.port = s.hello()->port;
  return ep;
}

SessionInfo session_info(const Session& s, uint64_t now) {
  SessionInfo si;
  si.initiator = s.initiator();
  si.remote = dialable_remote(s).to_string();
  si.local = s.local_address().to_endpoint().normalized().to_string();
  si.remote_socket = s.remote_address().to_endpoint().normalized().to_string();
  si.age_s = static_cast<double>(now - std::min(now, s.established_at_ms())) / 1000.0;
  si.bytes_in = s.counters().bytes_in;
  si.bytes_out = s.counters().bytes_out;
  si.envelopes_in = s.counters().envelopes_in;
  si.envelopes_out = s.counters().envelopes_out;
  return si;
}

void add_texts(std::vector<std::string>& out, const std::vector<Endpoint>& addrs) {
  for (const Endpoint& raw : addrs) {
    std::string text = raw.normalized().to_string();
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
}

}  // namespace

std::vector<PeerInfo> Daemon::peers() const {
  const Impl& d = *impl_;
  std::vector<PeerInfo> out;
  uint64_t now = uv_now(d.loop);
  int64_t wall = wall_now_ms();
  for (const auto& [key, p] : d.registry->peers()) {
    PeerInfo info;
    info.id = key;
    info.fingerprint = fingerprint(key);
    if (!p->name.empty()) info.name = p->name;
    info.trusted = p->trusted;
    if (p->active == nullptr) info.last_error = p->last_error;
    info.state = d.registry->state(*p);
    add_texts(info.addrs, p->dial_addresses());  // static first, then learned
    info.learned_addrs = p->learned_addrs;
    std::optional<int64_t> last_seen_ms = p->last_seen_unix_ms;
    info.since = unix_seconds(p->since_unix_ms);
    info.rtt_ms = p->rtt_ms;
    if (const Session* s = p->active) {
      uint64_t silent = now > s->last_received_ms() ? now - s->last_received_ms() : 0;
      last_seen_ms = wall - static_cast<int64_t>(silent);
      if (s->rtt_ms()) info.rtt_ms = s->rtt_ms();
      info.session = session_info(*s, now);
    }
    info.last_seen = unix_seconds(last_seen_ms);
    out.push_back(std::move(info));
  }
  // Discovered, not trusted: listed, never dialled (discovery.hpp).
  for (const DiscoveredPeers::Entry& e : d.discovery->untrusted()) {
    if (d.registry->find(e.key) != nullptr) continue;
    PeerInfo info;
    info.id = e.key;
    // A zero key: an unknown peer's private announcement (discovery.hpp).
    if (e.key != PublicKey{}) info.fingerprint = fingerprint(e.key);
    info.trusted = false;
    add_texts(info.addrs, e.addrs);
    info.learned_addrs = e.addrs;
    info.last_seen = unix_seconds(wall - static_cast<int64_t>(now - std::min(now, e.last_seen_ms)));
    info.since = unix_seconds(wall - static_cast<int64_t>(now - std::min(now, e.first_seen_ms)));
    if (!e.name.empty()) info.host = e.name;
    out.push_back(std::move(info));
  }
  // Refused initiators: they want to pair (registry.hpp, PairRequest).
  for (const PairRequest& r : d.registry->pair_requests()) {
    if (d.registry->find(r.key) != nullptr && d.registry->find(r.key)->trusted) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const PeerInfo& i) { return i.id == r.key; });
    if (it == out.end()) {
      PeerInfo info;
      info.id = r.key;
      info.fingerprint = fingerprint(r.key);
      info.trusted = false;
      info.addrs.push_back(r.addr.to_string());
      info.last_seen = static_cast<double>(r.last_unix_ms) / 1000.0;
      out.push_back(std::move(info));
      it = std::prev(out.end());
    }
    it->wants_to_pair = static_cast<double>(r.last_unix_ms) / 1000.0;
  }
  std::sort(out.begin(), out.end(), [](const PeerInfo& a, const PeerInfo& b) { return a.id < b.id; });
  return out;
}

control::PeerShowResult Daemon::Impl::show(const Peer& p) const {
  uint64_t now = uv_now(loop);
  int64_t wall = wall_now_ms();
  control::PeerShowResult r;
  r.id = p.key;
  r.fingerprint = fingerprint(p.key);
  if (!p.name.empty()) r.name = p.name;
  if (!p.host.empty()) r.host = p.host;
  r.state = registry->state(p);
  r.since = unix_seconds(p.since_unix_ms);
  // Each address once, in the list of its first origin: static, then
  // learned, then discovered.
  std::vector<std::string> seen;
  auto add = [&seen](std::vector<std::string>& list, const Endpoint& raw) {
    if (raw.port == 0) return;
    std::string text = raw.normalized().to_string();
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) return;
    seen.push_back(text);
    list.push_back(std::move(text));
  };
  for (const Endpoint& ep : p.static_addrs) add(r.addrs.static_addrs, ep);
  for (const Endpoint& ep : p.learned_addrs)
    add(p.was_discovered(ep) ? r.addrs.discovered : r.addrs.learned, ep);
  r.rtt_ms = p.rtt_ms;
  std::optional<int64_t> last_seen_ms = p.last_seen_unix_ms;
  if (const Session* s = p.active) {
    uint64_t silent = now > s->last_received_ms() ? now - s->last_received_ms() : 0;
    last_seen_ms = wall - static_cast<int64_t>(silent);
    if (s->rtt_ms() && !p.rtt_ms) r.rtt_ms = s->rtt_ms();
    r.session = session_info(*s, now);
  }
  r.last_seen = unix_seconds(last_seen_ms);
  r.last_handshake = unix_seconds(p.last_handshake_unix_ms);
  r.last_close_reason = p.last_close_reason;
  r.last_close = unix_seconds(p.last_close_unix_ms);
  PeerTraffic t = registry->traffic(p);
  const PeerCounters& c = p.counters;
  r.counters = {
      {"messages_in", t.messages_in},       {"messages_out", t.messages_out},
      {"bytes_in", t.bytes_in},             {"bytes_out", t.bytes_out},
      {"calls_in", c.calls_in},             {"calls_out", c.calls_out},
      {"call_errors", c.call_errors},       {"sends_in", c.sends_in},
      {"sends_out", c.sends_out},           {"sends_dropped", c.sends_dropped},
      {"sends_refused", c.sends_refused},   {"handshakes_ok", c.handshakes_ok},
      {"handshakes_failed", c.handshakes_failed}, {"pings", c.pings},
  };
  return r;
}

Result<control::PeerShowResult> Daemon::show(const PublicKey& peer) const {
  const Peer* p = impl_->registry->find(peer);
  if (p == nullptr || !p->trusted) return make_error(Errc::no_such_peer, peer_tag(peer) + " is not a trusted peer");
  return impl_->show(*p);
}

std::vector<control::PeerShowResult> Daemon::show_all() const {
  std::vector<control::PeerShowResult> out;
  for (const auto& [key, p] : impl_->registry->peers())
    if (p->trusted) out.push_back(impl_->show(*p));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Discovery& Daemon::discovery() { return *impl_->discovery; }
void Daemon::network_changed() { impl_->discovery->network_changed(); }
std::string Daemon::mdns_instance() const { return impl_->discovery->mdns_instance(); }

control::DoctorResult Daemon::doctor() const {
  const Impl& d = *impl_;
  control::DoctorResult r;
  r.pid = static_cast<uint64_t>(::getpid());
  for (const Endpoint& e : d.config.network.listen) r.listen.push_back(e.to_string());
  for (const Endpoint& e : d.listener->addresses()) r.listening.push_back(e.to_string());
  DiscoveryHub::Report hub = d.discovery->report();
  r.mdns = hub.mdns;
  r.mdns_running = hub.mdns_running;
  r.broadcast = hub.broadcast;
  r.broadcast_running = hub.broadcast_running;
  r.broadcast_port = d.config.discovery.broadcast_port;
  r.only = hub.only;
  for (DiscoveryHub::InterfaceReport& i : hub.interfaces) {
    control::DoctorInterface out;
    out.name = std::move(i.name);
    out.used = i.used;
    if (!i.used) out.excluded = std::move(i.excluded);
    out.ipv4 = std::move(i.ipv4);
    out.ipv6 = std::move(i.ipv6);
    out.mdns_ipv4 = i.mdns_ipv4;
    out.mdns_ipv6 = i.mdns_ipv6;
    r.interfaces.push_back(std::move(out));
  }
  return r;
}

const PublicKey& Daemon::identity() const { return impl_->identity.pub; }

DaemonStatus Daemon::status() const {
  const Impl& d = *impl_;
  DaemonStatus st;
  st.uptime_s = d.started ? static_cast<double>(uv_now(d.loop) - d.started_at_ms) / 1000.0 : 0;
  st.peers_trusted = d.trust.size();
  for (const auto& [key, p] : d.registry->peers())
    if (p->active != nullptr) ++st.peers_online;
  st.sessions = d.registry->session_count();
  st.handshakes_pending = d.registry->handshaking();
  st.handshakes_ok = d.registry->counters().handshakes_ok;
  st.handshakes_failed = d.registry->counters().handshakes_failed;
  st.calls_in = d.calls_in;
  st.calls_out = d.calls_out;
  st.sends_in = d.sends_in;
  st.sends_out = d.sends_out;
  st.sends_dropped = d.sends_dropped;
  st.sends_refused = d.sends_refused;
  st.sends_refusals_sent = d.sends_refusals_sent;
  st.bytes_in = d.registry->bytes_in();
  st.bytes_out = d.registry->bytes_out();
  st.handles = d.handles.size();
  st.pairing_windows = d.pairing->counters().windows_opened;
  st.pairing_paired = d.pairing->counters().paired;
  st.pairing_attempts_failed = d.pairing->counters().attempts_failed;
  st.pairing_joins_failed = d.pairing->counters().joins_failed;
  st.listening = d.listener->addresses();
  const ListenerCounters& lc = d.listener->counters();
  st.handshakes_refused_full = lc.refused_full;
  st.handshakes_refused_per_address = lc.refused_per_source;
  st.handshakes_refused_rate = lc.refused_rate;
  st.handshakes_dropped_early = lc.dropped_early;
  st.accept_failed = lc.accept_failed;
  st.calls_in_duplicate = d.calls_in_duplicate;
  return st;
}

const Config& Daemon::config() const { return impl_->config; }

Daemon::SubscriptionId Daemon::subscribe(Observer observer) {
  return impl_->registry->subscribe(std::move(observer));
}

void Daemon::unsubscribe(SubscriptionId id) { impl_->registry->unsubscribe(id); }

}  // namespace peernet
