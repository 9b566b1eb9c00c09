#include "firewall.hpp"

#include <sstream>

namespace peernet::ctl {
namespace {

using json = nlohmann::json;

// Whether the right-hand side of a match covers `port`.
bool covers(const json& right, uint16_t port) {
  if (right.is_number_unsigned() || right.is_number_integer()) return right.get<int64_t>() == port;
  if (right.is_object() && right.contains("set")) {
    for (const json& e : right["set"])
      if (covers(e, port)) return true;
    return false;
  }
  if (right.is_object() && right.contains("range")) {
    const json& r = right["range"];
    return r.is_array() && r.size() == 2 && r[0].is_number() && r[1].is_number() &&
           r[0].get<int64_t>() <= port && port <= r[1].get<int64_t>();
  }
  return false;
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  if (v.is_object() && v.contains("set")) {
    std::string out = "{ ";
    bool first = true;
    for (const json& e : v["set"]) {
      out += (first ? "" : ", ") + text_of(e);
      first = false;
    }
    return out + " }";
  }
  if (v.is_object() && v.contains("range") && v["range"].is_array() && v["range"].size() == 2)
    return text_of(v["range"][0]) + "-" + text_of(v["range"][1]);
  if (v.is_object() && v.contains("payload")) {
    const json& p = v["payload"];
    return p.value("protocol", std::string("?")) + " " + p.value("field", std::string("?"));
  }
  if (v.is_object() && v.contains("prefix"))
    return text_of(v["prefix"].value("addr", json())) + "/" + text_of(v["prefix"].value("len", json()));
  if (v.is_object() && v.contains("meta")) return "meta " + v["meta"].value("key", std::string("?"));
  return v.dump();
}

// The rule's expressions as nft would print them, roughly.
std::string rule_text(const json& expr) {
  std::string out;
  for (const json& e : expr) {
    if (!e.is_object() || e.empty()) continue;
    std::string part;
    if (e.contains("match")) {
      const json& m = e["match"];
      std::string op = m.value("op", std::string("=="));
      part = text_of(m.value("left", json())) + (op == "==" || op == "in" ? " " : " " + op + " ") +
             text_of(m.value("right", json()));
    } else {
      part = e.begin().key();
      const json& arg = e.begin().value();
      if (arg.is_string() || arg.is_number()) part += " " + text_of(arg);
    }
    out += (out.empty() ? "" : " ") + part;
  }
  return out;
}

}  // namespace

std::vector<FirewallRule> nft_drops(const json& ruleset, std::string_view protocol, uint16_t port) {
  std::vector<FirewallRule> out;
  if (!ruleset.is_object() || !ruleset.contains("nftables") || !ruleset["nftables"].is_array()) return out;
  for (const json& item : ruleset["nftables"]) {
    if (!item.is_object() || !item.contains("rule")) continue;
    const json& rule = item["rule"];
    if (!rule.is_object() || !rule.contains("expr") || !rule["expr"].is_array()) continue;
    // A value of an unexpected type (json::type_error) makes the rule one
    // this reader does not understand: skipped, like any other shape.
    try {
      bool port_match = false, l4_other = false, verdict = false;
      for (const json& e : rule["expr"]) {
        if (!e.is_object()) continue;
        if (e.contains("drop") || e.contains("reject")) verdict = true;
        if (!e.contains("match")) continue;
        const json& m = e["match"];
        if (!m.is_object()) continue;
        std::string op = m.value("op", std::string("=="));
        if (op != "==" && op != "in") continue;
        const json& left = m.value("left", json());
        const json& right = m.value("right", json());
        if (left.is_object() && left.contains("payload")) {
          const json& p = left["payload"];
          std::string proto = p.value("protocol", std::string());
          if (p.value("field", std::string()) == "dport" && (proto == protocol || proto == "th") && covers(right, port))
            port_match = true;
        }
        if (left.is_object() && left.contains("meta") && left["meta"].value("key", std::string()) == "l4proto" &&
            right.is_string() && right.get<std::string>() != protocol)
          l4_other = true;
      }
      if (!port_match || l4_other || !verdict) continue;
      out.push_back({"nft", rule.value("family", std::string()) + " " + rule.value("table", std::string()),
                     rule.value("chain", std::string()), rule_text(rule["expr"])});
    } catch (const json::exception&) {
    }
  }
  return out;
}

std::vector<FirewallRule> iptables_drops(std::string_view save, std::string_view protocol, uint16_t port,
                                         std::string_view source) {
  std::vector<FirewallRule> out;
  std::string table;
  std::istringstream in{std::string(save)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("*")) {
      table = line.substr(1);
      continue;
    }
    if (!line.starts_with("-A ")) continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    std::string chain = w.size() > 1 ? w[1] : "";
    bool proto_ok = false, port_ok = false, verdict = false;
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      const std::string& k = w[i];
      const std::string& v = w[i + 1];
      if (k == "-p" || k == "--protocol") proto_ok = v == protocol;
      if (k == "-j" || k == "--jump") verdict = v == "DROP" || v == "REJECT";
      if (k == "--dport" || k == "--destination-port" || k == "--dports") {
        std::istringstream items(v);
        for (std::string item; std::getline(items, item, ',');) {
          auto colon = item.find(':');
          try {
            if (colon == std::string::npos) {
              if (std::stoul(item) == port) port_ok = true;
            } else if (std::stoul(item.substr(0, colon)) <= port && port <= std::stoul(item.substr(colon + 1))) {
              port_ok = true;
            }
          } catch (const std::exception&) {
          }
        }
      }
    }
    if (proto_ok && port_ok && verdict) out.push_back({std::string(source), table, chain, line});
  }
  return out;
}

}  // namespace peernet::ctl
