#include "discovery/hub.hpp"

#include <algorithm>

#include "discovery/interfaces.hpp"
#include "proto/dns/private_sd.hpp"
#include "proto/pairing/code.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"

namespace peernet {
namespace {

std::vector<std::string> texts(const std::vector<Endpoint>& eps) {
  std::vector<std::string> out;
  for (const Endpoint& ep : eps) out.push_back(ep.to_string());
  return out;
}

std::string joined(const std::vector<Endpoint>& eps) {
  std::string out;
  for (const Endpoint& ep : eps) out += (out.empty() ? "" : ", ") + ep.to_string();
  return out;
}

}  // namespace

DiscoveryHub::DiscoveryHub(uv_loop_t* loop, Logger& log, Rng& rng, Registry& registry, Dialer& dialer,
                           const PublicKey& self)
    : loop_(loop), log_(log), rng_(rng), registry_(registry), dialer_(dialer), self_(self) {}

DiscoveryHub::~DiscoveryHub() { stop(); }

void DiscoveryHub::start(const Config& config, uint16_t tcp_port, std::vector<Endpoint> listening) {
  settings_ = config.discovery;
  network_ = config.network;
  tcp_port_ = tcp_port;
  listening_ = std::move(listening);
  running_ = true;
  start_mdns();
  start_broadcast();
  start_monitor();
}

void DiscoveryHub::start_mdns() {
  mdns_.reset();
  pairing_hosts_.clear();
  if (!settings_.mdns) return;
  MdnsSettings s{settings_.instance, settings_.interfaces, tcp_port_, self_};
  s.listening = listening_;
  s.private_announcements = settings_.private_announcements;
  // One HMAC per trusted key (protocol.md §11.4).
  s.recognise = [this](const PrivateMark& mark) -> std::optional<PublicKey> {
    for (const auto& [key, p] : registry_.peers())
      if (p->trusted && private_mark_matches(mark, key)) return key;
    return std::nullopt;
  };
  auto m = std::make_unique<MdnsDiscovery>(loop_, log_, rng_, *this, std::move(s));
  // Validated when it was set: this cannot fail.
  (void)m->set_pairing_nameplate(pairing_nameplate_);
  if (auto st = m->start(); !st) return log_.warning("mDNS: " + st.error().describe() + "; mDNS is off");
  mdns_ = std::move(m);
}

void DiscoveryHub::start_broadcast() {
  broadcast_.reset();
  if (!settings_.broadcast || tcp_port_ == 0) return;
  BroadcastSettings s{settings_.broadcast_port, seconds_to_ms(settings_.broadcast_interval),
                      settings_.interfaces, tcp_port_, self_};
  auto b = std::make_unique<BroadcastDiscovery>(loop_, log_, *this, std::move(s));
  if (auto st = b->start(); !st)
    return log_.warning("broadcast discovery: " + st.error().describe() + "; broadcast discovery is off");
  broadcast_ = std::move(b);
}

void DiscoveryHub::start_monitor() {
  monitor_ = start_network_monitor(loop_, log_, network_.monitor, seconds_to_ms(network_.poll_interval),
                                   [this] { network_changed(); });
  log_.debug("network monitor: " + std::string(monitor_->kind()));
}

void DiscoveryHub::reconfigure(const Config& config) {
  if (!running_) return;
  Config::Discovery old = settings_;
  Config::Network old_network = network_;
  settings_ = config.discovery;
  network_ = config.network;
  bool common = old.interfaces != settings_.interfaces;
  if (common || old.mdns != settings_.mdns || old.instance != settings_.instance ||
      old.private_announcements != settings_.private_announcements) {
    if (mdns_) mdns_->stop();  // the goodbye for the old name
    start_mdns();
  }
  if (common || old.broadcast != settings_.broadcast || old.broadcast_port != settings_.broadcast_port ||
      old.broadcast_interval != settings_.broadcast_interval)
    start_broadcast();
  if (old_network.monitor != network_.monitor || old_network.poll_interval != network_.poll_interval) start_monitor();
}

void DiscoveryHub::stop() {
  running_ = false;
  if (mdns_) mdns_->stop();
  mdns_.reset();
  pairing_hosts_.clear();
  broadcast_.reset();
  monitor_.reset();
}

void DiscoveryHub::network_changed() {
  if (!running_) return;
  auto interfaces = list_interfaces();
  size_t closed = 0;
  if (interfaces) closed = registry_.close_sessions_not_on(all_addresses(*interfaces));
  log_.info("network changed" +
            (closed > 0 ? ": closed " + std::to_string(closed) + " session(s) on vanished addresses" : std::string()) +
            ", redialling offline peers");
  std::vector<PublicKey> offline;
  for (const auto& [key, p] : registry_.peers())
    if (p->trusted && p->active == nullptr) offline.push_back(key);
  for (const PublicKey& key : offline) dialer_.redial_now(key);
  if (mdns_) mdns_->network_changed();
  if (broadcast_) broadcast_->network_changed();
}

void DiscoveryHub::peer_found(const DiscoveredPeer& found) {
  if (!running_ || found.key == self_ || found.addrs.empty()) return;
  // Trusted peers too: pairing again with a trusted peer is allowed.
  // Only mDNS carries nameplates, so a beacon leaves the entry alone.
  if (found.source == "mdns" && !found.anonymous) pairing_hosts_.seen(found, uv_now(loop_));
  Peer* p = registry_.find(found.key);
  PeerEvent ev{PeerEvent::Kind::discovered, found.key, {}, {}, {}, texts(found.addrs)};
  if (p != nullptr && p->trusted) {
    bool fresh = false;
    for (auto a = found.addrs.rbegin(); a != found.addrs.rend(); ++a) {
      bool known = std::find(p->learned_addrs.begin(), p->learned_addrs.end(), *a) != p->learned_addrs.end() ||
                   std::find(p->static_addrs.begin(), p->static_addrs.end(), *a) != p->static_addrs.end();
      fresh |= !known;
      p->learn_address(*a, true);
    }
    ev.name = p->name;
    if (!found.name.empty()) p->host = found.name;
    bool offline = p->active == nullptr;
    if (fresh) log_.info("discovered " + p->tag() + " at " + joined(found.addrs) + " (" + found.source + ")");
    // A peer that refused us is dialled again for a new address only, not
    // for every repeated announcement (protocol.md §8).
    if (offline && (fresh || !p->refused_us)) dialer_.redial_now(found.key);
    if (fresh) registry_.publish(ev);  // user code: nothing after it
    return;
  }
  untrusted_.expire(uv_now(loop_));
  if (!untrusted_.add(found, uv_now(loop_))) return;
  if (found.anonymous) {
    // No id to put in a peer.discovered event: listed by `peers --all` only.
    log_.info("discovered unknown peer " + quote(found.name) + " at " + joined(found.addrs) + " (private mDNS)");
    return;
  }
  log_.info("discovered untrusted " + peer_tag(found.key) + (found.name.empty() ? "" : " " + quote(found.name)) +
            " at " + joined(found.addrs) + " (" + found.source + "), not dialling");
  registry_.publish(ev);
}

void DiscoveryHub::peer_lost(const PublicKey& key, std::string_view source) {
  if (log_.enabled(LogLevel::debug)) log_.debug(peer_tag(key) + " gone from " + std::string(source));
  untrusted_.remove(key);
  if (source == "mdns") pairing_hosts_.remove(key);
}

void DiscoveryHub::set_pairing_nameplate(std::optional<std::string> nameplate) {
  if (nameplate && !pairing::valid_nameplate(*nameplate))
    return log_.warning("mDNS: pairing nameplate " + quote(*nameplate) + " is not 3 digits, ignoring");
  if (nameplate == pairing_nameplate_) return;
  pairing_nameplate_ = std::move(nameplate);
  if (!mdns_) return;
  if (log_.enabled(LogLevel::debug))
    log_.debug(pairing_nameplate_ ? "mDNS: announcing pairing nameplate " + *pairing_nameplate_
                                  : std::string("mDNS: no longer announcing a pairing nameplate"));
  (void)mdns_->set_pairing_nameplate(pairing_nameplate_);  // validated above
}

std::vector<Endpoint> DiscoveryHub::hosts_with_nameplate(std::string_view nameplate) {
  if (!mdns_) return {};
  uint64_t now = uv_now(loop_);
  std::vector<Endpoint> found = pairing_hosts_.hosts(nameplate, now);
  // Nothing yet: ask the LAN now rather than at the browser's next query,
  // which may be a minute away. At most once a second (RFC 6762 §5.2
  // spaces repeated queries by at least a second) however often we are
  // polled.
  if (found.empty() && (!pairing_query_ms_ || now >= *pairing_query_ms_ + 1000)) {
    pairing_query_ms_ = now;
    mdns_->query_now();
  }
  return found;
}

const std::vector<DiscoveredPeers::Entry>& DiscoveryHub::untrusted() {
  untrusted_.expire(uv_now(loop_));
  return untrusted_.entries();
}

std::vector<Endpoint> DiscoveryHub::adopt(const PublicKey& key) {
  std::vector<Endpoint> addrs;
  for (const auto& e : untrusted_.entries())
    if (e.key == key) addrs = e.addrs;
  untrusted_.remove(key);
  return addrs;
}

std::string DiscoveryHub::mdns_instance() const { return mdns_ ? mdns_->instance() : std::string(); }

}  // namespace peernet

