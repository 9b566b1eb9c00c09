// The mDNS browser for peernet's service (RFC 6762 §5, RFC 6763 §4-§6):
// finds instances of _peernet._tcp.local and resolves each to a peer id
// and addresses. Sans-IO (mdns.hpp has the calling convention).
//
//   query PTR _peernet._tcp.local  (20-120 ms after start, then 1 s, 2 s,
//        |                          4 s, ... up to 60 s; known answers with
//        v                          more than half their TTL left go along)
//   PTR -> instance --SRV--> port, host --A/AAAA--> addresses
//                   --TXT--> id=<peer id>, v=<version>[, pair=<nameplate>]
//
// An instance is reported `found` once it has an SRV, a TXT with a valid
// id and at least one address, and again whenever that changes; `lost`
// when its PTR, SRV or TXT expires or says goodbye (TTL 0: gone after 1 s,
// §10.1). Missing parts are asked for once a second, at most 4 times per
// PTR seen; records past 80 % of their TTL are asked for again (§5.2). An
// instance whose TXT has no valid id, or a version other than ours, is
// reported `rejected` once and otherwise ignored. Our own id is ignored.
// A private TXT (private_sd.hpp: v=1, n=, t=, no id) is given to the
// recogniser: a key it returns is reported like an id= of that key; none
// is reported `found` with `anonymous` set and no id (an unknown peer).
// Our own private announcements are ignored. The recognition is kept with
// the TXT and done again when the TXT changes or after restart_queries().
// A TXT "pair=" of 3 decimal digits is reported as the instance's pairing
// nameplate; any other value is as if it were absent. A nameplate that
// appears, changes or goes away is reported `found` again.
//
// Everything cached is bounded: 256 instances, 256 hosts, 8 addresses per
// host. Only responses from port 5353 are read (§6, §11).
//
// A link-local AAAA (fe80::/10) is kept with the interface its response
// arrived on (MdnsSource::interface): the same address on two interfaces
// is two addresses, and only that interface reaches it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/dns/dns.hpp"
#include "proto/keys.hpp"
#include "proto/dns/mdns.hpp"
#include "proto/dns/private_sd.hpp"
#include "proto/rng.hpp"

namespace peernet {

inline constexpr size_t kMdnsMaxInstances = 256;
inline constexpr size_t kMdnsMaxHosts = 256;
inline constexpr size_t kMdnsMaxHostAddresses = 8;

struct MdnsBrowseEvent {
  enum class Kind { found, lost, rejected };
  Kind kind = Kind::found;
  std::string instance;  // as it arrived: escape before showing
  PublicKey id{};        // found and lost
  uint16_t port = 0;
  std::vector<Ipv4Address> ipv4;
  std::vector<MdnsIpv6> ipv6;  // link-local ones with their interface
  uint32_t ttl_s = 0;  // found: how long the records stay valid
  std::optional<std::string> pairing_nameplate;  // found: TXT "pair=", when valid
  bool anonymous = false;  // found, lost: a private announcement no trusted key made; id is zero
  std::string why;     // rejected
};

class MdnsBrowser {
 public:
  // Which trusted key made a private announcement, if any.
  using Recogniser = std::function<std::optional<PublicKey>(const PrivateMark&)>;

  MdnsBrowser(Rng& rng, const PublicKey& own_id);

  void set_recogniser(Recogniser recognise) { recognise_ = std::move(recognise); }

  // Starts browsing: the first query within 20-120 ms.
  void start(uint64_t now);
  // The network changed: query again soon, with the interval from 1 s.
  void restart_queries(uint64_t now);
  void stop();

  void receive(const DnsMessage& message, const MdnsSource& from, uint64_t now);
  void tick(uint64_t now);
  std::optional<uint64_t> next_deadline() const;
  std::vector<MdnsDatagram> take_datagrams();
  std::vector<MdnsBrowseEvent> take_events();

  size_t instances() const { return instances_.size(); }

 private:
  struct Timed {
    uint64_t received = 0;
    uint64_t expires = 0;
  };
  struct Reported {
    PublicKey id;
    uint16_t port;
    std::vector<Ipv4Address> ipv4;
    std::vector<MdnsIpv6> ipv6;
    std::optional<std::string> pairing_nameplate;
    bool anonymous = false;
    friend bool operator==(const Reported&, const Reported&) = default;
  };
  struct Instance {
    DnsName name;
    std::string label;
    Timed ptr;
    uint32_t ptr_ttl = 0;
    std::optional<SrvRdata> srv;
    Timed srv_time;
    std::optional<std::vector<std::string>> txt;
    Timed txt_time;
    uint64_t asked_at = 0;
    int asks = 0;
    std::optional<Reported> reported;
    bool rejected = false;
    // The recognition of a private TXT, for the TXT it was made for.
    std::optional<std::vector<std::string>> recognised_txt;
    std::optional<PublicKey> recognised;
  };
  struct Host {
    std::vector<std::pair<Ipv4Address, Timed>> ipv4;
    std::vector<std::pair<MdnsIpv6, Timed>> ipv6;
  };

  Instance* instance_for(const DnsName& name, uint64_t now, bool create);
  void take_record(const DnsRecord& r, uint64_t now);
  void take_address(const DnsRecord& r, uint32_t interface, uint64_t now);
  void expire(uint64_t now);
  void evaluate(Instance& in, uint64_t now);
  bool wants_refresh(const Instance& in, uint64_t now) const;
  void send_browse_query(uint64_t now);
  void send_resolve_queries(uint64_t now);

  Rng& rng_;
  PublicKey own_id_;
  Recogniser recognise_;
  DnsName service_;
  bool running_ = false;
  uint64_t next_query_ = 0;
  uint64_t interval_ = 1000;
  std::unordered_map<DnsName, Instance, DnsNameHash> instances_;
  std::unordered_map<DnsName, Host, DnsNameHash> hosts_;
  std::vector<MdnsDatagram> out_;
  std::vector<MdnsBrowseEvent> events_;
};

}  // namespace peernet
