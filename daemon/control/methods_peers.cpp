// The control methods about this daemon, its peers and the trust list:
// hello, identity, status, peers, trust.*, subscribe, connect; and the peer
// events a subscription turns into notifications (guides/control-api.md §6, §7).
#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "control/connection.hpp"
#include "control/metrics.hpp"
#include "discovery/interfaces.hpp"
#include "proto/link/envelope.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

std::optional<std::string> opt_name(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return name;
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

Result<PublicKey> ControlClient::resolve_cached(std::string_view name) {
  if (name != last_peer_.name || last_peer_.trust != daemon_.trust_generation()) {
    PEERNET_TRY(PublicKey key, resolve(name, true));
    last_peer_ = {std::string(name), key, daemon_.trust_generation()};
  }
  return last_peer_.key;
}

const Bytes& ControlClient::delivery_prefix(DeliveryPrefix& cache, const PublicKey& peer,
                                            Bytes (*make)(const PublicKey&, const std::optional<std::string>&)) {
  if (cache.bytes.empty() || cache.peer != peer || cache.trust != daemon_.trust_generation())
    cache = {make(peer, alias_of(peer)), peer, daemon_.trust_generation()};
  return cache.bytes;
}

template <>
void serve<control::method::Hello>(ControlClient& c, uint32_t msgid, control::HelloParams p) {
  if (p.client) c.log_.info(c.tag() + " is " + quote(*p.client));
  control::HelloResult r;
  r.daemon = c.ctx_.daemon_name;
  r.id = c.daemon_.identity();
  r.admin = c.admin_;
  c.respond(msgid, control::encode_result(r));
}

template <>
void serve<control::method::Identity>(ControlClient& c, uint32_t msgid, control::IdentityParams) {
  const PublicKey& id = c.daemon_.identity();
  control::IdentityResult r{id, fingerprint(id)};
  // A wildcard listener is reachable at every address of the machine but
  // loopback; a specific one at its own address only (not when loopback).
  std::vector<std::string> addrs;
  auto interfaces = list_interfaces();
  for (const Endpoint& ep : c.daemon_.status().listening) {
    bool any4 = ep.host == "0.0.0.0", any6 = ep.host == "::";
    if (!any4 && !any6) {
      if (ep.host.rfind("127.", 0) != 0 && ep.host != "::1") addrs.push_back(ep.to_string());
      continue;
    }
    if (!interfaces) continue;
    for (const NetInterface& i : *interfaces) {
      if (i.loopback || !i.up) continue;
      for (const auto& a : i.ipv4) addrs.push_back(Endpoint{a, ep.port}.to_string());
      // Link-local IPv6 needs a scope no other box shares: leave it out.
      if (any6)
        for (const auto& a : i.ipv6)
          if (a.rfind("fe80", 0) != 0) addrs.push_back(Endpoint{a, ep.port}.to_string());
    }
  }
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
  if (!addrs.empty()) r.addrs = std::move(addrs);
  c.respond(msgid, control::encode_result(r));
}

template <>
void serve<control::method::Status>(ControlClient& c, uint32_t msgid, control::StatusParams) {
  DaemonStatus st = c.daemon_.status();
  control::StatusResult r;
  r.id = c.daemon_.identity();
  r.uptime_s = st.uptime_s;
  r.sessions = st.sessions - std::min(st.sessions, st.handshakes_pending);
  r.peers_online = st.peers_online;
  r.peers_total = st.peers_trusted;
  r.handles = st.handles;
  for (const CounterRow& row : counter_rows(st, c.ctx_.counters)) r.counters.emplace(std::string(row.name), row.value);
  c.respond(msgid, control::encode_result(r));
}

template <>
void serve<control::method::Peers>(ControlClient& c, uint32_t msgid, control::PeersParams p) {
  std::vector<PeerInfo> peers = c.daemon_.peers();
  if (!p.all) std::erase_if(peers, [](const PeerInfo& info) { return !info.trusted; });
  c.respond(msgid, control::encode_result(peers));
}

template <>
void serve<control::method::TrustAdd>(ControlClient& c, uint32_t msgid, control::TrustAddParams p) {
  // Omitted name and addrs keep what the trust list has (control-api.md).
  TrustedPeer peer{p.id, {}, {}};
  if (const TrustedPeer* existing = c.daemon_.trust().find(p.id)) peer = *existing;
  if (p.name) peer.name = *p.name;
  if (p.addrs) {
    peer.addrs.clear();
    for (const std::string& text : *p.addrs) {
      auto ep = Endpoint::parse(text, EndpointUse::connect);
      if (!ep) return c.respond(msgid, make_error(Errc::bad_request, "trust.add: \"addrs\": " +
                                                                       ep.error().message));
      peer.addrs.push_back(std::move(*ep));
    }
  }
  if (auto st = c.daemon_.trust_add(std::move(peer)); !st) return c.respond(msgid, std::move(st).error());
  c.log_.info(c.tag() + " trusted " + peer_tag(p.id));
  c.respond(msgid, control::encode_result(control::IdResult{p.id}));
}

template <>
void serve<control::method::TrustRemove>(ControlClient& c, uint32_t msgid, control::TrustRemoveParams p) {
  auto key = c.resolve(p.peer, false);
  if (!key) return c.respond(msgid, std::move(key).error());
  Status st = c.daemon_.trust_remove(*key);
  if (st) c.log_.info(c.tag() + " removed " + peer_tag(*key) + " from the trust list");
  c.respond(msgid, done(std::move(st)));
}

template <>
void serve<control::method::TrustList>(ControlClient& c, uint32_t msgid, control::TrustListParams) {
  std::vector<control::TrustEntry> out;
  for (const TrustedPeer& tp : c.daemon_.trust().peers()) {
    control::TrustEntry e{tp.key, opt_name(tp.name), {}};
    for (const Endpoint& ep : tp.addrs) e.addrs.push_back(ep.to_string());
    out.push_back(std::move(e));
  }
  c.respond(msgid, control::encode_result(out));
}

template <>
void serve<control::method::Subscribe>(ControlClient& c, uint32_t msgid, control::SubscribeParams p) {
  c.events_.reset();
  if (!p.events)
    c.events_.set();
  else
    for (control::PeerEventKind k : *p.events) c.events_.set(static_cast<size_t>(k));
  if (c.events_.none() && c.subscription_) {
    c.daemon_.unsubscribe(*c.subscription_);
    c.subscription_.reset();
  } else if (c.events_.any() && !c.subscription_) {
    c.subscription_ = c.daemon_.subscribe([weak = c.weak_from_this()](const PeerEvent& e) {
      if (auto self = weak.lock()) self->on_peer_event(e);
    });
  }
  c.respond(msgid, control::encode_empty_result());
}

template <>
void serve<control::method::Connect>(ControlClient& c, uint32_t msgid, control::ConnectParams p) {
  auto to = Endpoint::parse(p.addr, EndpointUse::connect);
  if (!to) return c.respond(msgid, make_error(Errc::bad_request, "connect: " + to.error().message));
  uint64_t token = c.next_token();
  auto answer = c.async_answer(token);
  Status st = c.daemon_.connect(*to, [answer](Result<PublicKey> r) {
    if (!r) return answer(std::move(r).error());
    answer(control::encode_result(control::IdResult{*r}));
  });
  if (!st) return c.respond(msgid, std::move(st).error());
  c.begin_async(token, msgid);
}

// ---- pairing by code (pair_methods.hpp) ----

template <>
void serve<control::method::PairOpen>(ControlClient& c, uint32_t msgid, control::PairOpenParams p) {
  c.respond(msgid, [&]() -> Result<Bytes> {
    PEERNET_TRY(control::PairOpenResult r, c.daemon_.pair_open(c.id(), p.window, p.name));
    return control::encode_result(r);
  }());
}

// Both answer when the pairing ends, which may take the whole window.
template <>
void serve<control::method::PairWait>(ControlClient& c, uint32_t msgid, control::PairWaitParams) {
  uint64_t token = c.next_token();
  auto answer = c.async_answer(token);
  Status st = c.daemon_.pair_wait(c.id(), [answer](Result<control::PairedResult> r) {
    if (!r) return answer(std::move(r).error());
    answer(control::encode_result(*r));
  });
  if (!st) return c.respond(msgid, std::move(st).error());
  c.begin_async(token, msgid);
}

template <>
void serve<control::method::PairJoin>(ControlClient& c, uint32_t msgid, control::PairJoinParams p) {
  uint64_t token = c.next_token();
  auto answer = c.async_answer(token);
  Status st = c.daemon_.pair_join(c.id(), p, [answer](Result<control::PairedResult> r) {
    if (!r) return answer(std::move(r).error());
    answer(control::encode_result(*r));
  });
  if (!st) return c.respond(msgid, std::move(st).error());
  c.begin_async(token, msgid);
}

void ControlClient::on_peer_event(const PeerEvent& e) {
  if (state_ != State::open || !events_.test(static_cast<size_t>(e.kind))) return;
  control::PeerEvent out;
  out.kind = e.kind;
  out.id = e.key;
  out.fingerprint = fingerprint(e.key);
  out.name = opt_name(e.name);
  switch (e.kind) {
    case PeerEventKind::up: break;
    case PeerEventKind::down:
      // The protocol promises a code of [a-z0-9_]; the close reasons are.
      out.reason = valid_code(e.reason) ? e.reason : std::string(kReasonClosed);
      out.message = down_message(*out.reason);
      break;
    case PeerEventKind::connecting:
      out.addrs.emplace();
      for (const PeerInfo& info : daemon_.peers())
        if (info.id == e.key) out.addrs = info.addrs;
      break;
    case PeerEventKind::discovered:
    case PeerEventKind::wants_to_pair: out.addrs = e.addrs; break;
  }
  auto self = shared_from_this();
  write(control::make_notification(out), Kind::notification);
}

namespace {
constexpr std::array kRoutes = {
    route<control::method::Hello>(),     route<control::method::Identity>(),
    route<control::method::Status>(),    route<control::method::Peers>(),
    route<control::method::TrustAdd>(),  route<control::method::TrustRemove>(),
    route<control::method::TrustList>(), route<control::method::Subscribe>(),
    route<control::method::Connect>(),   route<control::method::PairOpen>(),
    route<control::method::PairWait>(),  route<control::method::PairJoin>(),
};
}  // namespace

std::span<const ControlRoute> peer_routes() { return kRoutes; }

}  // namespace peernet
