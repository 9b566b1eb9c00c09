// peernetctl peers [--all]: every trusted peer and its connection state;
// with --all also peers discovered on the network that are not trusted.
//
//   --json  [{"id": "<peer id>", "name": "laptop" | null,
//             "state": "online" | "connecting" | "offline", "trusted": true,
//             "addrs": ["host:port", …], "last_seen": <unix s> | null,
//             "rtt_ms": <ms> | null, "since": <unix s> | null,
//             "session": {"initiator": bool, "remote": "host:port"} | null,
//             "fingerprint": "xxxx-xxxx-xxxx-xxxx", "last_error": "untrusted_peer"
//             (only when set), "host": str and "wants_to_pair": <unix s>
//             (untrusted peers, only when known)}, …]
//   An unknown peer (a private mDNS announcement no trusted key made,
//   protocol.md §11.4) has "id": null and "fingerprint": null; the table
//   shows its ID as "unknown", its NAME as the instance it announced.
//
// The table shows the id's first group, which is enough to name the peer on
// the command line (a unique prefix); --json has the full id.
#include <memory>

#include "cli.hpp"
#include "proto/peer_id.hpp"
#include "table.hpp"

namespace peernet::ctl {
namespace {

nlohmann::ordered_json opt_json(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json peer_json(const control::PeerInfo& p) {
  nlohmann::ordered_json session = nullptr;
  if (p.session) session = {{"initiator", p.session->initiator}, {"remote", p.session->remote}};
  // A zero id: an unknown peer of a private mDNS announcement (no id known).
  nlohmann::ordered_json out = {{"id", p.id == PublicKey{} ? nlohmann::ordered_json(nullptr)
                                                           : nlohmann::ordered_json(peer_id_text(p.id))},
          {"name", p.name ? nlohmann::ordered_json(*p.name) : nlohmann::ordered_json(nullptr)},
          {"state", std::string(control::to_string(p.state))},
          {"trusted", p.trusted},
          {"addrs", p.addrs},
          {"last_seen", opt_json(p.last_seen)},
          {"rtt_ms", opt_json(p.rtt_ms)},
          {"since", opt_json(p.since)},
          {"session", session},
          {"fingerprint", p.fingerprint ? nlohmann::ordered_json(*p.fingerprint) : nlohmann::ordered_json(nullptr)}};
  if (p.last_error) out["last_error"] = *p.last_error;
  if (p.host) out["host"] = *p.host;
  if (p.wants_to_pair) out["wants_to_pair"] = *p.wants_to_pair;
  return out;
}

// The STATE column: for a peer that is not online, why, when known.
std::string state_text(const control::PeerInfo& p) {
  if (!p.trusted) return p.wants_to_pair ? "wants to pair" : "discovered";
  std::string s(control::to_string(p.state));
  if (p.state == PeerState::offline && p.last_error == std::string("untrusted_peer")) s += " (not trusted by peer)";
  return s;
}

}  // namespace

Handler define_peers(CLI::App& sub) {
  auto all = std::make_shared<bool>(false);
  sub.add_flag("-a,--all", *all, "Also list discovered peers that are not trusted");
  return [all](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto peers = client->request<control::method::Peers>({*all});
    if (!peers) return report(g, io, peers.error());
    if (g.json) {
      auto out = nlohmann::ordered_json::array();
      for (const auto& p : *peers) out.push_back(peer_json(p));
      print_json(io, out);
      return 0;
    }
    if (peers->empty()) {
      io.out << (*all ? "no peers known\n" : "no trusted peers; pair one with: peernetctl pair ID\n");
      return 0;
    }
    std::vector<std::string> header{"NAME", "ID", "STATE", "SINCE", "RTT", "LAST SEEN", "ADDRESS", "FINGERPRINT"};
    if (*all) header.insert(header.begin() + 2, "TRUSTED");
    Table t(header);
    for (const auto& p : *peers) {
      std::string addr = p.session ? p.session->remote : (p.addrs.empty() ? "" : p.addrs.front());
      // An untrusted peer has no alias: show the name it announces.
      std::string name = p.name.value_or(p.host.value_or(""));
      std::string since = p.since ? format_ago(p.since) : "";
      std::vector<std::string> row{name,
                                   p.id == PublicKey{} ? std::string("unknown") : peer_id_text(p.id).substr(0, 7),
                                   state_text(p),
                                   since,
                                   format_ms(p.rtt_ms),
                                   format_ago(p.last_seen),
                                   addr,
                                   p.fingerprint.value_or("")};
      if (*all) row.insert(row.begin() + 2, p.trusted ? "yes" : "no");
      t.add(row);
    }
    t.print(io.out);
    return 0;
  };
}

}  // namespace peernet::ctl
