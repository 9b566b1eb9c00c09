#include "proto/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace peernet::metrics {
namespace {

bool name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool name_char(char c, bool colon) { return name_start(c, colon) || (c >= '0' && c <= '9'); }

bool check_name(std::string_view name, bool colon) {
  if (name.empty() || !name_start(name[0], colon)) return false;
  for (char c : name)
    if (!name_char(c, colon)) return false;
  return true;
}

// HELP text escapes backslash and newline (both formats; OpenMetrics also
// the double quote, which Prometheus' parser takes as it is either way).
std::string escape_help(std::string_view v, Format format) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && format == Format::openmetrics) out += "\\\"";
    else out += c;
  }
  return out;
}

}  // namespace

bool valid_name(std::string_view name) { return check_name(name, true); }
bool valid_label_name(std::string_view name) { return check_name(name, false); }

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string write(const std::vector<Family>& families, Format format) {
  std::string out;
  for (const Family& f : families) {
    std::string sample_name = f.name + (f.type == Type::counter ? "_total" : "");
    std::string_view type = f.type == Type::counter ? "counter" : "gauge";
    const std::string& described = format == Format::openmetrics ? f.name : sample_name;
    out += "# HELP " + described + " " + escape_help(f.help, format) + "\n";
    out += "# TYPE " + described + " " + std::string(type) + "\n";
    for (const Sample& s : f.samples) {
      out += sample_name;
      if (!s.labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [name, value] : s.labels) {
          if (!first) out += ',';
          first = false;
          out += name + "=\"" + escape_label_value(value) + "\"";
        }
        out += '}';
      }
      out += ' ';
      out += format_value(s.value);
      out += '\n';
    }
  }
  if (format == Format::openmetrics) out += "# EOF\n";
  return out;
}

std::string_view content_type(Format format) {
  return format == Format::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                       : "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace peernet::metrics
