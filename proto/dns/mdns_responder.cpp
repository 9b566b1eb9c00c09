#include "proto/dns/mdns_responder.hpp"

#include <algorithm>
#include <tuple>

#include "proto/pairing/code.hpp"

namespace peernet {
namespace {

// RFC 6762 §10: 120 s for records naming a host or holding its addresses,
// 75 minutes for the others.
constexpr uint32_t kHostTtl = 120;
constexpr uint32_t kOtherTtl = 4500;
// RFC 6762 §8.1, §6.
constexpr uint64_t kProbeIntervalMs = 250;
constexpr int kProbes = 3;
constexpr int kAnnouncements = 3;
constexpr uint64_t kMulticastGapMs = 1000;
constexpr uint64_t kProbeDefenceGapMs = 250;
constexpr uint64_t kLostTieBreakDelayMs = 1000;
constexpr size_t kConflictBurst = 15;
constexpr uint64_t kConflictWindowMs = 10'000;
constexpr uint64_t kConflictPauseMs = 5000;
// Legacy unicast answers carry at most this TTL (§6.7).
constexpr uint32_t kLegacyTtl = 10;
// The random delay of an answer holding a shared record (§6).
constexpr uint64_t kSharedDelayMinMs = 20;
constexpr uint64_t kSharedDelayMaxMs = 120;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  return text;
}

bool same_record(const DnsRecord& a, const DnsRecord& b) {
  return a.name == b.name && a.type() == b.type() && a.rdata == b.rdata;
}

// Sorted by class, type and rdata: the order §8.2 compares in.
using Key = std::tuple<uint16_t, uint16_t, Bytes>;
std::vector<Key> sorted_keys(const std::vector<const DnsRecord*>& records) {
  std::vector<Key> keys;
  for (const DnsRecord* r : records)
    keys.emplace_back(r->dns_class, static_cast<uint16_t>(r->type()), mdns_rdata_bytes(r->rdata));
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

Bytes mdns_rdata_bytes(const DnsRdata& rdata) {
  Bytes b;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ARdata> || std::is_same_v<T, AaaaRdata>) {
          b.assign(r.address.begin(), r.address.end());
        } else if constexpr (std::is_same_v<T, PtrRdata>) {
          b = r.target.wire();
        } else if constexpr (std::is_same_v<T, TxtRdata>) {
          for (const std::string& s : r.strings) {
            b.push_back(static_cast<uint8_t>(s.size()));
            b.insert(b.end(), s.begin(), s.end());
          }
        } else if constexpr (std::is_same_v<T, SrvRdata>) {
          put16(b, r.priority);
          put16(b, r.weight);
          put16(b, r.port);
          Bytes t = r.target.wire();
          b.insert(b.end(), t.begin(), t.end());
        } else if constexpr (std::is_same_v<T, NsecRdata>) {
          b = r.next.wire();
        } else {
          b = r.data;
        }
      },
      rdata);
  return b;
}

MdnsResponder::MdnsResponder(Rng& rng) : rng_(rng) {}

Status MdnsResponder::start(MdnsServiceInfo info, uint64_t now) {
  stop();
  out_.clear();
  info_ = std::move(info);
  conflicts_ = 0;
  recent_conflicts_.clear();
  instance_ = info_.instance;
  host_ = info_.host;
  PEERNET_TRY_VOID(build_records());
  begin_probing(now, rng_.next_u64() % kProbeIntervalMs);
  return {};
}

