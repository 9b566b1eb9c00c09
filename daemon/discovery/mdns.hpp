// mDNS / DNS-SD on the LAN (RFC 6762, RFC 6763): the sans-IO responder and browser
// (proto/dns/mdns_responder.hpp, proto/dns/mdns_browser.hpp) on one UDP socket.
//
// The sockets (mdns_socket.hpp) listen on 0.0.0.0:5353 and [::]:5353, join
// 224.0.0.251 and ff02::fb on every discovery interface (interfaces.hpp)
// and send each multicast datagram on each of them in turn, over IPv4 where
// the interface has an IPv4 address and over IPv6 where it has an IPv6 one;
// our own packets come back and the engines recognise them.
//
// What is announced is what the daemon listens on (listened_addresses()):
// on each discovery interface, the addresses of that interface that a
// listener accepts connections on, link-local ones included; a datagram
// sent on an interface and an answer to a query that arrived on it carry
// only that interface's addresses. When no interface has such an address
// (listening on 127.0.0.1, ...) nothing is announced and nothing answered;
// browsing goes on. A link-local address found by browsing becomes
// "fe80::...%<interface it arrived on>", which a dialler can use.
//
// While a pairing window is open the TXT record also holds "pair=<nameplate>"
// (protocol.md §10); setting or clearing it announces the TXT again at once.
//
// Private announcements (MdnsSettings::private_announcements, protocol.md
// §11.4): outside a pairing window the responder announces a generation of
// private_sd.hpp (random instance and host labels, TXT v=, n=, t=, no id).
// A new generation (goodbye for the old names, then probing the new ones)
// starts at start(), at every network_changed() and when a pairing window
// closes; while a window is open the open form (id=, host name, pair=) is
// announced, as pairing needs.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "discovery/discovery.hpp"
#include "discovery/mdns_socket.hpp"
#include "base/log.hpp"
#include "proto/keys.hpp"
#include "proto/dns/mdns_browser.hpp"
#include "proto/dns/mdns_responder.hpp"
#include "proto/endpoint.hpp"
#include "uv/timer.hpp"

namespace peernet {

struct MdnsSettings {
  std::string instance;  // as configured; "" = the default
  std::vector<std::string> interfaces;
  uint16_t port = 0;  // the TCP port we listen on
  PublicKey id;
  uint16_t mdns_port = kMdnsPort;  // tests may move it
  // The listener's bound addresses; empty: as if "::" (every address).
  std::vector<Endpoint> listening = {};
  // Private announcements (protocol.md §11.4) outside a pairing window.
  bool private_announcements = false;
  // Which trusted key made a private announcement (mdns_browser.hpp).
  MdnsBrowser::Recogniser recognise = {};
};

// "peernetd-<hostname>-<first 4 characters of the peer id>", cut to 63 bytes.
std::string default_instance_name(const PublicKey& id);

class MdnsDiscovery {
 public:
  MdnsDiscovery(uv_loop_t* loop, Logger& log, Rng& rng, Discovery& sink, MdnsSettings settings);
  ~MdnsDiscovery();
  MdnsDiscovery(const MdnsDiscovery&) = delete;
  MdnsDiscovery& operator=(const MdnsDiscovery&) = delete;

  // Binds the socket, joins the group, starts probing and browsing.
  Status start();
  // Re-joins on the current interfaces, announces the current addresses
  // and browses again from a short interval.
  void network_changed();
  // Sends the goodbye now and closes the socket. Also done by the destructor.
  void stop();

  // Announces "pair=<nameplate>" in the TXT record, or stops (nullopt).
  // Kept across start() and network_changed(). Errc::bad_request for a
  // nameplate that is not 3 decimal digits.
  Status set_pairing_nameplate(std::optional<std::string> nameplate);
  // Browses again soon (the interval from 1 s), for a caller that wants
  // what is on the LAN now rather than at the next scheduled query.
  void query_now();

  // The instance name in use (after any conflict renaming).
  std::string instance() const { return responder_.instance(); }

  struct Link {
    std::string name;
    bool ipv4 = false;  // joined and sending over IPv4
    bool ipv6 = false;  // and over IPv6
  };
  // The groups joined now, by interface index (`peernetctl doctor`).
  const std::map<uint32_t, Link>& links() const { return links_; }

 private:
  void refresh_interfaces();
  // Starts, updates or stops (goodbye) the responder for links_'s addresses.
  Status apply_announced(uint64_t now);
  // Sets info_ to a new generation: private, or open with id=.
  void build_info();
  bool private_now() const { return settings_.private_announcements && !nameplate_; }
  // Says goodbye to the names in use and announces a new generation.
  Status regenerate(uint64_t now);
  void on_datagram(ByteView data, const SockAddr& from, uint32_t interface);
  void pump();
  void flush(std::vector<MdnsDatagram> datagrams);
  void deliver_events();

  uv_loop_t* loop_;
  Logger& log_;
  Rng& rng_;
  Discovery& sink_;
  MdnsSettings settings_;
  MdnsResponder responder_;
  MdnsBrowser browser_;
  MdnsSocket socket_;
  uv::Timer timer_;
  std::map<uint32_t, Link> links_;  // by interface index: the groups joined
  std::vector<MdnsLink> announced_;  // the links with something to announce
  MdnsServiceInfo info_;
  bool announcing_ = false;
  std::string last_instance_;
  std::optional<std::string> nameplate_;
  bool running_ = false;
};

}  // namespace peernet
