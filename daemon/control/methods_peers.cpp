// The control methods about this daemon, its peers and the trust list:
// hello, identity, status, peers, trust.*, subscribe, connect; and the peer
// events a subscription turns into notifications (guides/control-api.md §6, §7).
#include <algorithm>
#include <utility>
#include <vector>

#include "control/connection.hpp"
#include "proto/link/envelope.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

std::optional<std::string> opt_name(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return name;
}

control::PeerState to_control(PeerState s) {
  switch (s) {
    case PeerState::offline: return control::PeerState::offline;
    case PeerState::connecting: return control::PeerState::connecting;
    case PeerState::online: return control::PeerState::online;
  }
  return control::PeerState::offline;
}

// Static addresses first, then learned ones, each once.
std::vector<std::string> addresses(const PeerInfo& p) {
  std::vector<std::string> out;
  for (const auto* list : {&p.static_addrs, &p.learned_addrs})
    for (const Endpoint& ep : *list) {
      std::string text = ep.to_string();
      if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
    }
  return out;
}

control::PeerInfo to_control(const PeerInfo& p) {
  control::PeerInfo out;
  out.id = p.key;
  out.name = opt_name(p.name);
  out.state = to_control(p.state);
  out.trusted = p.trusted;
  out.addrs = addresses(p);
  if (p.last_seen_unix_ms) out.last_seen = static_cast<double>(*p.last_seen_unix_ms) / 1000.0;
  out.rtt_ms = p.rtt_ms;
  if (p.since_unix_ms) out.since = static_cast<double>(*p.since_unix_ms) / 1000.0;
  if (p.session) out.session = control::SessionInfo{p.session->initiator, p.session->remote_address};
  return out;
}

// A human line for peer.down, from the close reason.
std::string down_message(std::string_view reason) {
  if (reason == "timeout") return "nothing received from the peer in time";
  if (reason == "shutdown") return "the peer is shutting down";
  if (reason == "untrusted_peer") return "the peer is not trusted (any more)";
  if (reason == "duplicate") return "the session was replaced by another";
  if (reason == "closed") return "the connection closed";
  if (reason == "network_changed") return "the local address of the session went away";
  return "the session closed: " + std::string(reason);
}

Result<Bytes> done(Status st) {
  if (!st) return std::move(st).error();
  return control::encode_empty_result();
}

}  // namespace

Result<PublicKey> ControlClient::resolve(std::string_view name, bool trusted_only) const {
  PEERNET_TRY(PublicKey key, daemon_.trust().resolve(name));
  if (trusted_only && daemon_.trust().find(key) == nullptr)
    return make_error(Errc::untrusted_peer, peer_tag(key) + " is not on the trust list");
  return key;
}

void ControlClient::run(uint32_t msgid, control::HelloParams p) {
  if (p.client) log_.info(tag() + " is " + quote(*p.client));
  control::HelloResult r;
  r.daemon = ctx_.daemon_name;
  r.id = daemon_.identity();
  r.admin = admin_;
  respond(msgid, control::encode_result(r));
}

void ControlClient::run(uint32_t msgid, control::IdentityParams) {
  const PublicKey& id = daemon_.identity();
  respond(msgid, control::encode_result(control::IdentityResult{id, fingerprint(id)}));
}

void ControlClient::run(uint32_t msgid, control::StatusParams) {
  DaemonStatus st = daemon_.status();
  control::StatusResult r;
  r.id = daemon_.identity();
  r.uptime_s = st.uptime_s;
  r.sessions = st.sessions - std::min(st.sessions, st.handshakes_pending);
  r.peers_online = st.peers_online;
  r.peers_total = st.peers_trusted;
  r.handles = st.handles;
  r.counters = {
      {"calls_in", st.calls_in},
      {"calls_out", st.calls_out},
      {"sends_in", st.sends_in},
      {"sends_out", st.sends_out},
      {"sends_dropped", st.sends_dropped},
      {"bytes_in", st.bytes_in},
      {"bytes_out", st.bytes_out},
      {"handshakes_ok", st.handshakes_ok},
      {"handshakes_failed", st.handshakes_failed},
      {"handshakes_pending", st.handshakes_pending},
      {"control_clients", ctx_.counters.clients_open},
      {"control_clients_accepted", ctx_.counters.clients_accepted},
      {"control_clients_refused", ctx_.counters.clients_refused},
      {"control_clients_cut_off", ctx_.counters.clients_cut_off},
      {"control_notifications_dropped", ctx_.counters.notifications_dropped},
      {"control_bad_requests", ctx_.counters.bad_requests},
  };
  respond(msgid, control::encode_result(r));
}

