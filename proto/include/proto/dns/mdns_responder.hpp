// The mDNS responder for one DNS-SD service instance (RFC 6762 §8-10,
// RFC 6763): it claims the names, announces the records, answers queries
// and says goodbye. Sans-IO (mdns.hpp has the calling convention).
//
// The records of an instance <I> on host <H> (RFC 6763 §4-§9):
//
//     _peernet._tcp.local             PTR  <I>._peernet._tcp.local   shared, 75 min
//     _services._dns-sd._udp.local    PTR  _peernet._tcp.local        shared, 75 min
//     <I>._peernet._tcp.local         SRV  0 0 <port> <H>.local       unique, 120 s
//     <I>._peernet._tcp.local         TXT  "id=<peer id>" "v=1"       unique, 75 min
//                                          ["pair=<nameplate>" while a pairing window is open]
//     <H>.local                       A / AAAA (every address given)  unique, 120 s
//
// States (the unique names are <I>._peernet._tcp.local and <H>.local):
//
//     idle --start--> probing --3 probes, 250 ms apart, no conflict--> announcing
//       ^               ^   |                                             | 3 announcements,
//       |               |   +-- lost a simultaneous probe: again in 1 s   | 1 s then 2 s apart
//       |               +-- conflict: rename "<I> (2)", "<H>-2", ... <----+---> announced
//       +----------------------------- stop(): goodbye, TTL 0 --------------------+
//
// Interfaces (MdnsServiceInfo::links): each interface the responder serves
// gets its own copy of every multicast message, tagged with its index, and
// holding only that interface's addresses; a query is answered with the
// addresses of the interface it arrived on (MdnsSource::interface), and a
// query from an interface not in the list is not answered at all. Without
// links, every address goes everywhere in one copy.
//
// Answer timing (§6): an answer made only of unique records (SRV, TXT,
// A/AAAA, NSEC) goes out at once; one holding a shared record (a PTR) waits
// 20-120 ms, chosen at random, so that the answers of many responders to
// one query do not collide. Negative answers (§6.1): a question for a type
// the asked name does not have on that interface (AAAA of an IPv4-only
// host, ...) is answered with an NSEC record listing the types it has, and
// an answer carrying the host's addresses carries that NSEC as an
// additional record too.
//
// A conflict is a response holding a record of one of our unique names that
// differs from ours (§8.1, §9); a record identical to ours is our own packet
// looped back or another interface's copy. Simultaneous probes are settled
// by comparing the authority records (§8.2). After 15 conflicts in 10 s
// probing waits 5 s (§8.1).
//
// Queries are answered from announcing on: every record of the asked name
// and type, minus known answers with at least half our TTL left (§7.1),
// with SRV/TXT/A/AAAA as additionals (RFC 6763 §12). A multicast answer of
// a record goes out at most once per second, once per 250 ms to defend
// against a probe (§6). The unicast-response bit (§5.4) and queries from a
// port other than 5353 (legacy unicast, §6.7) are answered to the sender.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/dns/dns.hpp"
#include "proto/dns/mdns.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet {

struct MdnsServiceInfo {
  std::string instance;  // the wanted <I>: valid_instance_label()
  std::string host;      // the wanted <H>: a DNS label (letters, digits, '-')
  uint16_t port = 0;
  std::vector<TxtAttribute> txt;
  std::vector<Ipv4Address> ipv4;
  std::vector<Ipv6Address> ipv6;
  // The interfaces served and their addresses (see above); the addresses
  // above, when any, are announced on every one of them.
  std::vector<MdnsLink> links;
};

class MdnsResponder {
 public:
  enum class State { idle, probing, announcing, announced };

  explicit MdnsResponder(Rng& rng);

  // Starts claiming `info`'s names from scratch (a first probe within
  // 250 ms). Errc::bad_request for an invalid instance, host or TXT.
  Status start(MdnsServiceInfo info, uint64_t now);
  // New addresses (or the same after a network change): announces again,
  // without probing, or restarts the probing under way.
  void update_addresses(std::vector<Ipv4Address> ipv4, std::vector<Ipv6Address> ipv6, uint64_t now);
  // The same for the per-interface addresses (MdnsServiceInfo::links).
  void update_links(std::vector<MdnsLink> links, uint64_t now);
  // Adds "pair=<nameplate>" to the TXT record, or removes it (nullopt),
  // and announces the changed TXT again at once (RFC 6762 §8.4) when
  // anything is announced already. Errc::bad_request for a nameplate
  // that is not 3 decimal digits; the TXT stays as it was.
  Status set_pairing_nameplate(std::optional<std::string> nameplate, uint64_t now);
  // The goodbye (every record with TTL 0) when anything was announced;
  // idle afterwards.
  void stop();

  void receive(const DnsMessage& message, const MdnsSource& from, uint64_t now);
  void tick(uint64_t now);
  std::optional<uint64_t> next_deadline() const;
  std::vector<MdnsDatagram> take_datagrams();

  State state() const { return state_; }
  // The instance and host labels in use (renamed after conflicts).
  const std::string& instance() const { return instance_; }
  const std::string& host() const { return host_; }
  uint32_t conflicts() const { return conflicts_; }

 private:
  struct Pending {
    uint64_t at = 0;
    DnsMessage message;
    std::optional<uint32_t> link;
  };
  struct Owned {
    DnsRecord record;
    bool unique = false;
    uint64_t multicast_at = 0;  // last multicast, 0 = never
  };

  Status build_records();
  void restart_announcing(uint64_t now);
  const MdnsLink* link_of(uint32_t index) const;
  // Whether `r` may go out on `link` (nullptr: any address).
  bool on_link(const DnsRecord& r, const MdnsLink* link) const;
  // The NSEC of `name` listing the types it has on `link`.
  DnsRecord nsec_for(const DnsName& name, const MdnsLink* link) const;
  bool is_unique_name(const DnsName& name) const;
  bool identical_to_ours(const DnsRecord& r) const;
  void begin_probing(uint64_t now, uint64_t delay);
  void on_conflict(uint64_t now);
  void handle_probe_authority(const DnsMessage& query, const MdnsSource& from, uint64_t now);
  void answer(const DnsMessage& query, const MdnsSource& from, uint64_t now);
  void send_probe();
  void send_announcement(uint64_t now);
  // To `to`, or multicast on `link`, or multicast on every link.
  void send(DnsMessage message, std::optional<MdnsSource> to, std::optional<uint32_t> link = std::nullopt);
  void send_one(DnsMessage message, std::optional<MdnsSource> to, std::optional<uint32_t> link);

  Rng& rng_;
  MdnsServiceInfo info_;
  State state_ = State::idle;
  std::string instance_, host_;
  DnsName instance_name_, host_name_;
  std::vector<Owned> records_;
  int sent_ = 0;  // probes or announcements of the current phase
  uint64_t deadline_ = 0;
  uint32_t conflicts_ = 0;
  std::vector<uint64_t> recent_conflicts_;
  std::vector<Pending> pending_;  // delayed answers (§6), in time order
  std::vector<MdnsDatagram> out_;
};

// The uncompressed rdata of `r` (RFC 6762 §8.2 compares records by it).
Bytes mdns_rdata_bytes(const DnsRdata& r);

}  // namespace peernet
