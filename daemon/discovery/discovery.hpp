// Discovery (README, "Discovery"): what mDNS and the broadcast beacon found, handed
// to the Daemon through one interface. The Daemon decides (daemon.cpp):
//
//   our own key        -> ignored
//   a trusted peer     -> the addresses become learned addresses; if it is
//                         offline its backoff is reset and it is dialled now
//   any other key      -> kept in a bounded list (DiscoveredPeers), shown by
//                         `peers` with all=true, never dialled
//   a private mDNS announcement no trusted key made (protocol.md §11.4)
//                      -> the same list, with a zero key, told apart by its
//                         instance name; no peer.discovered event
//
// and emits PeerEvent::discovered when a peer is new or its addresses changed.
//
// Apart from that, every mDNS sighting that carries a pairing nameplate
// (TXT "pair=", protocol.md §10), trusted or not, goes into PairingHosts,
// where a joiner looks up the host of its code's nameplate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/endpoint.hpp"
#include "proto/keys.hpp"

namespace peernet {

struct DiscoveredPeer {
  PublicKey key;
  std::vector<Endpoint> addrs;  // IP literals with the peer's TCP port
  std::string name;             // the mDNS instance name, empty from a beacon
  std::string source;           // "mdns" or "broadcast", for logs
  double ttl_s = 0;             // how long the sighting stays valid
  // mDNS only: the nameplate of the peer's open pairing window, if any.
  std::optional<std::string> pairing_nameplate = std::nullopt;
  // mDNS only: a private announcement no trusted key made (protocol.md
  // §11.4). `key` is zero: the peer is listed as "unknown" by its instance
  // name and address, never dialled, and no peer.discovered event is sent.
  bool anonymous = false;
};

class Discovery {
 public:
  virtual ~Discovery() = default;
  virtual void peer_found(const DiscoveredPeer& peer) = 0;
  // The peer said goodbye or its records expired.
  virtual void peer_lost(const PublicKey& key, std::string_view source) = 0;
};

inline constexpr size_t kMaxDiscoveredPeers = 256;
inline constexpr size_t kMaxDiscoveredAddresses = 8;

// The untrusted peers discovery saw, bounded and expiring. Times are
// milliseconds of the loop's clock.
class DiscoveredPeers {
 public:
  struct Entry {
    PublicKey key;
    std::string name;
    std::vector<Endpoint> addrs;  // most recent first
    uint64_t expires_ms = 0;
    uint64_t first_seen_ms = 0;  // loop time of the first sighting
    uint64_t last_seen_ms = 0;   // and of the latest
  };

  // Records or refreshes a sighting; true when the peer is new or has a
  // new address. When full, the entry that expires first makes room.
  bool add(const DiscoveredPeer& peer, uint64_t now_ms);
  void remove(const PublicKey& key);
  void expire(uint64_t now_ms);
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

inline constexpr size_t kMaxPairingHosts = 32;
inline constexpr size_t kMaxPairingHostAddresses = 8;

// The latest mDNS sightings that carried a pairing nameplate, one per key,
// most recent first, bounded and expiring like DiscoveredPeers. Hosts keep
// a window open for minutes at most, so a small table is plenty; when full,
// the oldest sighting makes room.
class PairingHosts {
 public:
  // Records an mDNS sighting: with a nameplate it becomes the most recent
  // entry; without one the peer's window has closed and its entry goes.
  void seen(const DiscoveredPeer& peer, uint64_t now_ms);
  void remove(const PublicKey& key);
  void clear() { entries_.clear(); }
  // The addresses of the peers announcing `nameplate`, most recent
  // sighting first, at most kMaxPairingHostAddresses.
  std::vector<Endpoint> hosts(std::string_view nameplate, uint64_t now_ms);
  size_t size(uint64_t now_ms);

 private:
  struct Entry {
    PublicKey key;
    std::string nameplate;
    std::vector<Endpoint> addrs;
    uint64_t expires_ms = 0;
  };
  void expire(uint64_t now_ms);
  std::vector<Entry> entries_;  // most recent first
};

}  // namespace peernet
