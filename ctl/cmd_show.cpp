// The operator's view of one peer and of the daemon: show, ping, metrics.
//
//   show PEER
//       Everything about one trusted peer: id, fingerprint, alias, host
//       name, state and since when, its addresses by origin (static,
//       learned, discovered), session, round trip, last handshake, last
//       close, and its counters.
//       --json  the control API's peer.show result, times as Unix seconds:
//               {"id", "fingerprint", "name", "host", "state", "since",
//                "addrs": {"static": [...], "learned": [...], "discovered": [...]},
//                "session": {"initiator", "remote"} | null, "rtt_ms", "last_seen",
//                "last_handshake", "last_close_reason", "last_close",
//                "counters": {"<name>": n, …}}
//   ping PEER [-c COUNT] [-i INTERVAL] [-W TIMEOUT]
//       Timed round trips (ping, pong) over the peer's session, like
//       `tailscale ping`: one line per reply, a summary at the end. Exit 0
//       when at least one pong came back; else the error's code (3 offline,
//       4 timeout, ...).
//       --json  one line per round trip {"seq", "rtt_ms", "remote"} or
//               {"seq", "error": {code, message}}, then {"sent", "received",
//               "min_ms", "avg_ms", "max_ms"}
//   metrics [--openmetrics]
//       The Prometheus text (or OpenMetrics) the metrics endpoint serves.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "exit_code.hpp"
#include "proto/peer_id.hpp"
#include "table.hpp"

