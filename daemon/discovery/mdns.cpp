#include "discovery/mdns.hpp"

#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "discovery/interfaces.hpp"
#include "proto/dns/dns.hpp"
#include "proto/dns/private_sd.hpp"
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
      rng_(rng),
      sink_(sink),
      settings_(std::move(settings)),
      responder_(rng),
      browser_(rng, settings_.id),
      timer_(loop) {
  browser_.set_recogniser(settings_.recognise);
}

MdnsDiscovery::~MdnsDiscovery() { stop(); }

Status MdnsDiscovery::start() {
  PEERNET_TRY_VOID(socket_.open(loop_, settings_.mdns_port, [this](ByteView data, const SockAddr& from, uint32_t i) {
    on_datagram(data, from, i);
  }));
  if (!socket_.has_ipv4()) log_.warning("mDNS: no IPv4: " + socket_.why_no_ipv4());
  if (!socket_.has_ipv6()) log_.info("mDNS: no IPv6: " + socket_.why_no_ipv6());
  refresh_interfaces();
  build_info();
  std::string instance = info_.instance;
  running_ = true;
  uint64_t now = uv_now(loop_);
  PEERNET_TRY_VOID(apply_announced(now));
  browser_.start(now);
  size_t addresses = 0;
  for (const MdnsLink& l : announced_) addresses += l.ipv4.size() + l.ipv6.size();
  log_.info("mDNS: " +
            (announcing_ ? "announcing " + std::string(private_now() ? "privately " : "") + quote(instance) + " (" + std::to_string(addresses) + " address(es)) and browsing"
                         : std::string("browsing, announcing nothing (no listening address on these interfaces)")) +
            " on " + std::to_string(links_.size()) + " interface(s)");
  pump();
  return {};
}

void MdnsDiscovery::build_info() {
  info_ = MdnsServiceInfo{};
  info_.port = settings_.port;
  if (private_now()) {
    PrivateAnnouncement a = make_private_announcement(settings_.id, rng_);
    info_.instance = std::move(a.instance);
    info_.host = std::move(a.host);
    info_.txt = std::move(a.txt);
    return;
  }
  info_.instance = settings_.instance.empty() ? default_instance_name(settings_.id) : settings_.instance;
  info_.host = host_label(info_.instance);
  info_.txt = {{"id", peer_id_text(settings_.id)}, {"v", std::string(kMdnsTxtVersion)}};
}

Status MdnsDiscovery::regenerate(uint64_t now) {
  if (announcing_) {
    responder_.stop();  // the goodbye for the old names
    flush(responder_.take_datagrams());
    announcing_ = false;
  }
  build_info();
  last_instance_.clear();
  PEERNET_TRY_VOID(apply_announced(now));
  if (announcing_ && log_.enabled(LogLevel::debug))
    log_.debug("mDNS: announcing " + std::string(private_now() ? "privately as " : "openly as ") + quote(info_.instance));
  return {};
}

Status MdnsDiscovery::apply_announced(uint64_t now) {
  // Without a listener there is nothing to announce, but browsing still
  // finds trusted peers to dial.
  bool wanted = settings_.port != 0 && !announced_.empty();
  if (!wanted) {
    if (announcing_) {
      responder_.stop();  // the goodbye, on the interfaces it was announced on
      flush(responder_.take_datagrams());
      announcing_ = false;
    }
    return {};
  }
  if (announcing_) {
    responder_.update_links(announced_, now);
    return {};
  }
  MdnsServiceInfo info = info_;
  info.links = announced_;
  PEERNET_TRY_VOID(responder_.start(std::move(info), now));
  PEERNET_TRY_VOID(responder_.set_pairing_nameplate(nameplate_, now));
  announcing_ = true;
  return {};
}

void MdnsDiscovery::refresh_interfaces() {
  auto list = list_interfaces();
  if (!list) return log_.warning("mDNS: " + list.error().describe() + ", keeping the interfaces");
  std::map<uint32_t, Link> wanted;
  std::vector<Endpoint> listening = settings_.listening;
  if (listening.empty()) listening.push_back(Endpoint{"::", settings_.port});
  announced_.clear();
  for (const NetInterface& i : *list) {
    if (!discovery_interface(i, settings_.interfaces) || i.index == 0) continue;
    Link l{i.name, !i.ipv4.empty() && socket_.has_ipv4(), !i.ipv6.empty() && socket_.has_ipv6()};
    if (!l.ipv4 && !l.ipv6) continue;
    wanted[i.index] = l;
    MdnsLink a{i.index, {}, {}};
    listened_addresses(i, listening, a.ipv4, a.ipv6);
    if (!a.ipv4.empty() || !a.ipv6.empty()) announced_.push_back(std::move(a));
  }
  for (auto it = links_.begin(); it != links_.end();) {
    auto w = wanted.find(it->first);
    Link& l = it->second;
    // Leaving fails when the interface is gone already: nothing to do then.
    if (l.ipv4 && (w == wanted.end() || !w->second.ipv4)) (void)socket_.leave(AF_INET, it->first);
    if (l.ipv6 && (w == wanted.end() || !w->second.ipv6)) (void)socket_.leave(AF_INET6, it->first);
    if (w == wanted.end()) {
      it = links_.erase(it);
      continue;
    }
    l.ipv4 = l.ipv4 && w->second.ipv4;
    l.ipv6 = l.ipv6 && w->second.ipv6;
    ++it;
  }
  for (auto& [index, w] : wanted) {
    Link& l = links_[index];
    l.name = w.name;
    for (int family : {AF_INET, AF_INET6}) {
      bool want = family == AF_INET ? w.ipv4 : w.ipv6;
      bool& have = family == AF_INET ? l.ipv4 : l.ipv6;
      if (!want || have) continue;
      if (auto st = socket_.join(family, index); !st) {
        log_.warning("mDNS: interface " + quote(w.name) + ": " + st.error().describe() + ", ignoring");
        continue;
      }
      have = true;
    }
  }
  std::erase_if(links_, [](const auto& kv) { return !kv.second.ipv4 && !kv.second.ipv6; });
  // An interface we cannot send on announces nothing.
  std::erase_if(announced_, [&](const MdnsLink& a) { return links_.count(a.index) == 0; });
}

