// The trust list: pair (alias trust), untrust, list.
//
//   pair --code [--window DURATION] [--name ALIAS]  pair.open + pair.wait (admin)
//       prints a code for the other box, waits until it paired
//       --json  {"event": "code", "code": "417-k7hx2", "expires_in_s": 120}
//               {"event": "paired", "id": …, "name": …, "fingerprint": …}
//   pair --code CODE [--addr HOST:PORT] [--name ALIAS]  pair.join (admin)
//       --json  {"event": "paired", "id": …, "name": …, "fingerprint": …}
//   pair ID [--name ALIAS] [--addr HOST:PORT]...   trust.add (admin)
//       --json  {"id": "<peer id>", "fingerprint": …}
//   untrust PEER                                    trust.remove (admin)
//       --json  {}
//   list                                            trust.list
//       --json  [{"id": "<peer id>", "name": "laptop" | null, "addrs": ["host:port", …]}, …]
//
// pair checks the id's check characters before asking the daemon, so that a
// typo is reported with its position (exit code 2) even without a daemon.
// Without --name or --addr, pairing a peer that is already trusted keeps its
// alias and addresses.
#include <unistd.h>

#include <cctype>
#include <memory>

#include "cli.hpp"
#include "proto/pairing/code.hpp"
#include "proto/text.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"
#include "table.hpp"

