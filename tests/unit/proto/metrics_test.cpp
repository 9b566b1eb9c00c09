// The metrics text writer (proto/metrics.hpp): both formats, escaping,
// values. The e2e test parses real output with prometheus_client.
#include "proto/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace peernet::metrics {
namespace {

std::vector<Family> sample_families() {
  return {
      Family{"peernet_calls_out", Type::counter, "Calls made", {Sample{{}, 3}}},
      Family{"peernet_peer_rtt_ms",
             Type::gauge,
             "Round trip\nin ms \\ \"last\"",
             {Sample{{{"peer", "lap\"top\\x\n"}}, 0.42}, Sample{{{"peer", "pi"}, {"fp", "ab-cd"}}, 12}}},
  };
}

TEST(Metrics, PrometheusText) {
  EXPECT_EQ(write(sample_families(), Format::prometheus),
            "# HELP peernet_calls_out_total Calls made\n"
            "# TYPE peernet_calls_out_total counter\n"
            "peernet_calls_out_total 3\n"
            "# HELP peernet_peer_rtt_ms Round trip\\nin ms \\\\ \"last\"\n"
            "# TYPE peernet_peer_rtt_ms gauge\n"
            "peernet_peer_rtt_ms{peer=\"lap\\\"top\\\\x\\n\"} 0.42\n"
            "peernet_peer_rtt_ms{peer=\"pi\",fp=\"ab-cd\"} 12\n");
}

TEST(Metrics, OpenMetricsText) {
  EXPECT_EQ(write(sample_families(), Format::openmetrics),
            "# HELP peernet_calls_out Calls made\n"
            "# TYPE peernet_calls_out counter\n"
            "peernet_calls_out_total 3\n"
            "# HELP peernet_peer_rtt_ms Round trip\\nin ms \\\\ \\\"last\\\"\n"
            "# TYPE peernet_peer_rtt_ms gauge\n"
            "peernet_peer_rtt_ms{peer=\"lap\\\"top\\\\x\\n\"} 0.42\n"
            "peernet_peer_rtt_ms{peer=\"pi\",fp=\"ab-cd\"} 12\n"
            "# EOF\n");
  EXPECT_EQ(write({}, Format::openmetrics), "# EOF\n");
  EXPECT_EQ(write({}, Format::prometheus), "");
}

TEST(Metrics, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(18446744073709.0), "18446744073709");
  EXPECT_EQ(format_value(-5), "-5");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format_value(1e20), "1e+20");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
}

TEST(Metrics, Names) {
  EXPECT_TRUE(valid_name("peernet_calls_out"));
  EXPECT_TRUE(valid_name("a:b_c9"));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("9abc"));
  EXPECT_FALSE(valid_name("a-b"));
  EXPECT_TRUE(valid_label_name("peer"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Metrics, ContentTypes) {
  EXPECT_EQ(content_type(Format::prometheus), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(content_type(Format::openmetrics), "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace peernet::metrics
