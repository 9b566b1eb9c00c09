// peernetctl status: the daemon's uptime, counts and counters.
//
//   --json  {"id": "<peer id>", "uptime_s": <s>, "sessions": n, "peers_online": n,
//            "peers_total": n, "handles": n, "counters": {"<name>": n, …}}
#include "cli.hpp"
#include "proto/peer_id.hpp"
#include "table.hpp"

namespace peernet::ctl {

Handler define_status(CLI::App&) {
  return [](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto s = client->request<control::method::Status>({});
    if (!s) return report(g, io, s.error());
    if (g.json) {
      print_json(io, {{"id", peer_id_text(s->id)},
                      {"uptime_s", s->uptime_s},
                      {"sessions", s->sessions},
                      {"peers_online", s->peers_online},
                      {"peers_total", s->peers_total},
                      {"handles", s->handles},
                      {"counters", s->counters}});
      return 0;
    }
    io.out << "peer id:   " << peer_id_text(s->id) << '\n'
           << "uptime:    " << format_duration(s->uptime_s) << '\n'
           << "peers:     " << s->peers_online << " online of " << s->peers_total << " trusted ("
           << s->sessions << " session" << (s->sessions == 1 ? "" : "s") << ")\n"
           << "handles:   " << s->handles << " exposed by local programs\n";
    if (!s->counters.empty()) {
      io.out << "counters:\n";
      size_t width = 0;
      for (const auto& [name, _] : s->counters) width = std::max(width, name.size());
      for (const auto& [name, value] : s->counters)
        io.out << "  " << name << std::string(width - name.size() + 2, ' ') << value << '\n';
    }
    return 0;
  };
}

}  // namespace peernet::ctl
