#include "discovery/discovery.hpp"

#include <algorithm>
#include <cmath>

namespace peernet {
namespace {

// At least a second, at most a day; NaN counts as a second.
uint64_t expiry(double ttl_s, uint64_t now_ms) {
  double ttl_ms = (ttl_s >= 1 ? std::min(ttl_s, 86400.0) : 1.0) * 1000.0;
  return now_ms + static_cast<uint64_t>(std::ceil(ttl_ms));
}

}  // namespace

bool DiscoveredPeers::add(const DiscoveredPeer& peer, uint64_t now_ms) {
  uint64_t expires = expiry(peer.ttl_s, now_ms);
  // Unknown peers (zero key) are told apart by their instance name.
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.key == peer.key && (!peer.anonymous || e.name == peer.name);
  });
  bool fresh = it == entries_.end();
  if (fresh) {
    if (entries_.size() >= kMaxDiscoveredPeers) {
      auto first = std::min_element(entries_.begin(), entries_.end(),
                                    [](const Entry& a, const Entry& b) { return a.expires_ms < b.expires_ms; });
      entries_.erase(first);
    }
    entries_.push_back(Entry{peer.key, peer.name, {}, expires, now_ms, now_ms});
    it = entries_.end() - 1;
  }
  Entry& e = *it;
  e.expires_ms = std::max(e.expires_ms, expires);
  e.last_seen_ms = now_ms;
  if (!peer.name.empty()) e.name = peer.name;
  bool changed = fresh;
  for (auto a = peer.addrs.rbegin(); a != peer.addrs.rend(); ++a) {
    auto known = std::find(e.addrs.begin(), e.addrs.end(), *a);
    if (known != e.addrs.end()) {
      e.addrs.erase(known);
    } else {
      changed = true;
    }
    e.addrs.insert(e.addrs.begin(), *a);
  }
  if (e.addrs.size() > kMaxDiscoveredAddresses) e.addrs.resize(kMaxDiscoveredAddresses);
  return changed;
}

void DiscoveredPeers::remove(const PublicKey& key) {
  std::erase_if(entries_, [&](const Entry& e) { return e.key == key; });
}

void DiscoveredPeers::expire(uint64_t now_ms) {
  std::erase_if(entries_, [&](const Entry& e) { return e.expires_ms <= now_ms; });
}

void PairingHosts::seen(const DiscoveredPeer& peer, uint64_t now_ms) {
  remove(peer.key);
  expire(now_ms);
  if (!peer.pairing_nameplate || peer.addrs.empty()) return;
  if (entries_.size() >= kMaxPairingHosts) entries_.pop_back();
  std::vector<Endpoint> addrs = peer.addrs;
  if (addrs.size() > kMaxPairingHostAddresses) addrs.resize(kMaxPairingHostAddresses);
  entries_.insert(entries_.begin(), Entry{peer.key, *peer.pairing_nameplate, std::move(addrs), expiry(peer.ttl_s, now_ms)});
}

void PairingHosts::remove(const PublicKey& key) {
  std::erase_if(entries_, [&](const Entry& e) { return e.key == key; });
}

void PairingHosts::expire(uint64_t now_ms) {
  std::erase_if(entries_, [&](const Entry& e) { return e.expires_ms <= now_ms; });
}

std::vector<Endpoint> PairingHosts::hosts(std::string_view nameplate, uint64_t now_ms) {
  expire(now_ms);
  std::vector<Endpoint> out;
  for (const Entry& e : entries_) {
    if (e.nameplate != nameplate) continue;
    for (const Endpoint& a : e.addrs) {
      if (out.size() >= kMaxPairingHostAddresses) return out;
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
  }
  return out;
}

size_t PairingHosts::size(uint64_t now_ms) {
  expire(now_ms);
  return entries_.size();
}

}  // namespace peernet
