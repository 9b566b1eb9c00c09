// Shared by the mDNS responder and browser tests.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "proto/dns/dns.hpp"
#include "proto/dns/mdns.hpp"
#include "proto/rng.hpp"

namespace peernet::testing {

// Deterministic "randomness": 0, 1, 2, ... per byte.
class CountingRng : public Rng {
 public:
  void fill(std::span<uint8_t> out) override {
    for (uint8_t& b : out) b = next_++;
  }

 private:
  uint8_t next_ = 0;
};

inline DnsName name(std::string_view text) { return DnsName::parse(text).value(); }

inline DnsMessage parsed(const MdnsDatagram& d) {
  auto m = parse_dns(d.data);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : DnsMessage{};
}

inline const MdnsSource kPeerSource{"198.18.0.2", kMdnsPort};

}  // namespace peernet::testing
