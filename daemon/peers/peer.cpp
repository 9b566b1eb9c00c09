#include "peers/peer.hpp"

#include <algorithm>

#include "base/constants.hpp"
#include "base/log.hpp"
#include "proto/peer_id.hpp"

namespace peernet {

std::vector<Endpoint> Peer::dial_addresses() const {
  std::vector<Endpoint> out;
  for (const auto* list : {&static_addrs, &learned_addrs})
    for (const Endpoint& raw : *list)
      if (Endpoint ep = raw.normalized(); std::find(out.begin(), out.end(), ep) == out.end()) out.push_back(ep);
  return out;
}

void Peer::learn_address(const Endpoint& raw, bool discovered) {
  if (raw.port == 0) return;
  Endpoint ep = raw.normalized();
  std::erase(learned_addrs, ep);
  learned_addrs.insert(learned_addrs.begin(), ep);
  if (learned_addrs.size() > kMaxLearnedAddresses) learned_addrs.resize(kMaxLearnedAddresses);
  if (discovered && !was_discovered(ep)) discovered_addrs.push_back(ep);
  std::erase_if(discovered_addrs, [this](const Endpoint& d) {
    return std::find(learned_addrs.begin(), learned_addrs.end(), d) == learned_addrs.end();
  });
}

bool Peer::was_discovered(const Endpoint& ep) const {
  return std::find(discovered_addrs.begin(), discovered_addrs.end(), ep) != discovered_addrs.end();
}

bool Peer::has_live_session() const {
  if (active != nullptr) return true;
  return std::any_of(sessions.begin(), sessions.end(),
                     [](const Session* s) { return s->state() == Session::State::closing && s->draining(); });
}

std::string Peer::tag() const {
  std::string t = peer_tag(key);
  if (!name.empty()) t += " " + quote(name);
  return t;
}

}  // namespace peernet
