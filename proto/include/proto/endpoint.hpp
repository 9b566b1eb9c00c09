// A host and a port, as written in the config, the trust list and on the
// command line: "198.18.0.1:7469", "[fe80::1%eth0]:7469", "[::]:7469",
// "host.example:7469". IPv6 addresses are always bracketed, so the last ':'
// outside brackets is never ambiguous.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace peernet {

// Where an endpoint is used decides whether port 0 is meaningful: a listener
// may ask the kernel for any free port, a dialler may not.
enum class EndpointUse { connect, listen };

struct Endpoint {
  std::string host;  // IPv4 dotted quad, IPv6 without brackets (may carry %scope), or DNS name
  uint16_t port = 0;

  // Errc::bad_request with a message that names the text and what is wrong.
  static Result<Endpoint> parse(std::string_view text, EndpointUse use = EndpointUse::connect);
  // Inverse of parse: IPv6 hosts are bracketed.
  std::string to_string() const;
  // True for an IPv4 or IPv6 literal (an IPv6 scope is not checked against
  // the interfaces of this machine); false for a DNS name.
  bool is_numeric() const;
  // The one form an address is shown and compared in: an IPv4-mapped IPv6
  // host ("::ffff:198.18.0.2", as a dual-stack socket reports an IPv4
  // peer) becomes the IPv4 address ("198.18.0.2"); anything else is
  // returned unchanged.
  Endpoint normalized() const;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace peernet
