// Reading the firewall for `peernetctl doctor`: the rules that drop or
// reject a TCP or UDP destination port, from `nft -j list ruleset` (the
// JSON schema of libnftables-json(5)) or from `iptables-save` text. Pure
// functions over the text, so that tests feed them rulesets directly.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace peernet::ctl {

struct FirewallRule {
  std::string source;  // "nft" or "iptables-save"
  std::string table;   // "inet filter", "filter"
  std::string chain;
  std::string rule;    // the rule as text: "udp dport 5353 drop", "-A INPUT ... -j DROP"
};

// The rules of `ruleset` (the parsed output of nft -j list ruleset) that
// drop or reject `protocol` ("udp" or "tcp") packets to `port`: a match on
// <protocol> dport or th dport (a value, a set or a range covering `port`)
// followed by a drop or reject verdict. Other matches on the same rule
// (addresses, interfaces) narrow it but do not hide it. Anything that is
// not this shape is ignored.
std::vector<FirewallRule> nft_drops(const nlohmann::json& ruleset, std::string_view protocol, uint16_t port);

// The same from iptables-save or ip6tables-save output: "-A CHAIN ... -p
// <protocol> ... --dport(s) <port|a:b|list> ... -j DROP|REJECT".
std::vector<FirewallRule> iptables_drops(std::string_view save, std::string_view protocol, uint16_t port,
                                         std::string_view source = "iptables-save");

}  // namespace peernet::ctl
