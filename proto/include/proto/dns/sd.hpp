// DNS-SD names and TXT attributes (RFC 6763), for announcing and browsing
// peernet's service type. A peer's announcement is:
//
//     _peernet._tcp.local                PTR  <Instance>._peernet._tcp.local   (§4.1)
//     <Instance>._peernet._tcp.local     SRV  0 0 <port> <host>.local          (§5)
//     <Instance>._peernet._tcp.local     TXT  "key=value" ...                  (§6)
//     <host>.local                       A / AAAA
//     _services._dns-sd._udp.local       PTR  _peernet._tcp.local              (§9)
//
// <Instance> is one label of UTF-8 text, which may hold dots and spaces
// (§4.3): it goes on the wire as it is and is never split at its dots.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/dns/name.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr std::string_view kPeernetServiceType = "_peernet._tcp";
inline constexpr std::string_view kMdnsDomain = "local";

// "<service>.<domain>", e.g. "_peernet._tcp.local". The service is
// "_<name>._tcp" or "_<name>._udp" with a name of 1..15 letters, digits and
// hyphens (RFC 6763 §7, RFC 6335 §5.1). Errc::bad_request otherwise.
Result<DnsName> service_type_name(std::string_view service = kPeernetServiceType,
                                  std::string_view domain = kMdnsDomain);

// "_services._dns-sd._udp.<domain>", where browsers enumerate service types (§9).
Result<DnsName> service_enumeration_name(std::string_view domain = kMdnsDomain);

// An instance label we are willing to announce: 1..63 bytes of well-formed
// UTF-8 without control characters (§4.1.1: no C0 controls or DEL; and, as
// Net-Unicode text, no C1 controls).
bool valid_instance_label(std::string_view instance);

// "<instance>.<service_type>", the instance kept as one label.
// Errc::bad_request unless valid_instance_label(instance).
Result<DnsName> service_instance_name(std::string_view instance, const DnsName& service_type);

// The <Instance> of "<Instance>.<service_type>" (one label directly below
// the service type, compared case-insensitively), or nullopt. The label is
// returned as it arrived, unvalidated: escape it before showing it.
std::optional<std::string> instance_label(const DnsName& name, const DnsName& service_type);

// One attribute of a TXT record (§6.3-6.5): "key=value", or a boolean "key"
// without '=', which is `value == nullopt`. "key=" has an empty value.
// Values are bytes, not necessarily text.
struct TxtAttribute {
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const TxtAttribute&, const TxtAttribute&) = default;
};

// A key is 1 or more printable ASCII characters (0x20..0x7E) other than '='
// (§6.4; keys of at most 9 are recommended, not required).
bool valid_txt_key(std::string_view key);

// The TXT strings for `attributes`, in order. No attributes at all give one
// empty string (§6.1). Errc::bad_request for an invalid key, a key given
// twice (case-insensitively) or a string above 255 bytes.
Result<std::vector<std::string>> encode_txt(const std::vector<TxtAttribute>& attributes);

// The attributes in TXT strings, in order: keys are split at the first '=';
// empty strings and strings with an invalid key (including "=value") are
// skipped; of keys that repeat (case-insensitively) the first occurrence
// wins and the others are dropped (§6.4).
std::vector<TxtAttribute> decode_txt(const std::vector<std::string>& strings);

// The attribute with `key` (case-insensitive), or nullptr.
const TxtAttribute* find_txt(const std::vector<TxtAttribute>& attributes, std::string_view key);

}  // namespace peernet
