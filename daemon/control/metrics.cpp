#include "control/metrics.hpp"

#include <algorithm>

namespace peernet {
namespace {

using metrics::Family;
using metrics::Sample;
using metrics::Type;

Family scalar(std::string name, Type type, std::string help, double value) {
  return Family{std::move(name), type, std::move(help), {Sample{{}, value}}};
}

}  // namespace

std::vector<Family> collect_metrics(const Daemon& daemon, const ControlCounters& counters) {
  DaemonStatus st = daemon.status();
  auto c = [](uint64_t v) { return static_cast<double>(v); };
  std::vector<Family> out = {
      scalar("peernet_uptime_seconds", Type::gauge, "Seconds since the daemon started", st.uptime_s),
      scalar("peernet_sessions", Type::gauge, "Established peer sessions",
             c(st.sessions - std::min(st.sessions, st.handshakes_pending))),
      scalar("peernet_handshakes_pending", Type::gauge, "Sessions still in their handshake", c(st.handshakes_pending)),
      scalar("peernet_peers_online", Type::gauge, "Trusted peers with an active session", c(st.peers_online)),
      scalar("peernet_peers_trusted", Type::gauge, "Peers on the trust list", c(st.peers_trusted)),
      scalar("peernet_handles", Type::gauge, "Handles exposed by local clients", c(st.handles)),
      scalar("peernet_control_clients", Type::gauge, "Open control connections", c(counters.clients_open)),
      scalar("peernet_calls_in", Type::counter, "Calls from peers", c(st.calls_in)),
      scalar("peernet_calls_out", Type::counter, "Calls to peers handed to a session", c(st.calls_out)),
      scalar("peernet_sends_in", Type::counter, "Sends from peers", c(st.sends_in)),
      scalar("peernet_sends_out", Type::counter, "Sends to peers handed to a session", c(st.sends_out)),
      scalar("peernet_sends_dropped", Type::counter, "Sends dropped at once: peer offline, busy or too large",
             c(st.sends_dropped)),
      scalar("peernet_sends_refused", Type::counter, "Sends peers reported as not delivered (no such handle)",
             c(st.sends_refused)),
      scalar("peernet_sends_refusals_sent", Type::counter,
             "Sends from peers to handles not exposed to them, reported back", c(st.sends_refusals_sent)),
      scalar("peernet_received_bytes", Type::counter, "TCP bytes received on peer sessions", c(st.bytes_in)),
      scalar("peernet_sent_bytes", Type::counter, "TCP bytes sent on peer sessions", c(st.bytes_out)),
      scalar("peernet_handshakes_ok", Type::counter, "Peer handshakes completed", c(st.handshakes_ok)),
      scalar("peernet_handshakes_failed", Type::counter, "Peer handshakes that failed", c(st.handshakes_failed)),
      scalar("peernet_control_clients_accepted", Type::counter, "Control connections accepted",
             c(counters.clients_accepted)),
      scalar("peernet_control_clients_refused", Type::counter, "Control connections refused over the cap",
             c(counters.clients_refused)),
      scalar("peernet_control_clients_cut_off", Type::counter, "Control connections closed for not reading",
             c(counters.clients_cut_off)),
      scalar("peernet_control_notifications_dropped", Type::counter, "Notifications dropped for slow clients",
             c(counters.notifications_dropped)),
      scalar("peernet_control_bad_requests", Type::counter, "Control requests answered with an error of the request",
             c(counters.bad_requests)),
      scalar("peernet_stream_sends", Type::counter, "Streamed sends read from local clients",
             c(counters.stream_sends)),
      scalar("peernet_stream_dropped", Type::counter, "Streamed sends reported dropped to their clients",
             c(counters.stream_dropped)),
      scalar("peernet_stream_waits", Type::counter,
             "Times a streaming client was not read while a session's queue drained", c(counters.stream_waits)),
      scalar("peernet_metrics_requests", Type::counter, "Scrapes of the metrics HTTP endpoint answered",
             c(counters.metrics_requests)),
      scalar("peernet_metrics_bad_requests", Type::counter, "Metrics HTTP requests refused (bad, too large, not GET)",
             c(counters.metrics_bad_requests)),
      scalar("peernet_metrics_connections_refused", Type::counter, "Metrics HTTP connections over the cap",
             c(counters.metrics_refused)),
      scalar("peernet_pairing_windows", Type::counter, "Pairing windows opened", c(st.pairing_windows)),
      scalar("peernet_pairing_paired", Type::counter, "Peers paired by code", c(st.pairing_paired)),
      scalar("peernet_pairing_attempts_failed", Type::counter, "Failed attempts against our pairing windows",
             c(st.pairing_attempts_failed)),
      scalar("peernet_pairing_joins_failed", Type::counter, "Pairing joins that failed", c(st.pairing_joins_failed)),
  };

  // Per peer: one family per counter, one sample per peer.
  std::vector<control::PeerShowResult> peers = daemon.show_all();
  size_t cap = daemon.config().metrics.max_peers;
  size_t omitted = peers.size() > cap ? peers.size() - cap : 0;
  if (omitted > 0) peers.resize(cap);
  out.push_back(scalar("peernet_metrics_peers_omitted", Type::gauge,
                       "Trusted peers without per-peer series (over metrics.max_peers)", c(omitted)));
  struct PerPeer {
    std::string counter;  // the key in peer.show's counters
    std::string name;
    std::string help;
  };
  static const PerPeer kPerPeer[] = {
      {"messages_in", "peernet_peer_messages_received", "Envelopes received from the peer"},
      {"messages_out", "peernet_peer_messages_sent", "Envelopes sent to the peer"},
      {"bytes_in", "peernet_peer_received_bytes", "TCP bytes received from the peer"},
      {"bytes_out", "peernet_peer_sent_bytes", "TCP bytes sent to the peer"},
      {"calls_in", "peernet_peer_calls_in", "Calls the peer made to us"},
      {"calls_out", "peernet_peer_calls_out", "Calls we made to the peer"},
      {"call_errors", "peernet_peer_call_errors", "Calls to the peer that ended with an error"},
      {"sends_in", "peernet_peer_sends_in", "Sends the peer made to us"},
      {"sends_out", "peernet_peer_sends_out", "Sends to the peer handed to a session"},
      {"sends_dropped", "peernet_peer_sends_dropped", "Sends to the peer dropped at once"},
      {"sends_refused", "peernet_peer_sends_refused", "Sends the peer reported as not delivered"},
      {"handshakes_ok", "peernet_peer_handshakes_ok", "Handshakes with the peer completed"},
      {"handshakes_failed", "peernet_peer_handshakes_failed", "Handshakes with the peer that failed"},
  };
  auto label = [](const control::PeerShowResult& p) { return p.name.value_or(p.fingerprint); };
  for (const PerPeer& pp : kPerPeer) {
    Family f{pp.name, Type::counter, pp.help, {}};
    for (const auto& p : peers) {
      auto it = p.counters.find(pp.counter);
      f.samples.push_back(Sample{{{"peer", label(p)}}, it == p.counters.end() ? 0 : c(it->second)});
    }
    out.push_back(std::move(f));
  }
  Family up{"peernet_peer_up", Type::gauge, "1 while the peer has an active session", {}};
  Family rtt{"peernet_peer_rtt_seconds", Type::gauge, "The latest round trip to the peer", {}};
  Family handshake{"peernet_peer_last_handshake_timestamp_seconds", Type::gauge,
                   "Unix time of the last completed handshake with the peer", {}};
  for (const auto& p : peers) {
    up.samples.push_back(Sample{{{"peer", label(p)}}, p.state == PeerState::online ? 1.0 : 0.0});
    if (p.rtt_ms) rtt.samples.push_back(Sample{{{"peer", label(p)}}, *p.rtt_ms / 1000.0});
    if (p.last_handshake) handshake.samples.push_back(Sample{{{"peer", label(p)}}, *p.last_handshake});
  }
  out.push_back(std::move(up));
  out.push_back(std::move(rtt));
  out.push_back(std::move(handshake));
  return out;
}

std::string metrics_text(const Daemon& daemon, const ControlCounters& counters, metrics::Format format) {
  return metrics::write(collect_metrics(daemon, counters), format);
}

}  // namespace peernet
