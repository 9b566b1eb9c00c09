// The Prometheus text exposition format (version 0.0.4) and OpenMetrics
// 1.0 text, written from plain values: what `peernetctl metrics` prints and
// the daemon's optional HTTP endpoint serves (guides/cookbook.md,
// "Monitoring"). Pure formatting, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peernet::metrics {

enum class Type { counter, gauge };
enum class Format { prometheus, openmetrics };

struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;  // name, value (any bytes)
  double value = 0;
};

// One metric family. `name` is the family's name without the `_total` a
// counter's samples carry (the writer adds it); it must satisfy
// valid_name() and must not end in `_total` itself.
struct Family {
  std::string name;
  Type type = Type::gauge;
  std::string help;
  std::vector<Sample> samples;
};

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names without ':'.
bool valid_name(std::string_view name);
bool valid_label_name(std::string_view name);

// A label value escaped for the text formats: backslash, double quote and
// newline become \\, \" and \n.
std::string escape_label_value(std::string_view v);

// A value as both formats write it: integers without a fraction, others
// in the shortest form that reads back the same; NaN, +Inf, -Inf.
std::string format_value(double v);

// The whole exposition. Prometheus: `# HELP` and `# TYPE` name the
// sample's name (`x_total` for a counter x). OpenMetrics: they name the
// family (`x`), samples are `x_total`, and the text ends with `# EOF`.
std::string write(const std::vector<Family>& families, Format format);

// The HTTP Content-Type of each format.
std::string_view content_type(Format format);

}  // namespace peernet::metrics