namespace peernet::ctl {
namespace {

nlohmann::ordered_json name_json(const std::optional<std::string>& name) {
  return name ? nlohmann::ordered_json(*name) : nlohmann::ordered_json(nullptr);
}

}  // namespace

namespace {

void print_paired(const Globals& g, Io& io, const control::PairedResult& r) {
  if (g.json) {
    print_json(io, {{"event", "paired"}, {"id", peer_id_text(r.id)}, {"name", r.name}, {"fingerprint", r.fingerprint}});
    return;
  }
  io.out << "paired with \"" << r.name << "\" (fingerprint " << r.fingerprint << ")\n"
         << "  id " << peer_id_text(r.id) << '\n';
}

// pair --code: open a window, show the code, wait for the other box.
int pair_host(const Globals& g, Io& io, const std::string& window, const std::string& name) {
  control::PairOpenParams p;
  if (!window.empty()) {
    auto seconds = parse_duration(window);
    if (!seconds) return report(g, io, make_error(Errc::bad_request, "--window: " + seconds.error().message));
    p.window = *seconds;
  }
  if (!name.empty()) p.name = name;
  auto client = open_client(g);
  if (!client) return report(g, io, client.error());
  auto opened = client->request<control::method::PairOpen>(p);
  if (!opened) return report(g, io, opened.error());
  if (g.json) {
    print_json(io, {{"event", "code"}, {"code", opened->code}, {"expires_in_s", opened->expires_in_s}});
  } else {
    io.out << "pairing code: " << opened->code << "\n"
           << "on the other box, run:  peernetctl pair --code " << opened->code << "\n"
           << "waiting " << format_duration(opened->expires_in_s) << " for it ("
           << opened->attempts << " attempts)...\n";
  }
  io.out.flush();
  // The window's own deadline answers first; this only guards a daemon
  // that went silent.
  auto paired = client->request<control::method::PairWait>({}, Deadline::after(opened->expires_in_s + 30));
  if (!paired) return report(g, io, paired.error());
  print_paired(g, io, *paired);
  return 0;
}

// pair --code CODE: find the box with that window and pair with it.
int pair_join(const Globals& g, Io& io, const std::string& code, const std::string& addr, const std::string& name) {
  control::PairJoinParams p;
  p.code = code;
  if (!addr.empty()) p.addr = addr;
  if (!name.empty()) p.name = name;
  auto parsed = pairing::parse_code(code);  // a typo is reported without a daemon
  if (!parsed) return report(g, io, parsed.error());
  auto client = open_client(g);
  if (!client) return report(g, io, client.error());
  auto paired = client->request<control::method::PairJoin>(p, Deadline::after(120));
  if (!paired) return report(g, io, paired.error());
  print_paired(g, io, *paired);
  return 0;
}

// pair PREFIX: the untrusted peer `peers --all` lists under that prefix
// (discovered on the LAN, or refused when it connected: it wants to pair).
Result<control::PeerInfo> untrusted_by_prefix(Client& client, const std::string& prefix) {
  auto peers = client.request<control::method::Peers>({true});
  if (!peers) return peers.error();
  std::string want;
  for (char c : prefix)
    if (c != '-') want += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<control::PeerInfo> found;
  for (const auto& p : *peers) {
    if (p.trusted) continue;
    std::string id;
    for (char c : peer_id_text(p.id))
      if (c != '-') id += c;
    if (id.rfind(want, 0) == 0) found.push_back(p);
  }
  if (found.empty())
    return make_error(Errc::no_such_peer, "no untrusted peer seen with an id starting " + quote(prefix) +
                                              " (peernetctl peers --all lists them)");
  if (found.size() > 1)
    return make_error(Errc::ambiguous_peer, quote(prefix) + " matches " + std::to_string(found.size()) +
                                                " untrusted peers; give more of the id");
  return found.front();
}

// Asks on the terminal; false unless the answer starts with y.
bool confirmed(Io& io, const std::string& question) {
  io.err << question << " [y/N] " << std::flush;
  std::string line;
  char ch = 0;
  while (::read(io.in_fd, &ch, 1) == 1 && ch != '\n' && line.size() < 64) line += ch;
  return !line.empty() && (line[0] == 'y' || line[0] == 'Y');
}

}  // namespace

Handler define_pair(CLI::App& sub) {
  struct Options {
    std::string id, name, code, window;
    std::vector<std::string> addrs;
    bool yes = false;
  };
  auto o = std::make_shared<Options>();
  sub.add_option("ID", o->id, "The peer's id, as `peernetctl id` prints it there");
  auto* code = sub.add_option("--code", o->code,
                              "Pair by code: alone, open a pairing window and print its code; with the "
                              "code the other box printed, pair with that box")
                   ->expected(0, 1);
  sub.add_option("--window", o->window, "With --code alone: how long the window stays open (2m)");
  sub.add_flag("-y,--yes", o->yes, "With a prefix of an untrusted peer's id: pair without asking");
  sub.add_option("--name", o->name, "An alias to name the peer by (default with --code: its host name)");
  sub.add_option("--addr", o->addrs, "A static address HOST:PORT to dial (repeatable); with --code CODE, "
                                      "where the other box is when the LAN cannot find it");
  return [o, code](const Globals& g, Io& io) {
    if (code->count() > 0) {
      if (!o->id.empty())
        return report(g, io, make_error(Errc::bad_request, "pair: give an ID or --code, not both"));
      if (o->code.empty()) {
        if (!o->addrs.empty())
          return report(g, io, make_error(Errc::bad_request, "pair --code: --addr goes with --code CODE"));
        return pair_host(g, io, o->window, o->name);
      }
      if (!o->window.empty())
        return report(g, io, make_error(Errc::bad_request, "pair --code CODE: --window goes with --code alone"));
      if (o->addrs.size() > 1)
        return report(g, io, make_error(Errc::bad_request, "pair --code CODE: one --addr at most"));
      return pair_join(g, io, o->code, o->addrs.empty() ? std::string() : o->addrs[0], o->name);
    }
    if (o->id.empty())
      return report(g, io, make_error(Errc::bad_request,
                                      "pair: give the peer's ID, or --code to pair by a code (see peernetctl pair --help)"));
    std::vector<std::string> seen_at;
    // The URI `peernetctl id --qr` shows: peernet:ID?addr=HOST:PORT&addr=...
    if (o->id.rfind("peernet:", 0) == 0) {
      std::string rest = o->id.substr(8);
      std::string query;
      if (auto q = rest.find('?'); q != std::string::npos) {
        query = rest.substr(q + 1);
        rest.resize(q);
      }
      size_t at = 0;
      while (at < query.size()) {
        size_t end = query.find('&', at);
        std::string kv = query.substr(at, end == std::string::npos ? std::string::npos : end - at);
        if (kv.rfind("addr=", 0) == 0 && o->addrs.empty()) seen_at.push_back(kv.substr(5));
        if (end == std::string::npos) break;
        at = end + 1;
      }
      o->id = rest;
    }
    auto id = parse_peer_id(o->id);
    // Opened once: for the prefix lookup, if any, and for trust.add.
    std::optional<Client> client;
    if (!id && o->id.size() < 40) {
      // A prefix: one of the untrusted peers this daemon saw (peers --all).
      auto opened = open_client(g);
      if (!opened) return report(g, io, opened.error());
      client.emplace(std::move(*opened));
      auto peer = untrusted_by_prefix(*client, o->id);
      if (!peer) return report(g, io, peer.error());
      std::string what = peer->wants_to_pair ? "wants to pair" : "discovered";
      std::string desc = peer_id_text(peer->id) + "\n  fingerprint " + peer->fingerprint.value_or("?") +
                         (peer->host ? "\n  announced as " + quote(*peer->host) : std::string()) +
                         (peer->addrs.empty() ? std::string() : "\n  at " + peer->addrs.front()) + "\n  " + what;
      if (!o->yes) {
        if (::isatty(io.in_fd) == 0)
          return report(g, io, make_error(Errc::bad_request, "pair " + o->id + ": that is " +
                                                                 peer_id_text(peer->id) +
                                                                 "; add --yes to pair with it without asking"));
        if (!confirmed(io, "pair with " + desc + "\n?"))
          return report(g, io, make_error(Errc::cancelled, "not paired"));
      }
      id = peer->id;
      if (o->addrs.empty() && !peer->addrs.empty()) seen_at.push_back(peer->addrs.front());
    }
    if (!id) return report(g, io, id.error());
    control::TrustAddParams p;
    p.id = *id;
    if (!seen_at.empty()) p.addrs = seen_at;
    if (!o->name.empty()) p.name = o->name;
    if (!o->addrs.empty()) p.addrs = o->addrs;

    if (!client) {
      auto opened = open_client(g);
      if (!opened) return report(g, io, opened.error());
      client.emplace(std::move(*opened));
    }
    // What this changes for a peer trusted already, to say so.
    std::optional<control::TrustEntry> before;
    if (auto list = client->request<control::method::TrustList>({}))
      for (const auto& e : *list)
        if (e.id == p.id) before = e;
    auto r = client->request<control::method::TrustAdd>(p);
    if (!r) return report(g, io, r.error());
    if (g.json) {
      print_json(io, {{"id", peer_id_text(r->id)}, {"fingerprint", fingerprint(r->id)}});
    } else if (before) {
      // Paired before: say what changed, so that a rename is never silent.
      auto joined = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
        return s.empty() ? std::string("none") : s;
      };
      io.out << "already trusted: " << peer_id_text(r->id) << " (fingerprint " << fingerprint(r->id) << ")\n";
      bool changed = false;
      if (p.name && p.name != before->name) {
        io.out << "  alias " << before->name.value_or("(none)") << " -> " << *p.name << '\n';
        changed = true;
      }
      if (p.addrs && *p.addrs != before->addrs) {
        io.out << "  addresses " << joined(before->addrs) << " -> " << joined(*p.addrs) << '\n';
        changed = true;
      }
      if (!changed) io.out << "  nothing changed\n";
    } else {
      io.out << "trusted " << peer_id_text(r->id);
      if (p.name) io.out << " as " << *p.name;
      io.out << " (fingerprint " << fingerprint(r->id) << ")\n";
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
        out.push_back({{"id", peer_id_text(e.id)},
                       {"name", name_json(e.name)},
                       {"addrs", e.addrs},
                       {"fingerprint", fingerprint(e.id)}});
      print_json(io, out);
      return 0;
    }
    if (list->empty()) {
      io.out << "no trusted peers; pair one with: peernetctl pair --code\n";
      return 0;
    }
    Table t({"NAME", "ID", "FINGERPRINT", "ADDRESSES"});
    for (const auto& e : *list) {
      std::string addrs;
      for (const auto& a : e.addrs) addrs += (addrs.empty() ? "" : ",") + a;
      t.add({e.name.value_or(""), peer_id_text(e.id), fingerprint(e.id), addrs});
    }
    t.print(io.out);
    return 0;
  };
}

}  // namespace peernet::ctl
