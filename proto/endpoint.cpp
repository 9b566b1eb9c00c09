#include "proto/endpoint.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <charconv>

#include "proto/text.hpp"

namespace peernet {
namespace {

bool is_ipv4_literal(const std::string& s) {
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6_literal(std::string_view s) {
  std::string addr(s.substr(0, s.find('%')));
  in6_addr a;
  return inet_pton(AF_INET6, addr.c_str(), &a) == 1;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// RFC 1123 host names, plus '_' which appears in real /etc/hosts files.
// An all-numeric dotted name must be a valid IPv4 address: "198.18.0.300"
// is a typo, not a host name.
std::string check_host(std::string_view host) {
  if (host.size() > 253) return "host name longer than 253 characters";
  bool numeric = std::all_of(host.begin(), host.end(),
                             [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (numeric) return is_ipv4_literal(std::string(host)) ? "" : "not a valid IPv4 address";
  size_t start = 0;
  while (start <= host.size()) {
    size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    std::string_view label = host.substr(start, end - start);
    if (label.empty()) return "empty label in host name";
    if (label.size() > 63) return "host name label longer than 63 characters";
    if (!std::all_of(label.begin(), label.end(), is_name_char))
      return "invalid character in host name";
    if (label.front() == '-' || label.back() == '-') return "host name label starts or ends with '-'";
    start = end + 1;
  }
  return "";
}

std::string check_ipv6(std::string_view host) {
  if (!is_ipv6_literal(host)) return "not a valid IPv6 address";
  size_t pct = host.find('%');
  if (pct == std::string_view::npos) return "";
  std::string_view scope = host.substr(pct + 1);
  if (scope.empty() || scope.size() >= IF_NAMESIZE ||
      !std::all_of(scope.begin(), scope.end(), [](char c) { return is_name_char(c) || c == '.'; }))
    return "invalid IPv6 scope (expected an interface name such as %eth0)";
  return "";
}

}  // namespace

Result<Endpoint> Endpoint::parse(std::string_view text, EndpointUse use) {
  auto fail = [&](std::string_view what) {
    return make_error(Errc::bad_request, "address " + quote(text) + ": " + std::string(what));
  };
  if (text.empty()) return fail("empty (expected HOST:PORT)");

  Endpoint ep;
  std::string_view port_text;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("'[' without a closing ']'");
    std::string_view host = text.substr(1, close - 1);
    if (host.empty()) return fail("empty IPv6 address between brackets");
    if (auto why = check_ipv6(host); !why.empty()) return fail(why);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return fail("missing port (expected [IPV6]:PORT)");
    ep.host = std::string(host);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("missing port (expected HOST:PORT)");
    std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      return fail("an IPv6 address must be in brackets, as in [fe80::1]:7469");
    if (host.empty()) return fail("missing host (expected HOST:PORT)");
    if (auto why = check_host(host); !why.empty()) return fail(why);
    ep.host = std::string(host);
    port_text = text.substr(colon + 1);
  }

  if (port_text.empty()) return fail("missing port number after ':'");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port_text.size() > 5 ||
      value > 65535)
    return fail("port must be a number from 1 to 65535");
  if (value == 0 && use != EndpointUse::listen)
    return fail("port 0 is only meaningful for listening (use 1 to 65535)");
  ep.port = static_cast<uint16_t>(value);
  return ep;
}

std::string Endpoint::to_string() const {
  std::string s;
  if (host.find(':') != std::string::npos)
    s = "[" + host + "]";
  else
    s = host;
  s += ':';
  s += std::to_string(port);
  return s;
}

bool Endpoint::is_numeric() const {
  if (host.find(':') != std::string::npos) return is_ipv6_literal(host);
  return is_ipv4_literal(host);
}

Endpoint Endpoint::normalized() const {
  constexpr std::string_view kMapped = "::ffff:";
  if (host.size() > kMapped.size()) {
    bool mapped = true;
    for (size_t i = 0; i < kMapped.size(); ++i)
      if (static_cast<char>(host[i] | 0x20) != (kMapped[i] | 0x20)) mapped = false;
    std::string v4 = host.substr(kMapped.size());
    if (mapped && is_ipv4_literal(v4)) return Endpoint{std::move(v4), port};
  }
  return *this;
}

}  // namespace peernet
