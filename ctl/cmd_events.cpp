// peernetctl events [--event NAME]... [--count N]: the daemon's peer events
// as they happen, one line each, stamped with the time peernetctl received
// them, until the daemon goes away (exit 8) or --count events were printed.
//
// Human output, one line per event:
//   2026-12-06T07:41:02.118Z peer.up          bee (4b28-0ea6-615e-8ec2)
//   2026-12-06T07:41:09.530Z peer.down        bee (4b28-0ea6-615e-8ec2): timeout (no answer to pings)
//   2026-12-06T07:41:10.002Z peer.connecting  bee (4b28-0ea6-615e-8ec2) at 127.0.0.1:7472
//   2026-12-06T07:42:00.310Z peer.wants_to_pair UIH2…5WQA (9c1e-…) at 198.18.0.3:7469: not trusted, …
// An untrusted peer has no alias: its short id stands in for it.
//
// --json, one object per line, always with these keys (null when the event
// has no such value):
//   {"ts": "<RFC 3339 UTC, milliseconds>", "event": "peer.up" | "peer.down" |
//    "peer.connecting" | "peer.discovered" | "peer.wants_to_pair", "id": "<peer id>",
//    "fingerprint": "xxxx-xxxx-xxxx-xxxx", "name": "bee" | null,
//    "addrs": ["host:port", …] | null, "reason": "timeout" | null,
//    "message": "…" | null}
// Newer daemons may add events and keys; a reader ignores what it does not
// know.
#include <time.h>

#include <chrono>
#include <memory>

#include "cli.hpp"
#include "exit_code.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {
namespace {

struct EventsOptions {
  std::vector<std::string> events;  // empty: every event
  uint64_t count = 0;               // 0: no limit
};

// Now as RFC 3339 UTC with milliseconds: 2026-12-06T07:41:02.118Z.
std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  ::gmtime_r(&secs, &tm);
  char buf[40];
  ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  ::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

nlohmann::ordered_json or_null(const auto& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

void print_event(Io& io, bool json, const control::PeerEvent& e) {
  std::string ts = timestamp();
  std::string kind(control::to_string(e.kind));
  std::string fp = e.fingerprint.value_or(fingerprint(e.id));
  if (json) {
    print_json(io, {{"ts", ts},
                    {"event", kind},
                    {"id", peer_id_text(e.id)},
                    {"fingerprint", fp},
                    {"name", or_null(e.name)},
                    {"addrs", or_null(e.addrs)},
                    {"reason", or_null(e.reason)},
                    {"message", or_null(e.message)}});
    return;
  }
  std::string line = ts + " " + kind + std::string(kind.size() < 16 ? 17 - kind.size() : 1, ' ') +
                     e.name.value_or(short_peer_id(e.id)) + " (" + fp + ")";
  if (e.addrs && !e.addrs->empty()) {
    line += " at ";
    for (size_t i = 0; i < e.addrs->size(); ++i) line += (i ? ", " : "") + (*e.addrs)[i];
  }
  if (e.reason) line += ": " + *e.reason + (e.message ? " (" + *e.message + ")" : "");
  if (e.kind == control::PeerEventKind::wants_to_pair)
    line += ": not trusted, refused; to pair: peernetctl pair " + peer_id_text(e.id).substr(0, 7);
  io.out << line << '\n' << std::flush;
}

}  // namespace

Handler define_events(CLI::App& sub) {
  auto o = std::make_shared<EventsOptions>();
  sub.add_option("-e,--event", o->events,
                 "Only this event (peer.up, peer.down, peer.connecting, peer.discovered, "
                 "peer.wants_to_pair; repeatable)");
  sub.add_option("--count", o->count, "Exit after N events");
  return [o](const Globals& g, Io& io) {
    std::optional<std::vector<control::PeerEventKind>> kinds;
    if (!o->events.empty()) {
      kinds.emplace();
      for (const std::string& name : o->events) {
        auto k = peer_event_from_string(name);
        if (!k)
          return report(g, io, make_error(Errc::bad_request,
                                          "events: unknown event \"" + name +
                                              "\" (peer.up, peer.down, peer.connecting, "
                                              "peer.discovered, peer.wants_to_pair)"));
        kinds->push_back(*k);
      }
    }
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    if (auto st = client->subscribe(kinds); !st) return report(g, io, st.error());
    // On stderr even with --json: scripts wait for it before they act.
    io.err << "watching peer events; Ctrl-C ends\n" << std::flush;
    for (uint64_t shown = 0; o->count == 0 || shown < o->count;) {
      auto in = client->next_incoming(Deadline::never());
      if (!in) return report(g, io, in.error());
      if (!*in) continue;
      const auto* e = std::get_if<control::PeerEvent>(&**in);
      if (e == nullptr) continue;  // this connection exposes no handle
      print_event(io, g.json, *e);
      ++shown;
    }
    return 0;
  };
}

}  // namespace peernet::ctl