Status MdnsResponder::build_records() {
  if (!valid_instance_label(instance_))
    return make_error(Errc::bad_request, "invalid mDNS instance name \"" + instance_ + "\"");
  PEERNET_TRY(DnsName service, service_type_name());
  PEERNET_TRY(DnsName enumeration, service_enumeration_name());
  PEERNET_TRY(instance_name_, service_instance_name(instance_, service));
  PEERNET_TRY(host_name_, DnsName::from_labels({host_, std::string(kMdnsDomain)}));
  PEERNET_TRY(std::vector<std::string> txt, encode_txt(info_.txt));

  records_.clear();
  auto add = [&](DnsName name, bool unique, uint32_t ttl, DnsRdata rdata) {
    records_.push_back(Owned{DnsRecord{std::move(name), kDnsClassIn, unique, ttl, std::move(rdata)}, unique, 0});
  };
  add(service, false, kOtherTtl, PtrRdata{instance_name_});
  add(enumeration, false, kOtherTtl, PtrRdata{service});
  add(instance_name_, true, kHostTtl, SrvRdata{0, 0, info_.port, host_name_});
  add(instance_name_, true, kOtherTtl, TxtRdata{std::move(txt)});
  std::vector<Ipv4Address> v4 = info_.ipv4;
  std::vector<Ipv6Address> v6 = info_.ipv6;
  for (const MdnsLink& l : info_.links) {
    v4.insert(v4.end(), l.ipv4.begin(), l.ipv4.end());
    v6.insert(v6.end(), l.ipv6.begin(), l.ipv6.end());
  }
  std::sort(v4.begin(), v4.end());
  v4.erase(std::unique(v4.begin(), v4.end()), v4.end());
  std::sort(v6.begin(), v6.end());
  v6.erase(std::unique(v6.begin(), v6.end()), v6.end());
  for (const Ipv4Address& a : v4) add(host_name_, true, kHostTtl, ARdata{a});
  for (const Ipv6Address& a : v6) add(host_name_, true, kHostTtl, AaaaRdata{a});
  return {};
}

const MdnsLink* MdnsResponder::link_of(uint32_t index) const {
  for (const MdnsLink& l : info_.links)
    if (l.index == index) return &l;
  return nullptr;
}

bool MdnsResponder::on_link(const DnsRecord& r, const MdnsLink* link) const {
  if (link == nullptr || !(r.name == host_name_)) return true;
  if (const auto* a = std::get_if<ARdata>(&r.rdata))
    return std::find(info_.ipv4.begin(), info_.ipv4.end(), a->address) != info_.ipv4.end() ||
           std::find(link->ipv4.begin(), link->ipv4.end(), a->address) != link->ipv4.end();
  if (const auto* a = std::get_if<AaaaRdata>(&r.rdata))
    return std::find(info_.ipv6.begin(), info_.ipv6.end(), a->address) != info_.ipv6.end() ||
           std::find(link->ipv6.begin(), link->ipv6.end(), a->address) != link->ipv6.end();
  return true;
}

DnsRecord MdnsResponder::nsec_for(const DnsName& name, const MdnsLink* link) const {
  NsecRdata n{name, {}};
  uint32_t ttl = kHostTtl;
  for (const Owned& o : records_) {
    if (!(o.record.name == name) || !on_link(o.record, link)) continue;
    if (std::find(n.types.begin(), n.types.end(), o.record.type()) == n.types.end()) n.types.push_back(o.record.type());
    ttl = std::min(ttl, o.record.ttl);
  }
  std::sort(n.types.begin(), n.types.end());
  return DnsRecord{name, kDnsClassIn, true, ttl, std::move(n)};
}

void MdnsResponder::restart_announcing(uint64_t now) {
  pending_.clear();  // they hold the old records
  if (state_ == State::probing) return begin_probing(now, rng_.next_u64() % kProbeIntervalMs);
  state_ = State::announcing;
  sent_ = 0;
  deadline_ = now;
}

void MdnsResponder::update_addresses(std::vector<Ipv4Address> ipv4, std::vector<Ipv6Address> ipv6, uint64_t now) {
  info_.ipv4 = std::move(ipv4);
  info_.ipv6 = std::move(ipv6);
  if (state_ == State::idle) return;
  // The names were valid when start() took them: this cannot fail.
  if (!build_records()) return;
  restart_announcing(now);
}

void MdnsResponder::update_links(std::vector<MdnsLink> links, uint64_t now) {
  info_.links = std::move(links);
  if (state_ == State::idle) return;
  if (!build_records()) return;
  restart_announcing(now);
}

Status MdnsResponder::set_pairing_nameplate(std::optional<std::string> nameplate, uint64_t now) {
  if (nameplate && !pairing::valid_nameplate(*nameplate))
    return make_error(Errc::bad_request, "a pairing nameplate is 3 decimal digits");
  std::vector<TxtAttribute> txt = info_.txt;
  std::erase_if(txt, [](const TxtAttribute& a) { return a.key == kMdnsTxtPair; });
  if (nameplate) txt.push_back(TxtAttribute{std::string(kMdnsTxtPair), std::move(nameplate)});
  if (txt == info_.txt) return {};
  info_.txt = std::move(txt);
  if (state_ == State::idle) return {};
  // The other names and records are unchanged and were valid before.
  if (!build_records()) return {};
  // While probing, the announcements that follow carry the new TXT.
  if (state_ == State::probing) return {};
  state_ = State::announcing;
  sent_ = 0;
  deadline_ = now;
  return {};
}