void MdnsDiscovery::network_changed() {
  if (!running_) return;
  refresh_interfaces();
  uint64_t now = uv_now(loop_);
  // Private: a new generation, so that the names and nonce seen on the old
  // network do not follow the box to the new one.
  if (auto st = private_now() ? regenerate(now) : apply_announced(now); !st)
    log_.warning("mDNS: " + st.error().describe());
  browser_.restart_queries(now);
  pump();
}

Status MdnsDiscovery::set_pairing_nameplate(std::optional<std::string> nameplate) {
  if (nameplate == nameplate_) return {};
  // Checked here, so that a bad nameplate is refused while the responder
  // is idle too instead of failing the next start().
  if (nameplate && !pairing::valid_nameplate(*nameplate))
    return make_error(Errc::bad_request, "a pairing nameplate is 3 decimal digits");
  bool was_private = private_now();
  nameplate_ = std::move(nameplate);
  if (!running_) return {};
  if (was_private != private_now()) {
    // Private <-> open: new names, a fresh nonce when going back to private.
    PEERNET_TRY_VOID(regenerate(uv_now(loop_)));
    pump();
    return {};
  }
  if (!announcing_) return {};
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
  announcing_ = false;
  browser_.stop();
  flush(responder_.take_datagrams());
  timer_.close();
  socket_.close();
}

void MdnsDiscovery::on_datagram(ByteView data, const SockAddr& from, uint32_t interface) {
  auto message = parse_dns(data);
  if (!message) {
    if (log_.enabled(LogLevel::debug))
      log_.debug("mDNS: datagram from " + from.to_string() + ": " + message.error().message + ", ignoring");
    return;
  }
  MdnsSource source{from.host(), from.port(), interface};
  uint64_t now = uv_now(loop_);
  if (announcing_) responder_.receive(*message, source, now);
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
  if (announcing_ && responder_.instance() != last_instance_) {
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
      Status st = to ? socket_.send_to(*to, d.data) : Status(to.error());
      if (!st && log_.enabled(LogLevel::debug)) log_.debug("mDNS: " + st.error().describe());
      continue;
    }
    for (const auto& [index, link] : links_) {
      if (d.interface && *d.interface != index) continue;
      for (int family : {AF_INET, AF_INET6}) {
        if (!(family == AF_INET ? link.ipv4 : link.ipv6)) continue;
        Status st = socket_.send_multicast(family, index, d.data);
        if (!st && log_.enabled(LogLevel::debug))
          log_.debug("mDNS: on " + quote(link.name) + ": " + st.error().describe());
      }
    }
  }
}

void MdnsDiscovery::deliver_events() {
  for (MdnsBrowseEvent& ev : browser_.take_events()) {
    switch (ev.kind) {
      case MdnsBrowseEvent::Kind::found: {
        DiscoveredPeer p{ev.id, {}, ev.instance, "mdns", static_cast<double>(ev.ttl_s), ev.pairing_nameplate,
                         ev.anonymous};
        for (const Ipv4Address& a : ev.ipv4) p.addrs.push_back(Endpoint{format_ip(a), ev.port});
        for (const MdnsIpv6& a : ev.ipv6) {
          if (a.scope == 0) {
            if (!ipv6_link_local(a.address)) p.addrs.push_back(Endpoint{format_ip(a.address), ev.port});
            continue;
          }
          // A link-local address is reachable through the interface it was
          // seen on only: it carries that interface as its scope.
          char name[IF_NAMESIZE] = {};
          if (::if_indextoname(a.scope, name) == nullptr) continue;
          p.addrs.push_back(Endpoint{format_ip(a.address) + "%" + name, ev.port});
        }
        if (!p.addrs.empty()) sink_.peer_found(p);
        break;
      }
      case MdnsBrowseEvent::Kind::lost:
        // An unknown peer's entry has no key to remove it by: it expires.
        if (!ev.anonymous) sink_.peer_lost(ev.id, "mdns");
        break;
      case MdnsBrowseEvent::Kind::rejected:
        if (log_.enabled(LogLevel::debug)) log_.debug("mDNS: instance " + quote(ev.instance) + " ignored: " + ev.why);
        break;
    }
  }
}

}  // namespace peernet
