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

std::vector<CounterRow> counter_rows(const DaemonStatus& st, const ControlCounters& c) {
  const Type counter = Type::counter, gauge = Type::gauge;
  return {
      {"calls_in", "peernet_calls_in", counter, "Calls from peers", st.calls_in},
      {"calls_out", "peernet_calls_out", counter, "Calls to peers handed to a session", st.calls_out},
      {"calls_in_duplicate", "peernet_calls_in_duplicate", counter,
       "Calls from peers refused for reusing the request id of one in flight", st.calls_in_duplicate},
      {"sends_in", "peernet_sends_in", counter, "Sends from peers", st.sends_in},
      {"sends_out", "peernet_sends_out", counter, "Sends to peers handed to a session", st.sends_out},
      {"sends_dropped", "peernet_sends_dropped", counter, "Sends dropped at once: peer offline, busy or too large",
       st.sends_dropped},
      {"sends_refused", "peernet_sends_refused", counter, "Sends peers reported as not delivered (no such handle)",
       st.sends_refused},
      {"sends_refusals_sent", "peernet_sends_refusals_sent", counter,
       "Sends from peers to handles not exposed to them, reported back", st.sends_refusals_sent},
      {"bytes_in", "peernet_received_bytes", counter, "TCP bytes received on peer sessions", st.bytes_in},
      {"bytes_out", "peernet_sent_bytes", counter, "TCP bytes sent on peer sessions", st.bytes_out},
      {"handshakes_ok", "peernet_handshakes_ok", counter, "Peer handshakes completed", st.handshakes_ok},
      {"handshakes_failed", "peernet_handshakes_failed", counter, "Peer handshakes that failed", st.handshakes_failed},
      {"handshakes_pending", "peernet_handshakes_pending", gauge, "Sessions still in their handshake",
       st.handshakes_pending},
      {"handshakes_refused_full", "peernet_handshakes_refused_full", counter,
       "Connections refused: network.max_pending_handshakes reached", st.handshakes_refused_full},
      {"handshakes_refused_per_address", "peernet_handshakes_refused_per_address", counter,
       "Connections refused: network.max_pending_per_address reached for their source", st.handshakes_refused_per_address},
      {"handshakes_refused_rate", "peernet_handshakes_refused_rate", counter,
       "Connections refused: their source over network.handshake_rate", st.handshakes_refused_rate},
      {"handshakes_dropped_early", "peernet_handshakes_dropped_early", counter,
       "Connections dropped at random past network.early_drop_start", st.handshakes_dropped_early},
      {"accept_failed", "peernet_accept_failed", counter, "Connections the listener could not accept (EMFILE, ...)",
       st.accept_failed},
      {"control_clients", "peernet_control_clients", gauge, "Open control connections", c.clients_open},
      {"control_clients_accepted", "peernet_control_clients_accepted", counter, "Control connections accepted",
       c.clients_accepted},
      {"control_clients_refused", "peernet_control_clients_refused", counter, "Control connections refused over the cap",
       c.clients_refused},
      {"control_clients_refused_reserve", "peernet_control_clients_refused_reserve", counter,
       "Control connections of non-admins refused: the rest is kept for admins", c.clients_refused_reserve},
      {"control_clients_refused_per_uid", "peernet_control_clients_refused_per_uid", counter,
       "Control connections refused over control.max_clients_per_uid", c.clients_refused_per_uid},
      {"control_clients_cut_off", "peernet_control_clients_cut_off", counter, "Control connections closed for not reading",
       c.clients_cut_off},
      {"control_reads_paused", "peernet_control_reads_paused", counter,
       "Times a control client was not read while its answers drained", c.reads_paused},
      {"control_queued_bytes", "peernet_control_queued_bytes", gauge, "Bytes queued to all control clients",
       c.queued_bytes},
      {"control_duplicate_msgids", "peernet_control_duplicate_msgids", counter,
       "Control requests refused for reusing the msgid of one in flight", c.duplicate_msgids},
      {"control_notifications_dropped", "peernet_control_notifications_dropped", counter,
       "Notifications dropped for slow clients", c.notifications_dropped},
      {"control_bad_requests", "peernet_control_bad_requests", counter,
       "Control requests answered with an error of the request", c.bad_requests},
      {"stream_sends", "peernet_stream_sends", counter, "Streamed sends read from local clients", c.stream_sends},
      {"stream_dropped", "peernet_stream_dropped", counter, "Streamed sends reported dropped to their clients",
       c.stream_dropped},
      {"stream_waits", "peernet_stream_waits", counter,
       "Times a streaming client was not read while a session's queue drained", c.stream_waits},
      {"metrics_requests", "peernet_metrics_requests", counter, "Scrapes of the metrics HTTP endpoint answered",
       c.metrics_requests},
      {"metrics_bad_requests", "peernet_metrics_bad_requests", counter,
       "Metrics HTTP requests refused (bad, too large, not GET)", c.metrics_bad_requests},
      {"metrics_connections_refused", "peernet_metrics_connections_refused", counter,
       "Metrics HTTP connections over the cap", c.metrics_refused},
      {"pairing_windows", "peernet_pairing_windows", counter, "Pairing windows opened", st.pairing_windows},
      {"pairing_paired", "peernet_pairing_paired", counter, "Peers paired by code", st.pairing_paired},
      {"pairing_attempts_failed", "peernet_pairing_attempts_failed", counter,
       "Failed attempts against our pairing windows", st.pairing_attempts_failed},
      {"pairing_joins_failed", "peernet_pairing_joins_failed", counter, "Pairing joins that failed",
       st.pairing_joins_failed},
  };
}

std::vector<Family> collect_metrics(const Daemon& daemon, const ControlCounters& counters) {
  DaemonStatus st = daemon.status();
  auto c = [](uint64_t v) { return static_cast<double>(v); };
  std::vector<Family> out = {
      scalar("peernet_uptime_seconds", Type::gauge, "Seconds since the daemon started", st.uptime_s),
      scalar("peernet_sessions", Type::gauge, "Established peer sessions",
             c(st.sessions - std::min(st.sessions, st.handshakes_pending))),
      scalar("peernet_peers_online", Type::gauge, "Trusted peers with an active session", c(st.peers_online)),
      scalar("peernet_peers_trusted", Type::gauge, "Peers on the trust list", c(st.peers_trusted)),
      scalar("peernet_handles", Type::gauge, "Handles exposed by local clients", c(st.handles)),
  };
  for (const CounterRow& row : counter_rows(st, counters))
    out.push_back(scalar(std::string(row.metric), row.type, std::string(row.help), c(row.value)));

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