void MdnsResponder::stop() {
  if (state_ == State::announcing || state_ == State::announced) {
    DnsMessage bye;
    bye.header.qr = true;
    bye.header.aa = true;
    for (const Owned& o : records_) {
      DnsRecord r = o.record;
      r.ttl = 0;
      bye.answers.push_back(std::move(r));
    }
    send(std::move(bye), std::nullopt);
  }
  pending_.clear();
  state_ = State::idle;
}

void MdnsResponder::begin_probing(uint64_t now, uint64_t delay) {
  state_ = State::probing;
  sent_ = 0;
  deadline_ = now + delay;
}

bool MdnsResponder::is_unique_name(const DnsName& name) const { return name == instance_name_ || name == host_name_; }

bool MdnsResponder::identical_to_ours(const DnsRecord& r) const {
  return std::any_of(records_.begin(), records_.end(), [&](const Owned& o) { return same_record(o.record, r); });
}

void MdnsResponder::on_conflict(uint64_t now) {
  // The old names' shared PTRs would linger in caches for 75 minutes.
  if (state_ == State::announcing || state_ == State::announced) {
    DnsMessage bye;
    bye.header.qr = true;
    bye.header.aa = true;
    for (const Owned& o : records_)
      if (!o.unique) bye.answers.push_back(DnsRecord{o.record.name, kDnsClassIn, false, 0, o.record.rdata});
    send(std::move(bye), std::nullopt);
  }
  ++conflicts_;
  std::erase_if(recent_conflicts_, [&](uint64_t t) { return t + kConflictWindowMs <= now; });
  recent_conflicts_.push_back(now);
  // RFC 6763 §4.1.1 wants "Name (2)"; host names take "-2" (RFC 6762 §9).
  std::string n = std::to_string(conflicts_ + 1);
  instance_ = cut_utf8(info_.instance, kMaxDnsLabel - n.size() - 3) + " (" + n + ")";
  host_ = info_.host.substr(0, kMaxDnsLabel - n.size() - 1) + "-" + n;
  if (!build_records()) {
    state_ = State::idle;
    return;
  }
  uint64_t delay = recent_conflicts_.size() >= kConflictBurst ? kConflictPauseMs : 0;
  begin_probing(now, delay);
}

void MdnsResponder::receive(const DnsMessage& m, const MdnsSource& from, uint64_t now) {
  if (state_ == State::idle || m.header.opcode != 0 || m.header.rcode != 0) return;
  // An interface we do not serve: nothing of ours is announced there.
  if (!info_.links.empty() && from.interface != 0 && link_of(from.interface) == nullptr) return;
  if (m.header.qr) {
    // A response from the mDNS port only (§6, §11): anything else is
    // not a legitimate claim on the names.
    if (from.port != kMdnsPort) return;
    for (const auto* section : {&m.answers, &m.additionals})
      for (const DnsRecord& r : *section)
        if (r.ttl > 0 && is_unique_name(r.name) && !identical_to_ours(r)) return on_conflict(now);
    return;
  }
  if (state_ == State::probing) return handle_probe_authority(m, from, now);
  answer(m, from, now);
}

void MdnsResponder::handle_probe_authority(const DnsMessage& q, const MdnsSource& from, uint64_t now) {
  // Our own probe looped back holds the records of the interface it went
  // out on: the one it arrived on, or, with two of our interfaces on one
  // LAN, another one of ours.
  std::vector<const MdnsLink*> links{link_of(from.interface)};
  for (const MdnsLink& l : info_.links)
    if (l.index != from.interface) links.push_back(&l);
  for (const DnsName* name : {&instance_name_, &host_name_}) {
    std::vector<const DnsRecord*> theirs;
    for (const DnsRecord& r : q.authorities)
      if (r.name == *name) theirs.push_back(&r);
    if (theirs.empty()) continue;
    auto b = sorted_keys(theirs);
    std::optional<std::vector<Key>> first;
    bool own = false;
    for (const MdnsLink* link : links) {
      std::vector<const DnsRecord*> ours;
      for (const Owned& o : records_)
        if (o.record.name == *name && on_link(o.record, link)) ours.push_back(&o.record);
      auto a = sorted_keys(ours);
      if (!first) first = a;
      own |= a == b;
    }
    if (own) continue;  // our own probe, looped back
    if (*first < b) return begin_probing(now, kLostTieBreakDelayMs);
  }
}