namespace peernet::ctl {
namespace {

nlohmann::ordered_json opt_json(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json opt_json(const std::optional<std::string>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

std::string format_time(std::optional<double> unix_seconds) {
  if (!unix_seconds) return "never";
  return format_ago(unix_seconds);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "-" : out;
}

}  // namespace

Handler define_show(CLI::App& sub) {
  auto peer = std::make_shared<std::string>();
  sub.add_option("PEER", *peer, "Alias, peer id or unique id prefix")->required();
  return [peer](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->request<control::method::PeerShow>({*peer});
    if (!r) return report(g, io, r.error());
    nlohmann::ordered_json session = nullptr;
    if (r->session) session = {{"initiator", r->session->initiator}, {"remote", r->session->remote}};
    if (g.json) {
      print_json(io, {{"id", peer_id_text(r->id)},
                      {"fingerprint", r->fingerprint},
                      {"name", opt_json(r->name)},
                      {"host", opt_json(r->host)},
                      {"state", std::string(control::to_string(r->state))},
                      {"since", opt_json(r->since)},
                      {"addrs",
                       {{"static", r->addrs.static_addrs},
                        {"learned", r->addrs.learned},
                        {"discovered", r->addrs.discovered}}},
                      {"session", session},
                      {"rtt_ms", opt_json(r->rtt_ms)},
                      {"last_seen", opt_json(r->last_seen)},
                      {"last_handshake", opt_json(r->last_handshake)},
                      {"last_close_reason", opt_json(r->last_close_reason)},
                      {"last_close", opt_json(r->last_close)},
                      {"counters", r->counters}});
      return 0;
    }
    std::string state(control::to_string(r->state));
    if (r->since) state += " since " + format_ago(r->since);
    io.out << "name:           " << r->name.value_or("-") << '\n'
           << "id:             " << peer_id_text(r->id) << '\n'
           << "fingerprint:    " << r->fingerprint << '\n'
           << "host:           " << r->host.value_or("-") << '\n'
           << "state:          " << state << '\n'
           << "session:        "
           << (r->session ? r->session->remote + (r->session->initiator ? " (dialled)" : " (accepted)") : "-")
           << '\n'
           << "static addrs:   " << joined(r->addrs.static_addrs) << '\n'
           << "learned addrs:  " << joined(r->addrs.learned) << '\n'
           << "discovered:     " << joined(r->addrs.discovered) << '\n'
           << "rtt:            " << format_ms(r->rtt_ms) << '\n'
           << "last seen:      " << format_time(r->last_seen) << '\n'
           << "last handshake: " << format_time(r->last_handshake) << '\n'
           << "last close:     "
           << (r->last_close_reason ? *r->last_close_reason + " (" + format_time(r->last_close) + ")" : "-") << '\n'
           << "counters:\n";
    size_t width = 0;
    for (const auto& [name, _] : r->counters) width = std::max(width, name.size());
    for (const auto& [name, value] : r->counters)
      io.out << "  " << name << std::string(width - name.size() + 2, ' ') << value << '\n';
    return 0;
  };
}

Handler define_ping(CLI::App& sub) {
  struct Options {
    std::string peer;
    uint64_t count = 4;
    double interval = 1;
    double timeout = 5;
  };
  auto o = std::make_shared<Options>();
  sub.add_option("PEER", o->peer, "Alias, peer id or unique id prefix")->required();
  sub.add_option("-c,--count", o->count, "Round trips to make (default 4)")->check(CLI::Range(1, 1000000));
  sub.add_option("-i,--interval", o->interval, "Seconds between round trips (default 1)")
      ->check(CLI::Range(0.0, 3600.0));
  sub.add_option("-W,--timeout", o->timeout, "Seconds to wait for each pong (default 5, at most 60)")
      ->check(CLI::Range(0.001, 60.0));
  return [o](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    // The peer's name for the lines: its alias, else its id's first group.
    std::string who = o->peer;
    std::string fp;
    if (auto shown = client->request<control::method::PeerShow>({o->peer})) {
      who = shown->name.value_or(peer_id_text(shown->id).substr(0, 7));
      fp = shown->fingerprint;
    } else {
      return report(g, io, shown.error());
    }
    uint64_t received = 0;
    double min_ms = INFINITY, max_ms = 0, sum_ms = 0;
    std::optional<Error> last_error;
    for (uint64_t seq = 1; seq <= o->count; ++seq) {
      auto r = client->request<control::method::PeerPing>({o->peer, o->timeout});
      if (r) {
        ++received;
        min_ms = std::min(min_ms, r->rtt_ms);
        max_ms = std::max(max_ms, r->rtt_ms);
        sum_ms += r->rtt_ms;
        if (g.json)
          print_json(io, {{"seq", seq}, {"rtt_ms", r->rtt_ms}, {"remote", r->remote}});
        else
          io.out << "pong from " << who << " (" << fp << ") via " << r->remote << " in "
                 << format_ms(r->rtt_ms) << '\n'
                 << std::flush;
      } else {
        last_error = r.error();
        if (g.json)
          print_json(io, {{"seq", seq},
                          {"error", {{"code", std::string(to_string(r.error().code))}, {"message", r.error().message}}}});
        else
          io.err << "no pong from " << who << ": " << r.error().message << " (" << to_string(r.error().code) << ")\n"
                 << std::flush;
        // Offline or gone: further attempts cannot do better.
        if (r.error().code != Errc::timeout && r.error().code != Errc::busy) break;
      }
      if (seq < o->count && o->interval > 0)
        std::this_thread::sleep_for(std::chrono::duration<double>(o->interval));
    }
    if (g.json) {
      nlohmann::ordered_json summary = {{"sent", o->count}, {"received", received}};
      summary["min_ms"] = received ? nlohmann::ordered_json(min_ms) : nlohmann::ordered_json(nullptr);
      summary["avg_ms"] = received ? nlohmann::ordered_json(sum_ms / static_cast<double>(received))
                                   : nlohmann::ordered_json(nullptr);
      summary["max_ms"] = received ? nlohmann::ordered_json(max_ms) : nlohmann::ordered_json(nullptr);
      print_json(io, summary);
    } else {
      io.out << "--- " << who << " ping statistics ---\n"
             << o->count << " round trips, " << received << " pongs";
      if (received)
        io.out << ", min/avg/max " << format_ms(min_ms) << " / " << format_ms(sum_ms / static_cast<double>(received))
               << " / " << format_ms(max_ms);
      io.out << '\n';
    }
    if (received > 0) return 0;
    return last_error ? exit_code(last_error->code) : 1;
  };
}

Handler define_metrics(CLI::App& sub) {
  auto openmetrics = std::make_shared<bool>(false);
  sub.add_flag("--openmetrics", *openmetrics, "OpenMetrics 1.0 text (ends with # EOF) instead of Prometheus text");
  return [openmetrics](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->request<control::method::Metrics>({*openmetrics});
    if (!r) return report(g, io, r.error());
    io.out << r->text << std::flush;
    return 0;
  };
}

}  // namespace peernet::ctl
