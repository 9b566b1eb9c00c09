// The trust list: pair (alias trust), untrust, list.
//
//   pair ID [--name ALIAS] [--addr HOST:PORT]...   trust.add (admin)
//       --json  {"id": "<peer id>"}
//   untrust PEER                                    trust.remove (admin)
//       --json  {}
//   list                                            trust.list
//       --json  [{"id": "<peer id>", "name": "laptop" | null, "addrs": ["host:port", …]}, …]
//
// pair checks the id's check characters before asking the daemon, so that a
// typo is reported with its position (exit code 2) even without a daemon.
// Without --name or --addr, pairing a peer that is already trusted keeps its
// alias and addresses.
#include <memory>

#include "cli.hpp"
#include "proto/peer_id.hpp"
#include "table.hpp"

namespace peernet::ctl {
namespace {

nlohmann::ordered_json name_json(const std::optional<std::string>& name) {
  return name ? nlohmann::ordered_json(*name) : nlohmann::ordered_json(nullptr);
}

}  // namespace

Handler define_pair(CLI::App& sub) {
  struct Options {
    std::string id, name;
    std::vector<std::string> addrs;
  };
  auto o = std::make_shared<Options>();
  sub.add_option("ID", o->id, "The peer's id, as `peernetctl id` prints it there")->required();
  sub.add_option("--name", o->name, "An alias to name the peer by");
  sub.add_option("--addr", o->addrs, "A static address HOST:PORT to dial (repeatable)");
  return [o](const Globals& g, Io& io) {
    auto id = parse_peer_id(o->id);
    if (!id) return report(g, io, id.error());
    control::TrustAddParams p;
    p.id = *id;
    if (!o->name.empty()) p.name = o->name;
    if (!o->addrs.empty()) p.addrs = o->addrs;

    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->request<control::method::TrustAdd>(p);
    if (!r) return report(g, io, r.error());
    if (g.json) {
      print_json(io, {{"id", peer_id_text(r->id)}});
    } else {
      io.out << "trusted " << peer_id_text(r->id);
      if (p.name) io.out << " as " << *p.name;
      io.out << '\n';
    }
    return 0;
  };
}

Handler define_untrust(CLI::App& sub) {
  auto peer = std::make_shared<std::string>();
  sub.add_option("PEER", *peer, "Peer id, unique prefix or alias")->required();
  return [peer](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    if (auto st = client->request<control::method::TrustRemove>({*peer}); !st) return report(g, io, st.error());
    if (g.json)
      print_json(io, nlohmann::ordered_json::object());
    else
      io.out << "no longer trusting " << *peer << '\n';
    return 0;
  };
}

Handler define_list(CLI::App&) {
  return [](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto list = client->request<control::method::TrustList>({});
    if (!list) return report(g, io, list.error());
    if (g.json) {
      auto out = nlohmann::ordered_json::array();
      for (const auto& e : *list)
        out.push_back({{"id", peer_id_text(e.id)}, {"name", name_json(e.name)}, {"addrs", e.addrs}});
      print_json(io, out);
      return 0;
    }
    if (list->empty()) {
      io.out << "no trusted peers; pair one with: peernetctl pair ID --name ALIAS\n";
      return 0;
    }
    Table t({"NAME", "ID", "ADDRESSES"});
    for (const auto& e : *list) {
      std::string addrs;
      for (const auto& a : e.addrs) addrs += (addrs.empty() ? "" : ",") + a;
      t.add({e.name.value_or(""), peer_id_text(e.id), addrs});
    }
    t.print(io.out);
    return 0;
  };
}

}  // namespace peernet::ctl