void MdnsResponder::answer(const DnsMessage& q, const MdnsSource& from, uint64_t now) {
  bool legacy = from.port != kMdnsPort;
  bool probe = !q.authorities.empty();
  uint64_t gap = probe ? kProbeDefenceGapMs : kMulticastGapMs;
  const MdnsLink* link = link_of(from.interface);
  // The interface the answer goes out on: the query's, when known.
  std::optional<uint32_t> out_link;
  if (link != nullptr) out_link = link->index;
  std::vector<size_t> multicast, unicast;
  // Negative answers (§6.1): the names asked for a type they lack here.
  std::vector<DnsName> negative_multicast, negative_unicast;
  auto known = [&](const DnsRecord& r) {
    return std::any_of(q.answers.begin(), q.answers.end(),
                       [&](const DnsRecord& k) { return same_record(k, r) && k.ttl >= r.ttl / 2; });
  };
  for (const DnsQuestion& question : q.questions) {
    if (question.dns_class != kDnsClassIn && question.dns_class != 255) continue;
    bool to_sender = legacy || question.unicast_response;
    std::vector<size_t>& list = to_sender ? unicast : multicast;
    bool have_name = false, have_type = false;
    for (size_t i = 0; i < records_.size(); ++i) {
      const Owned& o = records_[i];
      if (!(o.record.name == question.name) || !on_link(o.record, link)) continue;
      have_name = true;
      if (question.type != DnsType::any && question.type != o.record.type()) continue;
      have_type = true;
      if (known(o.record)) continue;
      if (!to_sender && o.multicast_at != 0 && now < o.multicast_at + gap) continue;
      if (std::find(list.begin(), list.end(), i) == list.end()) list.push_back(i);
    }
    if (have_name && !have_type && !legacy && (question.name == host_name_ || question.name == instance_name_)) {
      auto& neg = to_sender ? negative_unicast : negative_multicast;
      if (std::find(neg.begin(), neg.end(), question.name) == neg.end()) neg.push_back(question.name);
    }
  }
  auto build = [&](const std::vector<size_t>& picked, const std::vector<DnsName>& negative, bool to_sender) {
    DnsMessage m;
    m.header.qr = true;
    m.header.aa = true;
    if (legacy) {
      m.header.id = q.header.id;
      m.questions = q.questions;
      for (DnsQuestion& qq : m.questions) qq.unicast_response = false;
    }
    auto add = [&](std::vector<DnsRecord>& section, const Owned& o) {
      DnsRecord r = o.record;
      if (legacy) {
        r.cache_flush = false;
        r.ttl = std::min(r.ttl, kLegacyTtl);
      }
      section.push_back(std::move(r));
    };
    std::vector<bool> used(records_.size(), false);
    for (size_t i : picked) {
      used[i] = true;
      add(m.answers, records_[i]);
      if (!to_sender) records_[i].multicast_at = std::max<uint64_t>(now, 1);
    }
    for (const DnsName& name : negative) m.answers.push_back(nsec_for(name, link));
    // RFC 6763 §12: a PTR brings its SRV, TXT and addresses, an SRV its addresses.
    bool host_added = false;
    for (size_t i : picked) {
      const DnsRecord& r = records_[i].record;
      bool instance_ptr = r.type() == DnsType::ptr && std::get<PtrRdata>(r.rdata).target == instance_name_;
      for (size_t j = 0; j < records_.size(); ++j) {
        const DnsRecord& x = records_[j].record;
        bool wanted = (instance_ptr && (x.name == instance_name_ || x.name == host_name_)) ||
                      (r.type() == DnsType::srv && x.name == host_name_);
        if (wanted && !used[j] && !known(x) && on_link(x, link)) {
          used[j] = true;
          add(m.additionals, records_[j]);
          host_added |= x.name == host_name_;
        }
      }
      host_added |= r.name == host_name_;
    }
    // With the addresses, the NSEC that says which families there are, so
    // that nobody asks for the missing one (§6.1).
    bool host_negative = std::find(negative.begin(), negative.end(), host_name_) != negative.end();
    if (host_added && !host_negative && !legacy) m.additionals.push_back(nsec_for(host_name_, link));
    return m;
  };
  if (!unicast.empty() || !negative_unicast.empty()) send(build(unicast, negative_unicast, true), from);
  if (multicast.empty() && negative_multicast.empty()) return;
  DnsMessage m = build(multicast, negative_multicast, false);
  bool shared = std::any_of(multicast.begin(), multicast.end(), [&](size_t i) { return !records_[i].unique; });
  if (!shared) return send(std::move(m), std::nullopt, out_link);
  uint64_t at = now + kSharedDelayMinMs + rng_.next_u64() % (kSharedDelayMaxMs - kSharedDelayMinMs + 1);
  pending_.push_back(Pending{at, std::move(m), out_link});
  std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) { return a.at < b.at; });
}

