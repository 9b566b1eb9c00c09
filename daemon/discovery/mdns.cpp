#include "discovery/mdns.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "discovery/interfaces.hpp"
#include "proto/dns/dns.hpp"
#include "proto/pairing/code.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

// Letters, digits and '-' only (RFC 952/1123 host labels), lowercased.
std::string host_label(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out.push_back(static_cast<char>(std::tolower(u)));
    else if (!out.empty() && out.back() != '-')
      out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 60) out.resize(60);
  return out.empty() ? "peernetd" : out;
}

bool link_local(const Ipv6Address& a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

}  // namespace

std::string default_instance_name(const PublicKey& id) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "host");
  std::string name = "peernetd-" + std::string(host);
  // Keep only the first label of a fully qualified hostname.
  if (auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
  std::string suffix = "-" + peer_id_text(id).substr(0, 4);
  name = name.substr(0, kMaxDnsLabel - suffix.size()) + suffix;
  return valid_instance_label(name) ? name : "peernetd" + suffix;
}

MdnsDiscovery::MdnsDiscovery(uv_loop_t* loop, Logger& log, Rng& rng, Discovery& sink, MdnsSettings settings)
    : loop_(loop),
      log_(log),
      sink_(sink),
      settings_(std::move(settings)),
      responder_(rng),
      browser_(rng, settings_.id),
      timer_(loop) {}

MdnsDiscovery::~MdnsDiscovery() { stop(); }

Status MdnsDiscovery::start() {
  PEERNET_TRY(SockAddr any, SockAddr::from_ip("0.0.0.0", settings_.mdns_port));
  PEERNET_TRY(udp_, uv::Udp::bind(loop_, any, true));
  PEERNET_TRY_VOID(udp_.set_multicast_ttl(255));
  PEERNET_TRY_VOID(udp_.set_multicast_loop(true));
  PEERNET_TRY_VOID(udp_.start_receiving([this](ByteView data, const SockAddr& from) { on_datagram(data, from); }));
  refresh_interfaces();
  std::string instance = settings_.instance.empty() ? default_instance_name(settings_.id) : settings_.instance;
  MdnsServiceInfo info;
  info.instance = instance;
  info.host = host_label(instance);
  info.port = settings_.port;
  info.txt = {{"id", peer_id_text(settings_.id)}, {"v", std::string(kMdnsTxtVersion)}};
  info.ipv4 = ipv4_;
  info.ipv6 = ipv6_;
  uint64_t now = uv_now(loop_);
  // Without a listener there is nothing to announce, but browsing still
  // finds trusted peers to dial.
  if (settings_.port != 0) {
    PEERNET_TRY_VOID(responder_.start(std::move(info), now));
    PEERNET_TRY_VOID(responder_.set_pairing_nameplate(nameplate_, now));
  }
  browser_.start(now);
  running_ = true;
  log_.info(
      "mDNS: " + (settings_.port != 0 ? "announcing " + quote(instance) + " and browsing" : std::string("browsing")) +
      " on " + std::to_string(joined_.size()) + " interface(s)");
  pump();
  return {};
}

void MdnsDiscovery::refresh_interfaces() {
  auto list = list_interfaces();
  if (!list) return log_.warning("mDNS: " + list.error().describe() + ", keeping the interfaces");
  std::map<std::string, std::string> wanted;
  ipv4_.clear();
  ipv6_.clear();
  for (const NetInterface& i : *list) {
    if (!discovery_interface(i, settings_.interfaces) || i.ipv4.empty()) continue;
    wanted[i.name] = i.ipv4.front();
    for (const std::string& a : i.ipv4)
      if (Ipv4Address b; parse_ipv4(a, b)) ipv4_.push_back(b);
    for (const std::string& a : i.ipv6)
      if (Ipv6Address b; parse_ipv6(a, b) && !link_local(b)) ipv6_.push_back(b);
  }
  for (auto it = joined_.begin(); it != joined_.end();) {
    auto w = wanted.find(it->first);
    if (w != wanted.end() && w->second == it->second) {
      ++it;
      continue;
    }
    (void)udp_.leave(kMdnsGroupV4, it->second);  // fails when the address is gone already
    it = joined_.erase(it);
  }
  for (const auto& [name, address] : wanted) {
    if (joined_.count(name) != 0) continue;
    if (auto st = udp_.join(kMdnsGroupV4, address); !st) {
      log_.warning("mDNS: interface " + quote(name) + ": " + st.error().describe() + ", ignoring");
      continue;
    }
    joined_[name] = address;
  }
}

