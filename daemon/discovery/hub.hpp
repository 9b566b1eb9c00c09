// The daemon's side of discovery: runs mDNS, the broadcast beacon and the
// network monitor as configured, and applies what they find to the
// registry by the rules of discovery.hpp. Tests feed it candidates through
// its Discovery interface and call network_changed() directly.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "peers/dialer.hpp"
#include "discovery/discovery.hpp"
#include "discovery/broadcast.hpp"
#include "discovery/mdns.hpp"
#include "base/log.hpp"
#include "discovery/netmon.hpp"
#include "peers/registry.hpp"

namespace peernet {

class DiscoveryHub final : public Discovery {
 public:
  DiscoveryHub(uv_loop_t* loop, Logger& log, Rng& rng, Registry& registry, Dialer& dialer, const PublicKey& self);
  ~DiscoveryHub() override;
  DiscoveryHub(const DiscoveryHub&) = delete;
  DiscoveryHub& operator=(const DiscoveryHub&) = delete;

  // Starts what `config` enables; a part that fails to start is logged
  // and stays off (the daemon works without discovery). `tcp_port` is the
  // port announced; `listening` the listener's bound addresses, which decide
  // the addresses announced (mdns.hpp; empty: every address).
  void start(const Config& config, uint16_t tcp_port, std::vector<Endpoint> listening = {});
  // SIGHUP: restarts the parts whose settings changed, on or off.
  void reconfigure(const Config& config);
  // Sends the mDNS goodbye and stops everything. Idempotent.
  void stop();

  // After a network change: closes sessions whose local address is gone,
  // resets every offline trusted peer's backoff and dials it now,
  // re-announces and browses again, sends a beacon.
  void network_changed();

  // Discovery
  void peer_found(const DiscoveredPeer& peer) override;
  void peer_lost(const PublicKey& key, std::string_view source) override;

  // The untrusted peers seen and not expired.
  const std::vector<DiscoveredPeers::Entry>& untrusted();
  // The peer is now trusted: its discovered addresses (it leaves the list).
  std::vector<Endpoint> adopt(const PublicKey& key);

  // While set, mDNS announces TXT "pair=<nameplate>" next to id= and v= (in
  // the open form: private announcements switch to it for the window), and
  // re-announces at once when it is set or cleared (RFC 6762 §8.4: a changed
  // record is announced again), so that a joiner browsing finds the host.
  // A nameplate that is not 3 decimal digits is logged and ignored.
  void set_pairing_nameplate(std::optional<std::string> nameplate);
  // The addresses (IP:port, dialable) of every peer, trusted or not, whose
  // latest mDNS announcement carried pair=<nameplate> and has not expired or
  // said goodbye; most recent first, at most 8. Sends an mDNS query for the
  // service type at the call if nothing is known yet, so that a caller that
  // polls it every ~250 ms for a few seconds finds a host that just opened
  // its window. With mDNS off: nothing.
  std::vector<Endpoint> hosts_with_nameplate(std::string_view nameplate);

  // The mDNS instance name in use, empty when mDNS is off.
  std::string mdns_instance() const;

  // What discovery does now, for `peernetctl doctor`: its settings, which
  // parts run, and every interface with whether it is used and why not.
  struct InterfaceReport {
    std::string name;
    bool used = false;    // discovery_interface() accepts it
    std::string excluded;  // why not: "down", "loopback", "point-to-point", "no multicast", "not in discovery.interfaces"
    std::vector<std::string> ipv4, ipv6;
    bool mdns_ipv4 = false;  // 224.0.0.251 joined on it
    bool mdns_ipv6 = false;  // ff02::fb joined on it
  };
  struct Report {
    bool mdns = false, broadcast = false;                  // configured on
    bool mdns_running = false, broadcast_running = false;  // started
    std::vector<std::string> only;                         // discovery.interfaces
    std::vector<InterfaceReport> interfaces;
  };
  Report report() const;

 private:
  void start_mdns();
  void start_broadcast();
  void start_monitor();

  uv_loop_t* loop_;
  Logger& log_;
  Rng& rng_;
  Registry& registry_;
  Dialer& dialer_;
  PublicKey self_;
  Config::Discovery settings_;
  Config::Network network_;
  uint16_t tcp_port_ = 0;
  std::vector<Endpoint> listening_;
  bool running_ = false;
  DiscoveredPeers untrusted_;
  PairingHosts pairing_hosts_;
  std::optional<std::string> pairing_nameplate_;  // ours, while a window is open
  std::optional<uint64_t> pairing_query_ms_;      // the last query for hosts_with_nameplate
  std::unique_ptr<MdnsDiscovery> mdns_;
  std::unique_ptr<BroadcastDiscovery> broadcast_;
  std::unique_ptr<NetworkMonitor> monitor_;
};

}  // namespace peernet