void MdnsResponder::send_probe() {
  DnsMessage m;
  // §8.1: the first probe asks for unicast answers; every probe carries the
  // records we intend to use, for the simultaneous-probe tie-break.
  for (const DnsName* name : {&instance_name_, &host_name_})
    m.questions.push_back(DnsQuestion{*name, DnsType::any, kDnsClassIn, sent_ == 0});
  for (const Owned& o : records_)
    if (o.unique) {
      DnsRecord r = o.record;
      r.cache_flush = false;
      m.authorities.push_back(std::move(r));
    }
  send(std::move(m), std::nullopt);
}

void MdnsResponder::send_announcement(uint64_t now) {
  DnsMessage m;
  m.header.qr = true;
  m.header.aa = true;
  for (Owned& o : records_) {
    m.answers.push_back(o.record);
    o.multicast_at = std::max<uint64_t>(now, 1);
  }
  send(std::move(m), std::nullopt);
}

void MdnsResponder::tick(uint64_t now) {
  while (!pending_.empty() && pending_.front().at <= now) {
    Pending p = std::move(pending_.front());
    pending_.erase(pending_.begin());
    send(std::move(p.message), std::nullopt, p.link);
  }
  if (state_ == State::idle || state_ == State::announced || now < deadline_) return;
  if (state_ == State::probing) {
    if (sent_ < kProbes) {
      send_probe();
      ++sent_;
      deadline_ = now + kProbeIntervalMs;
      return;
    }
    state_ = State::announcing;
    sent_ = 0;
  }
  send_announcement(now);
  ++sent_;
  // §8.3: at least two, one second apart, the interval at least doubling.
  deadline_ = now + (uint64_t{1000} << (sent_ - 1));
  if (sent_ >= kAnnouncements) state_ = State::announced;
}

std::optional<uint64_t> MdnsResponder::next_deadline() const {
  std::optional<uint64_t> d;
  if (!pending_.empty()) d = pending_.front().at;
  if (state_ == State::probing || state_ == State::announcing) d = d ? std::min(*d, deadline_) : deadline_;
  return d;
}

std::vector<MdnsDatagram> MdnsResponder::take_datagrams() { return std::exchange(out_, {}); }

void MdnsResponder::send(DnsMessage message, std::optional<MdnsSource> to, std::optional<uint32_t> link) {
  if (info_.links.empty()) return send_one(std::move(message), std::move(to), std::nullopt);
  if (to) {
    if (to->interface != 0) link = to->interface;
  }
  if (to || link) return send_one(std::move(message), std::move(to), link);
  for (const MdnsLink& l : info_.links) send_one(message, std::nullopt, l.index);
}

void MdnsResponder::send_one(DnsMessage message, std::optional<MdnsSource> to, std::optional<uint32_t> link) {
  // Only the addresses of the interface the message goes out on.
  if (const MdnsLink* l = link ? link_of(*link) : nullptr) {
    for (auto* section : {&message.answers, &message.authorities, &message.additionals})
      std::erase_if(*section, [&](const DnsRecord& r) { return !on_link(r, l); });
    if (message.questions.empty() && message.answers.empty() && message.authorities.empty()) return;
  }
  std::optional<uint32_t> interface = to ? std::nullopt : link;
  DnsMessage rest = std::move(message);
  for (int part = 0; part < 8; ++part) {
    DnsEncoding e = encode_dns_within(rest, kMdnsPacketBudget);
    if (!e.progress()) break;
    out_.push_back(MdnsDatagram{std::move(e.wire), to, interface});
    if (e.complete) break;
    rest = dns_remainder(rest, e);
  }
}

}  // namespace peernet
