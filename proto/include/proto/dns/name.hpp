// Domain names as Multicast DNS and DNS-SD use them (RFC 1035 §3.1, §4.1.4;
// RFC 6762 §16; RFC 6763 §4.3).
//
// A name is a sequence of labels. A label is 1..63 bytes of anything: DNS-SD
// instance labels are UTF-8 with spaces and dots ("Ann's Laptop.home"), so a
// dot inside a label is data, not a separator. The wire form
//
//     name  = *label root        ; root = 0x00
//     label = length:u8 (1..63) | length bytes
//
// is at most 255 bytes, the root byte included (RFC 1035 §2.3.4), which
// bounds a name to 127 labels.
//
// Names compare ASCII-case-insensitively (RFC 1035 §2.3.3). Bytes outside
// ASCII compare as they are: RFC 6762 §16 forbids any other case folding.
// The spelling is kept as given, because instance names are shown to people.
//
// Inside a message a name may end with a pointer to an earlier occurrence
// of its tail (RFC 1035 §4.1.4):
//
//     pointer = 0b11:2 | offset:14   ; from the first byte of the message
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kMaxDnsLabel = 63;
inline constexpr size_t kMaxDnsName = 255;
// A sane encoder needs at most one pointer per label (a chain of ever
// shorter tails), so 127; anything beyond is a crafted chain.
inline constexpr size_t kMaxDnsPointerJumps = 128;

class DnsName {
 public:
  // The root name ".", without labels.
  DnsName() = default;

  // Errc::bad_request if a label is empty or above 63 bytes, or the wire
  // form would exceed 255 bytes.
  static Result<DnsName> from_labels(std::vector<std::string> labels);

  // The presentation form (RFC 1035 §5.1): labels separated by dots, an
  // optional final dot; "." and "" are the root. "\." is a dot inside a
  // label, "\\" a backslash and "\DDD" the byte of decimal value DDD.
  // Errc::bad_request for an empty label, a bad escape or the limits above.
  static Result<DnsName> parse(std::string_view text);

  const std::vector<std::string>& labels() const { return labels_; }
  bool is_root() const { return labels_.empty(); }

  // The uncompressed wire form as spelled, and its size (1 for the root).
  Bytes wire() const;
  size_t wire_size() const;

  // The inverse of parse(), without a final dot: dots and backslashes in a
  // label are escaped, as are control bytes (as \DDD); spaces and UTF-8 are
  // kept, so an instance name reads as itself in logs.
  std::string to_string() const;

  // `label` followed by this name. Errc::bad_request as from_labels().
  Result<DnsName> prepend(std::string_view label) const;
  // This name without its first label; the root's parent is the root.
  DnsName parent() const;
  // Whether this name is `suffix` or lies below it (case-insensitive).
  bool ends_with(const DnsName& suffix) const;

  // ASCII-case-insensitive, as DNS compares names.
  friend bool operator==(const DnsName& a, const DnsName& b);
  // Byte for byte, case included.
  bool same_spelling(const DnsName& other) const { return labels_ == other.labels_; }

 private:
  std::vector<std::string> labels_;
};

// Hashes consistently with operator== (case-folded), for unordered containers.
struct DnsNameHash {
  size_t operator()(const DnsName& name) const;
};

// Reads the name that starts at `offset` in the message `packet`, following
// compression pointers. The name's own bytes (up to its root byte or first
// pointer) must end before `limit`: the end of the packet, or of the rdata
// that holds the name. On success `offset` moves past those bytes; on error
// it is unchanged and the error is Errc::protocol_error.
//
// Each pointer must point before the start of the run of labels it ends, and
// that earlier run must end before the later one starts. An encoder can only
// point at what it has already written, so this costs nothing real, and it
// makes every name a strictly backward walk: no loop can be built.
Result<DnsName> read_dns_name(ByteView packet, size_t& offset, size_t limit);

// Writes names into a message being built, replacing the longest tail that
// was already written with a pointer to it (RFC 1035 §4.1.4). Tails match
// byte for byte, case included, so every name reads back as it was spelled.
// Pointers reach the first 16 KiB of a message (14-bit offsets).
class DnsNameWriter {
 public:
  // Appends `name` to `message`, whose byte 0 is the first header byte.
  void write(Bytes& message, const DnsName& name);
  // Forgets every tail written at or after offset `size`. Call after
  // truncating the message to `size`, e.g. to drop a record that does not fit.
  void rollback(size_t size);

 private:
  using Tails = std::map<std::string, uint16_t, std::less<>>;
  Tails tails_;                                      // uncompressed tail -> offset
  std::vector<std::pair<size_t, Tails::iterator>> order_;  // the same, by offset
};

}  // namespace peernet