void ControlClient::run(uint32_t msgid, control::PeersParams p) {
  std::vector<control::PeerInfo> out;
  for (const PeerInfo& info : daemon_.peers())
    if (p.all || info.trusted) out.push_back(to_control(info));
  respond(msgid, control::encode_result(out));
}

void ControlClient::run(uint32_t msgid, control::TrustAddParams p) {
  // Omitted name and addrs keep what the trust list has (control-api.md).
  TrustedPeer peer{p.id, {}, {}};
  if (const TrustedPeer* existing = daemon_.trust().find(p.id)) peer = *existing;
  if (p.name) peer.name = *p.name;
  if (p.addrs) {
    peer.addrs.clear();
    for (const std::string& text : *p.addrs) {
      auto ep = Endpoint::parse(text, EndpointUse::connect);
      if (!ep) return respond(msgid, make_error(Errc::bad_request, "trust.add: \"addrs\": " +
                                                                       ep.error().message));
      peer.addrs.push_back(std::move(*ep));
    }
  }
  if (auto st = daemon_.trust_add(std::move(peer)); !st) return respond(msgid, std::move(st).error());
  log_.info(tag() + " trusted " + peer_tag(p.id));
  respond(msgid, control::encode_result(control::IdResult{p.id}));
}

void ControlClient::run(uint32_t msgid, control::TrustRemoveParams p) {
  auto key = resolve(p.peer, false);
  if (!key) return respond(msgid, std::move(key).error());
  Status st = daemon_.trust_remove(*key);
  if (st) log_.info(tag() + " removed " + peer_tag(*key) + " from the trust list");
  respond(msgid, done(std::move(st)));
}

void ControlClient::run(uint32_t msgid, control::TrustListParams) {
  std::vector<control::TrustEntry> out;
  for (const TrustedPeer& tp : daemon_.trust().peers()) {
    control::TrustEntry e{tp.key, opt_name(tp.name), {}};
    for (const Endpoint& ep : tp.addrs) e.addrs.push_back(ep.to_string());
    out.push_back(std::move(e));
  }
  respond(msgid, control::encode_result(out));
}

void ControlClient::run(uint32_t msgid, control::SubscribeParams p) {
  events_.reset();
  if (!p.events)
    events_.set();
  else
    for (control::PeerEventKind k : *p.events) events_.set(static_cast<size_t>(k));
  if (events_.none() && subscription_) {
    daemon_.unsubscribe(*subscription_);
    subscription_.reset();
  } else if (events_.any() && !subscription_) {
    subscription_ = daemon_.subscribe([weak = weak_from_this()](const PeerEvent& e) {
      if (auto self = weak.lock()) self->on_peer_event(e);
    });
  }
  respond(msgid, control::encode_empty_result());
}

void ControlClient::run(uint32_t msgid, control::ConnectParams p) {
  auto to = Endpoint::parse(p.addr, EndpointUse::connect);
  if (!to) return respond(msgid, make_error(Errc::bad_request, "connect: " + to.error().message));
  uint64_t token = next_token();
  auto answer = async_answer(token);
  Status st = daemon_.connect(*to, [answer](Result<PublicKey> r) {
    if (!r) return answer(std::move(r).error());
    answer(control::encode_result(control::IdResult{*r}));
  });
  if (!st) return respond(msgid, std::move(st).error());
  begin_async(token, msgid);
}

void ControlClient::on_peer_event(const PeerEvent& e) {
  if (state_ != State::open) return;
  control::PeerEvent out;
  out.id = e.key;
  out.name = opt_name(e.name);
  switch (e.kind) {
    case PeerEvent::Kind::up: out.kind = control::PeerEventKind::up; break;
    case PeerEvent::Kind::down: {
      out.kind = control::PeerEventKind::down;
      // The protocol promises a code of [a-z0-9_]; the close reasons are.
      out.reason = valid_code(e.reason) ? e.reason : std::string(to_string(Errc::closed));
      out.message = down_message(*out.reason);
      break;
    }
    case PeerEvent::Kind::connecting: {
      out.kind = control::PeerEventKind::connecting;
      out.addrs.emplace();
      for (const PeerInfo& info : daemon_.peers())
        if (info.key == e.key) out.addrs = addresses(info);
      break;
    }
    case PeerEvent::Kind::discovered:
      out.kind = control::PeerEventKind::discovered;
      out.addrs = e.addrs;
      break;
  }
  if (!events_.test(static_cast<size_t>(out.kind))) return;
  auto self = shared_from_this();
  write(control::make_notification(out), Kind::notification);
}

}  // namespace peernet
