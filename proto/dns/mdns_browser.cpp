#include "proto/dns/mdns_browser.hpp"

#include <algorithm>

#include "proto/pairing/code.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

constexpr uint64_t kFirstQueryMinMs = 20;
constexpr uint64_t kFirstQueryMaxMs = 120;
constexpr uint64_t kFirstIntervalMs = 1000;
constexpr uint64_t kMaxIntervalMs = 60'000;
constexpr uint64_t kResolveGapMs = 1000;
constexpr int kMaxAsks = 4;
// Goodbyes take effect after one second (RFC 6762 §10.1).
constexpr uint64_t kGoodbyeMs = 1000;
// A longer TTL would let a single packet pin an entry for up to 136 years.
constexpr uint32_t kMaxTtl = 4500;

uint64_t refresh_at(uint64_t received, uint64_t expires) { return received + (expires - received) * 4 / 5; }

}  // namespace

MdnsBrowser::MdnsBrowser(Rng& rng, const PublicKey& own_id) : rng_(rng), own_id_(own_id) {
  // A constant, valid name: cannot fail.
  if (auto s = service_type_name()) service_ = *s;
}

void MdnsBrowser::start(uint64_t now) {
  running_ = true;
  restart_queries(now);
}

void MdnsBrowser::restart_queries(uint64_t now) {
  interval_ = kFirstIntervalMs;
  next_query_ = now + kFirstQueryMinMs + rng_.next_u64() % (kFirstQueryMaxMs - kFirstQueryMinMs);
  for (auto& [name, in] : instances_) {
    in.asks = 0;
    in.recognised_txt.reset();  // the trusted keys may have changed
  }
}

void MdnsBrowser::stop() {
  running_ = false;
  instances_.clear();
  hosts_.clear();
}

MdnsBrowser::Instance* MdnsBrowser::instance_for(const DnsName& name, uint64_t now, bool create) {
  auto it = instances_.find(name);
  if (it != instances_.end()) return &it->second;
  if (!create || instances_.size() >= kMdnsMaxInstances) return nullptr;
  auto label = instance_label(name, service_);
  if (!label) return nullptr;
  Instance in;
  in.name = name;
  in.label = *label;
  in.ptr = Timed{now, now};  // no PTR yet: found by its SRV or TXT alone
  return &instances_.emplace(name, std::move(in)).first->second;
}

void MdnsBrowser::receive(const DnsMessage& m, const MdnsSource& from, uint64_t now) {
  if (!running_ || !m.header.qr || from.port != kMdnsPort || m.header.opcode != 0 || m.header.rcode != 0) return;
  for (const auto* section : {&m.answers, &m.additionals})
    for (const DnsRecord& r : *section)
      if (r.dns_class == kDnsClassIn) take_record(r, now);
  // Addresses after the SRVs, so that a packet's order does not matter.
  for (const auto* section : {&m.answers, &m.additionals})
    for (const DnsRecord& r : *section)
      if (r.dns_class == kDnsClassIn) take_address(r, from.interface, now);
  for (auto& [name, in] : instances_) evaluate(in, now);
}

void MdnsBrowser::take_record(const DnsRecord& r, uint64_t now) {
  uint32_t ttl = std::min(r.ttl, kMaxTtl);
  Timed t{now, ttl == 0 ? now + kGoodbyeMs : now + uint64_t{ttl} * 1000};
  if (const auto* ptr = std::get_if<PtrRdata>(&r.rdata)) {
    if (!(r.name == service_)) return;
    Instance* in = instance_for(ptr->target, now, ttl > 0);
    if (in == nullptr) return;
    in->ptr = t;
    in->ptr_ttl = ttl;
    if (ttl > 0) in->asks = 0;
  } else if (const auto* srv = std::get_if<SrvRdata>(&r.rdata)) {
    Instance* in = instance_for(r.name, now, ttl > 0);
    if (in == nullptr) return;
    in->srv = *srv;
    in->srv_time = t;
    if (ttl > 0) in->asks = 0;
  } else if (const auto* txt = std::get_if<TxtRdata>(&r.rdata)) {
    Instance* in = instance_for(r.name, now, ttl > 0);
    if (in == nullptr) return;
    if (!in->txt || *in->txt != txt->strings) in->rejected = false;
    in->txt = txt->strings;
    in->txt_time = t;
    if (ttl > 0) in->asks = 0;
  }
}

