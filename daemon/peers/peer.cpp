#include "peers/peer.hpp"

#include <algorithm>

#include "base/constants.hpp"
#include "base/log.hpp"
#include "proto/peer_id.hpp"

namespace peernet {

std::vector<Endpoint> Peer::dial_addresses() const {
  std::vector<Endpoint> out;
  for (const auto* list : {&static_addrs, &learned_addrs})
    for (const Endpoint& ep : *list)
      if (std::find(out.begin(), out.end(), ep) == out.end()) out.push_back(ep);
  return out;
}

void Peer::learn_address(const Endpoint& ep) {
  if (ep.port == 0) return;
  std::erase(learned_addrs, ep);
  learned_addrs.insert(learned_addrs.begin(), ep);
  if (learned_addrs.size() > kMaxLearnedAddresses) learned_addrs.resize(kMaxLearnedAddresses);
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
