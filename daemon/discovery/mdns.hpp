// mDNS / DNS-SD on the LAN (RFC 6762, RFC 6763): the sans-IO responder and browser
// (proto/dns/mdns_responder.hpp, proto/dns/mdns_browser.hpp) on one UDP socket.
//
// The socket is bound to 0.0.0.0:5353 with SO_REUSEADDR, so that it shares
// the port with avahi or another daemon; it joins 224.0.0.251 on every
// discovery interface (interfaces.hpp) and sends each multicast datagram
// on each of them in turn, with IP TTL 255 (RFC 6762 §11) and loopback on,
// so that tools on this host see us; our own packets come back and the
// engines recognise them. The A and AAAA records hold the IPv4 and the
// non-link-local IPv6 addresses of those interfaces. IPv4 only on the wire.
//
// While a pairing window is open the TXT record also holds "pair=<nameplate>"
// (protocol.md §10); setting or clearing it announces the TXT again at once.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "discovery/discovery.hpp"
#include "base/log.hpp"
#include "proto/keys.hpp"
#include "proto/dns/mdns_browser.hpp"
#include "proto/dns/mdns_responder.hpp"
#include "uv/timer.hpp"
#include "uv/udp.hpp"

namespace peernet {

struct MdnsSettings {
  std::string instance;  // as configured; "" = the default
  std::vector<std::string> interfaces;
  uint16_t port = 0;  // the TCP port we listen on
  PublicKey id;
  uint16_t mdns_port = kMdnsPort;  // tests may move it
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

 private:
  void refresh_interfaces();
  void on_datagram(ByteView data, const SockAddr& from);
  void pump();
  void flush(std::vector<MdnsDatagram> datagrams);
  void deliver_events();

  uv_loop_t* loop_;
  Logger& log_;
  Discovery& sink_;
  MdnsSettings settings_;
  MdnsResponder responder_;
  MdnsBrowser browser_;
  uv::Udp udp_;
  uv::Timer timer_;
  std::map<std::string, std::string> joined_;  // interface name -> the IPv4 address joined on
  std::vector<Ipv4Address> ipv4_;
  std::vector<Ipv6Address> ipv6_;
  std::string last_instance_;
  std::optional<std::string> nameplate_;
  bool running_ = false;
};

}  // namespace peernet