void MdnsBrowser::take_address(const DnsRecord& r, uint32_t interface, uint64_t now) {
  if (r.type() != DnsType::a && r.type() != DnsType::aaaa) return;
  bool referenced = std::any_of(instances_.begin(), instances_.end(),
                                [&](const auto& kv) { return kv.second.srv && kv.second.srv->target == r.name; });
  if (!referenced) return;
  auto it = hosts_.find(r.name);
  if (it == hosts_.end()) {
    if (hosts_.size() >= kMdnsMaxHosts || r.ttl == 0) return;
    it = hosts_.emplace(r.name, Host{}).first;
  }
  uint32_t ttl = std::min(r.ttl, kMaxTtl);
  Timed t{now, ttl == 0 ? now + kGoodbyeMs : now + uint64_t{ttl} * 1000};
  auto put = [&](auto& list, const auto& address) {
    // The cache-flush bit (§10.2) replaces what is older than a second.
    if (r.cache_flush)
      std::erase_if(list, [&](const auto& e) { return e.first != address && e.second.received + 1000 <= now; });
    for (auto& e : list)
      if (e.first == address) {
        e.second = t;
        return;
      }
    if (ttl > 0 && list.size() < kMdnsMaxHostAddresses) list.emplace_back(address, t);
  };
  if (const auto* a = std::get_if<ARdata>(&r.rdata)) put(it->second.ipv4, a->address);
  if (const auto* a = std::get_if<AaaaRdata>(&r.rdata))
    put(it->second.ipv6, MdnsIpv6{a->address, ipv6_link_local(a->address) ? interface : 0});
}

void MdnsBrowser::expire(uint64_t now) {
  for (auto& [name, host] : hosts_) {
    std::erase_if(host.ipv4, [&](const auto& e) { return e.second.expires <= now; });
    std::erase_if(host.ipv6, [&](const auto& e) { return e.second.expires <= now; });
  }
  std::erase_if(hosts_, [](const auto& kv) { return kv.second.ipv4.empty() && kv.second.ipv6.empty(); });
  for (auto it = instances_.begin(); it != instances_.end();) {
    Instance& in = it->second;
    if (in.srv && in.srv_time.expires <= now) in.srv.reset();
    if (in.txt && in.txt_time.expires <= now) in.txt.reset();
    if (in.ptr.expires <= now) {  // no PTR any more
      in.ptr = Timed{now, now};
      in.ptr_ttl = 0;
    }
    // Without a PTR, an instance lives as long as its SRV or TXT.
    bool alive = in.ptr.expires > now || in.srv || in.txt;
    if (!alive) {
      if (in.reported) {
        in.srv.reset();
        evaluate(in, now);  // reports it lost
      }
      it = instances_.erase(it);
      continue;
    }
    evaluate(in, now);
    ++it;
  }
}

