// What `metrics` and the HTTP endpoint report: the daemon-wide counters of
// `status` and per-peer series for at most metrics.max_peers trusted peers
// (in key order; the rest are counted in peernet_metrics_peers_omitted),
// labelled peer="<alias>", or the fingerprint for a peer without one.
// guides/cookbook.md, "Monitoring", lists the names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "control/connection.hpp"
#include "daemon.hpp"
#include "proto/metrics.hpp"

namespace peernet {

// The daemon-wide numbers that `status` reports by name and the metrics by
// metric name, from one table, so that neither misses one.
struct CounterRow {
  std::string_view name;    // status' counters key
  std::string_view metric;  // the metric's name
  metrics::Type type;
  std::string_view help;
  uint64_t value;
};
std::vector<CounterRow> counter_rows(const DaemonStatus& st, const ControlCounters& c);

std::vector<metrics::Family> collect_metrics(const Daemon& daemon, const ControlCounters& counters);
std::string metrics_text(const Daemon& daemon, const ControlCounters& counters, metrics::Format format);

}  // namespace peernet