namespace peernet {

DiscoveryHub::Report DiscoveryHub::report() const {
  Report r;
  r.mdns = settings_.mdns;
  r.broadcast = settings_.broadcast;
  r.mdns_running = mdns_ != nullptr;
  r.broadcast_running = broadcast_ != nullptr;
  r.only = settings_.interfaces;
  auto list = list_interfaces();
  if (!list) return r;
  for (const NetInterface& i : *list) {
    InterfaceReport ir;
    ir.name = i.name;
    ir.ipv4 = i.ipv4;
    ir.ipv6 = i.ipv6;
    ir.used = discovery_interface(i, settings_.interfaces);
    if (!ir.used) {
      if (!i.up) ir.excluded = "down";
      else if (!settings_.interfaces.empty()) ir.excluded = "not in discovery.interfaces";
      else if (i.loopback) ir.excluded = "loopback";
      else if (i.point_to_point) ir.excluded = "point-to-point";
      else ir.excluded = "no multicast";
    }
    if (mdns_) {
      auto it = mdns_->links().find(i.index);
      if (it != mdns_->links().end()) {
        ir.mdns_ipv4 = it->second.ipv4;
        ir.mdns_ipv6 = it->second.ipv6;
      }
    }
    r.interfaces.push_back(std::move(ir));
  }
  return r;
}

}  // namespace peernet
