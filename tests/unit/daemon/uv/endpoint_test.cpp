#include "proto/endpoint.hpp"

#include <gtest/gtest.h>

#include "uv/sock_addr.hpp"

namespace peernet {
namespace {

Endpoint ok(std::string_view text, EndpointUse use = EndpointUse::connect) {
  auto ep = Endpoint::parse(text, use);
  EXPECT_TRUE(ep.ok()) << text << ": " << ep.error().describe();
  return ep.ok() ? *ep : Endpoint{};
}

std::string bad(std::string_view text, EndpointUse use = EndpointUse::connect) {
  auto ep = Endpoint::parse(text, use);
  EXPECT_FALSE(ep.ok()) << text << " parsed as " << ep->to_string();
  if (ep.ok()) return "";
  EXPECT_EQ(ep.error().code, Errc::bad_request);
  return ep.error().message;
}

TEST(Endpoint, ParsesEveryForm) {
  EXPECT_EQ(ok("198.18.0.1:7469"), (Endpoint{"198.18.0.1", 7469}));
  EXPECT_EQ(ok("[fe80::1%eth0]:7469"), (Endpoint{"fe80::1%eth0", 7469}));
  EXPECT_EQ(ok("[::]:7469"), (Endpoint{"::", 7469}));
  EXPECT_EQ(ok("host.example:7469"), (Endpoint{"host.example", 7469}));
  EXPECT_EQ(ok("localhost:1"), (Endpoint{"localhost", 1}));
  EXPECT_EQ(ok("[::1]:65535"), (Endpoint{"::1", 65535}));
}

TEST(Endpoint, ToStringRoundTrips) {
  for (std::string_view text : {"198.18.0.1:7469", "[fe80::1%eth0]:7469", "[::]:1", "a-b.example:80"}) {
    EXPECT_EQ(ok(text).to_string(), text);
  }
}

TEST(Endpoint, PortZeroOnlyForListening) {
  EXPECT_EQ(ok("[::]:0", EndpointUse::listen).port, 0);
  EXPECT_NE(bad("[::]:0").find("only meaningful for listening"), std::string::npos);
}

TEST(Endpoint, ErrorsSayWhatIsWrong) {
  EXPECT_NE(bad("").find("empty"), std::string::npos);
  EXPECT_NE(bad("198.18.0.1").find("missing port"), std::string::npos);
  EXPECT_NE(bad("198.18.0.1:").find("missing port"), std::string::npos);
  EXPECT_NE(bad("fe80::1:7469").find("must be in brackets"), std::string::npos);
  EXPECT_NE(bad("[fe80::1:7469").find("closing ']'"), std::string::npos);
  EXPECT_NE(bad("[fe80::1]7469").find("missing port"), std::string::npos);
  EXPECT_NE(bad("[zz::1]:7469").find("not a valid IPv6"), std::string::npos);
  EXPECT_NE(bad("[fe80::1%]:7469").find("scope"), std::string::npos);
  EXPECT_NE(bad("198.18.0.300:7469").find("not a valid IPv4"), std::string::npos);
  EXPECT_NE(bad("host:65536").find("1 to 65535"), std::string::npos);
  EXPECT_NE(bad("host:-1").find("1 to 65535"), std::string::npos);
  EXPECT_NE(bad("host:80x").find("1 to 65535"), std::string::npos);
  EXPECT_NE(bad(":7469").find("missing host"), std::string::npos);
  EXPECT_NE(bad("bad host:1").find("invalid character"), std::string::npos);
  EXPECT_NE(bad("-lead.example:1").find("starts or ends"), std::string::npos);
  EXPECT_NE(bad("a..b:1").find("empty label"), std::string::npos);
  // The offending text is quoted and control characters are escaped.
  EXPECT_NE(bad("x\ny").find("\"x\\x0ay\""), std::string::npos);
}

TEST(Endpoint, NumericOrName) {
  EXPECT_TRUE(ok("198.18.0.1:1").is_numeric());
  EXPECT_TRUE(ok("[::]:1").is_numeric());
  EXPECT_TRUE(ok("[fe80::1%eth0]:1").is_numeric());
  EXPECT_FALSE(ok("host.example:1").is_numeric());
}

TEST(SockAddr, FromIpLiterals) {
  auto v4 = SockAddr::from_ip("198.18.0.1", 7469);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->to_string(), "198.18.0.1:7469");
  auto v6 = SockAddr::from_ip("::1", 1);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->to_string(), "[::1]:1");
  auto scoped = SockAddr::from_ip("fe80::1%lo", 2);
  ASSERT_TRUE(scoped.ok()) << scoped.error().describe();
  EXPECT_EQ(scoped->to_string(), "[fe80::1%lo]:2");
  EXPECT_EQ(scoped->to_endpoint(), (Endpoint{"fe80::1%lo", 2}));
}

TEST(SockAddr, RefusesNamesAndUnknownInterfaces) {
  EXPECT_FALSE(SockAddr::from_ip("localhost", 1).ok());
  auto e = SockAddr::from_ip("fe80::1%nosuchif0", 1);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("no network interface"), std::string::npos);
}

// One form per address: what a dual-stack socket reports for an IPv4 peer
// is that IPv4 address, so that the same peer seen both ways is listed once.
TEST(Endpoint, NormalizedMapsIpv4MappedToIpv4) {
  EXPECT_EQ(ok("[::ffff:198.18.0.2]:7469").normalized(), ok("198.18.0.2:7469"));
  EXPECT_EQ(ok("[::FFFF:198.18.0.2]:7469").normalized().to_string(), "198.18.0.2:7469");
  EXPECT_EQ(ok("[::ffff:127.0.0.1]:1").normalized().to_string(), "127.0.0.1:1");
  // Everything else stays as it is.
  EXPECT_EQ(ok("198.18.0.2:7469").normalized().to_string(), "198.18.0.2:7469");
  EXPECT_EQ(ok("[fd00::1]:7469").normalized().to_string(), "[fd00::1]:7469");
  EXPECT_EQ(ok("[::1]:7469").normalized().to_string(), "[::1]:7469");
  EXPECT_EQ(ok("[::ffff:c612:2]:7469").normalized().to_string(), "[::ffff:c612:2]:7469");
  EXPECT_EQ(ok("host.example:7469").normalized().to_string(), "host.example:7469");
  // From a socket address, as sessions see their remote.
  auto sa = SockAddr::from_ip("::ffff:198.18.0.2", 60982);
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->to_endpoint().normalized().to_string(), "198.18.0.2:60982");
}

}  // namespace
}  // namespace peernet