void MdnsBrowser::evaluate(Instance& in, uint64_t now) {
  auto lost = [&] {
    if (!in.reported) return;
    MdnsBrowseEvent ev;
    ev.kind = MdnsBrowseEvent::Kind::lost;
    ev.instance = in.label;
    ev.id = in.reported->id;
    ev.anonymous = in.reported->anonymous;
    events_.push_back(std::move(ev));
    in.reported.reset();
  };
  if (!in.srv || !in.txt) return lost();
  auto attrs = decode_txt(*in.txt);
  const TxtAttribute* id = find_txt(attrs, "id");
  const TxtAttribute* version = find_txt(attrs, "v");
  std::string why;
  Result<PublicKey> key = make_error(Errc::bad_request, "no id");
  bool anonymous = false;
  std::optional<PrivateMark> mark = id == nullptr ? parse_private_txt(attrs) : std::nullopt;
  if (mark) {
    if (private_mark_matches(*mark, own_id_)) return;
    if (!in.recognised_txt || *in.recognised_txt != *in.txt) {
      in.recognised = recognise_ ? recognise_(*mark) : std::nullopt;
      in.recognised_txt = *in.txt;
    }
    anonymous = !in.recognised;
    key = in.recognised.value_or(PublicKey{});
  }
  if (mark) {
    if (version != nullptr && version->value != std::string(kMdnsTxtVersion))
      why = "TXT v is not " + std::string(kMdnsTxtVersion);
  } else if (id == nullptr || !id->value)
    why = "TXT has no id";
  else if (key = parse_peer_id(*id->value); !key)
    why = "TXT id is not a peer id: " + key.error().message;
  else if (version != nullptr && version->value != std::string(kMdnsTxtVersion))
    why = "TXT v is not " + std::string(kMdnsTxtVersion);
  if (!why.empty()) {
    if (!in.rejected) {
      MdnsBrowseEvent ev;
      ev.kind = MdnsBrowseEvent::Kind::rejected;
      ev.instance = in.label;
      ev.why = std::move(why);
      events_.push_back(std::move(ev));
      in.rejected = true;
    }
    return lost();
  }
  if (*key == own_id_) return;
  Reported rep{*key, in.srv->port, {}, {}, std::nullopt, anonymous};
  if (const TxtAttribute* pair = find_txt(attrs, kMdnsTxtPair); pair != nullptr && pair->value &&
                                                                 pairing::valid_nameplate(*pair->value))
    rep.pairing_nameplate = *pair->value;
  if (auto it = hosts_.find(in.srv->target); it != hosts_.end()) {
    for (const auto& e : it->second.ipv4) rep.ipv4.push_back(e.first);
    for (const auto& e : it->second.ipv6) rep.ipv6.push_back(e.first);
  }
  if (rep.ipv4.empty() && rep.ipv6.empty()) return lost();
  if (in.reported && *in.reported == rep) return;
  if (in.reported && (in.reported->id != rep.id || in.reported->anonymous != rep.anonymous)) lost();
  uint64_t until = std::min(in.srv_time.expires, in.txt_time.expires);
  if (in.ptr_ttl > 0) until = std::min(until, in.ptr.expires);
  MdnsBrowseEvent ev;
  ev.kind = MdnsBrowseEvent::Kind::found;
  ev.instance = in.label;
  ev.id = rep.id;
  ev.port = rep.port;
  ev.ipv4 = rep.ipv4;
  ev.ipv6 = rep.ipv6;
  ev.pairing_nameplate = rep.pairing_nameplate;
  ev.anonymous = rep.anonymous;
  ev.ttl_s = static_cast<uint32_t>(until > now ? (until - now + 999) / 1000 : 1);
  events_.push_back(std::move(ev));
  in.reported = std::move(rep);
}

bool MdnsBrowser::wants_refresh(const Instance& in, uint64_t now) const {
  if (!in.srv || !in.txt) return true;
  if (now >= refresh_at(in.srv_time.received, in.srv_time.expires)) return true;
  if (now >= refresh_at(in.txt_time.received, in.txt_time.expires)) return true;
  auto it = hosts_.find(in.srv->target);
  if (it == hosts_.end()) return true;
  bool fresh = false;
  for (const auto& e : it->second.ipv4) fresh |= now < refresh_at(e.second.received, e.second.expires);
  for (const auto& e : it->second.ipv6) fresh |= now < refresh_at(e.second.received, e.second.expires);
  return !fresh;
}

