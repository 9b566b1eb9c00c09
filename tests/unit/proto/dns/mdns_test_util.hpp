// Shared by the mDNS responder and browser tests.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "proto/dns/dns.hpp"
#include "proto/dns/mdns.hpp"
#include "../../counting_rng.hpp"

namespace peernet::testing {

inline DnsName name(std::string_view text) { return DnsName::parse(text).value(); }

inline DnsMessage parsed(const MdnsDatagram& d) {
  auto m = parse_dns(d.data);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : DnsMessage{};
}

inline const MdnsSource kPeerSource{"198.18.0.2", kMdnsPort};

}  // namespace peernet::testing