void MdnsDiscovery::network_changed() {
  if (!running_) return;
  refresh_interfaces();
  uint64_t now = uv_now(loop_);
  responder_.update_addresses(ipv4_, ipv6_, now);
  browser_.restart_queries(now);
  pump();
}

Status MdnsDiscovery::set_pairing_nameplate(std::optional<std::string> nameplate) {
  if (nameplate == nameplate_) return {};
  // Checked here, so that a bad nameplate is refused while the responder
  // is idle too instead of failing the next start().
  if (nameplate && !pairing::valid_nameplate(*nameplate))
    return make_error(Errc::bad_request, "a pairing nameplate is 3 decimal digits");
  nameplate_ = std::move(nameplate);
  if (!running_) return {};
  PEERNET_TRY_VOID(responder_.set_pairing_nameplate(nameplate_, uv_now(loop_)));
  pump();
  return {};
}

void MdnsDiscovery::query_now() {
  if (!running_) return;
  browser_.restart_queries(uv_now(loop_));
  pump();
}

void MdnsDiscovery::stop() {
  if (!running_) return;
  running_ = false;
  responder_.stop();
  browser_.stop();
  flush(responder_.take_datagrams());
  timer_.close();
  udp_.close();
}

void MdnsDiscovery::on_datagram(ByteView data, const SockAddr& from) {
  auto message = parse_dns(data);
  if (!message) {
    if (log_.enabled(LogLevel::debug))
      log_.debug("mDNS: datagram from " + from.to_string() + ": " + message.error().message + ", ignoring");
    return;
  }
  MdnsSource source{from.host(), from.port()};
  uint64_t now = uv_now(loop_);
  responder_.receive(*message, source, now);
  browser_.receive(*message, source, now);
  pump();
}

void MdnsDiscovery::pump() {
  if (!running_) return;
  uint64_t now = uv_now(loop_);
  responder_.tick(now);
  browser_.tick(now);
  flush(responder_.take_datagrams());
  flush(browser_.take_datagrams());
  if (responder_.instance() != last_instance_) {
    if (!last_instance_.empty()) log_.notice("mDNS: name conflict, announcing as " + quote(responder_.instance()));
    last_instance_ = responder_.instance();
  }
  std::optional<uint64_t> next = responder_.next_deadline();
  if (auto b = browser_.next_deadline()) next = next ? std::min(*next, *b) : *b;
  if (next) {
    uint64_t delay = *next > now ? *next - now : 0;
    (void)timer_.start(std::max<uint64_t>(delay, 1), 0, [this] { pump(); });
  }
  deliver_events();  // last: the sink runs daemon code
}

void MdnsDiscovery::flush(std::vector<MdnsDatagram> datagrams) {
  for (const MdnsDatagram& d : datagrams) {
    if (d.unicast_to) {
      auto to = SockAddr::from_ip(d.unicast_to->address, d.unicast_to->port);
      Status st = to ? udp_.try_send(d.data, *to) : Status(to.error());
      if (!st && log_.enabled(LogLevel::debug)) log_.debug("mDNS: " + st.error().describe());
      continue;
    }
    auto group = SockAddr::from_ip(kMdnsGroupV4, settings_.mdns_port);
    if (!group) continue;
    for (const auto& [name, address] : joined_) {
      Status st = udp_.set_multicast_interface(address);
      if (st) st = udp_.try_send(d.data, *group);
      if (!st && log_.enabled(LogLevel::debug)) log_.debug("mDNS: on " + quote(name) + ": " + st.error().describe());
    }
  }
}

void MdnsDiscovery::deliver_events() {
  for (MdnsBrowseEvent& ev : browser_.take_events()) {
    switch (ev.kind) {
      case MdnsBrowseEvent::Kind::found: {
        DiscoveredPeer p{ev.id, {}, ev.instance, "mdns", static_cast<double>(ev.ttl_s), ev.pairing_nameplate};
        for (const Ipv4Address& a : ev.ipv4) p.addrs.push_back(Endpoint{format_ip(a), ev.port});
        for (const Ipv6Address& a : ev.ipv6)
          if (!link_local(a)) p.addrs.push_back(Endpoint{format_ip(a), ev.port});
        if (!p.addrs.empty()) sink_.peer_found(p);
        break;
      }
      case MdnsBrowseEvent::Kind::lost:
        sink_.peer_lost(ev.id, "mdns");
        break;
      case MdnsBrowseEvent::Kind::rejected:
        if (log_.enabled(LogLevel::debug)) log_.debug("mDNS: instance " + quote(ev.instance) + " ignored: " + ev.why);
        break;
    }
  }
}

}  // namespace peernet