void MdnsBrowser::send_browse_query(uint64_t now) {
  DnsMessage m;
  m.questions.push_back(DnsQuestion{service_, DnsType::ptr, kDnsClassIn, false});
  // Known answers (§7.1): PTRs with more than half their TTL left.
  for (const auto& [name, in] : instances_)
    if (in.ptr_ttl > 0 && in.ptr.expires > now && (in.ptr.expires - now) * 2 > uint64_t{in.ptr_ttl} * 1000)
      m.answers.push_back(DnsRecord{service_, kDnsClassIn, false, static_cast<uint32_t>((in.ptr.expires - now) / 1000),
                                    PtrRdata{in.name}});
  DnsMessage rest = std::move(m);
  for (int part = 0; part < 8; ++part) {
    DnsEncoding e = encode_dns_within(rest, kMdnsPacketBudget);
    if (!e.progress()) break;
    out_.push_back(MdnsDatagram{std::move(e.wire), std::nullopt});
    if (e.complete) break;
    rest = dns_remainder(rest, e);
  }
}

void MdnsBrowser::send_resolve_queries(uint64_t now) {
  DnsMessage m;
  for (auto& [name, in] : instances_) {
    if (in.asks >= kMaxAsks || (in.asked_at != 0 && now < in.asked_at + kResolveGapMs)) continue;
    if (!wants_refresh(in, now)) continue;
    in.asked_at = now;
    ++in.asks;
    m.questions.push_back(DnsQuestion{in.name, DnsType::srv, kDnsClassIn, false});
    m.questions.push_back(DnsQuestion{in.name, DnsType::txt, kDnsClassIn, false});
    if (in.srv) {
      m.questions.push_back(DnsQuestion{in.srv->target, DnsType::a, kDnsClassIn, false});
      m.questions.push_back(DnsQuestion{in.srv->target, DnsType::aaaa, kDnsClassIn, false});
    }
  }
  if (m.questions.empty()) return;
  DnsEncoding e = encode_dns_within(m, kMdnsPacketBudget);
  if (e.progress()) out_.push_back(MdnsDatagram{std::move(e.wire), std::nullopt});
}

void MdnsBrowser::tick(uint64_t now) {
  if (!running_) return;
  expire(now);
  if (now >= next_query_) {
    send_browse_query(now);
    next_query_ = now + interval_;
    interval_ = std::min(interval_ * 2, kMaxIntervalMs);
  }
  send_resolve_queries(now);
}

std::optional<uint64_t> MdnsBrowser::next_deadline() const {
  if (!running_) return std::nullopt;
  uint64_t d = next_query_;
  for (const auto& [name, in] : instances_) {
    if (in.ptr.expires > in.ptr.received) d = std::min(d, in.ptr.expires);
    if (in.srv) d = std::min(d, in.srv_time.expires);
    if (in.txt) d = std::min(d, in.txt_time.expires);
    if (in.asks >= kMaxAsks) continue;
    // When the next question is due: the earliest refresh point, but not
    // before the gap since the last one.
    uint64_t due = 0;
    if (in.srv && in.txt) {
      due = std::min(refresh_at(in.srv_time.received, in.srv_time.expires),
                     refresh_at(in.txt_time.received, in.txt_time.expires));
      if (auto it = hosts_.find(in.srv->target); it != hosts_.end()) {
        uint64_t latest = 0;
        for (const auto& e : it->second.ipv4)
          latest = std::max(latest, refresh_at(e.second.received, e.second.expires));
        for (const auto& e : it->second.ipv6)
          latest = std::max(latest, refresh_at(e.second.received, e.second.expires));
        due = std::min(due, latest);
      } else {
        due = 0;
      }
    }
    d = std::min(d, std::max(due, in.asked_at == 0 ? 0 : in.asked_at + kResolveGapMs));
  }
  for (const auto& [name, host] : hosts_) {
    for (const auto& e : host.ipv4) d = std::min(d, e.second.expires);
    for (const auto& e : host.ipv6) d = std::min(d, e.second.expires);
  }
  return d;
}

std::vector<MdnsDatagram> MdnsBrowser::take_datagrams() { return std::exchange(out_, {}); }
std::vector<MdnsBrowseEvent> MdnsBrowser::take_events() { return std::exchange(events_, {}); }

}  // namespace peernet
