#include "table.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace peernet::ctl {

void Table::print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  auto cell = [](const std::vector<std::string>& row, size_t i) -> std::string {
    return i < row.size() && !row[i].empty() ? row[i] : "-";
  };
  for (size_t i = 0; i < header_.size(); ++i) {
    width[i] = header_[i].size();
    for (const auto& r : rows_) width[i] = std::max(width[i], cell(r, i).size());
  }
  auto line = [&](const std::vector<std::string>& row, bool is_header) {
    std::string s;
    for (size_t i = 0; i < header_.size(); ++i) {
      std::string c = is_header ? header_[i] : cell(row, i);
      s += c;
      if (i + 1 < header_.size()) s.append(width[i] - c.size() + 2, ' ');
    }
    out << s << '\n';
  };
  line(header_, true);
  for (const auto& r : rows_) line(r, false);
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  char buf[32];
  if (seconds < 10 && seconds != std::floor(seconds)) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    return buf;
  }
  auto s = static_cast<unsigned long long>(seconds);
  unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  if (d > 0)
    std::snprintf(buf, sizeof buf, "%llud %lluh", d, h);
  else if (h > 0)
    std::snprintf(buf, sizeof buf, "%lluh %llum", h, m);
  else if (m > 0)
    std::snprintf(buf, sizeof buf, "%llum %llus", m, sec);
  else
    std::snprintf(buf, sizeof buf, "%llus", sec);
  return buf;
}

std::string format_ago(std::optional<double> unix_seconds) {
  if (!unix_seconds) return "never";
  using namespace std::chrono;
  double now = duration<double>(system_clock::now().time_since_epoch()).count();
  double ago = now - *unix_seconds;
  // Clocks of a few ms apart (the daemon stamped it) are not "the future".
  if (ago < 1) return "just now";
  return format_duration(std::floor(ago)) + " ago";
}

std::string format_ms(std::optional<double> ms) {
  if (!ms) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, *ms < 10 ? "%.2f ms" : "%.0f ms", *ms);
  return buf;
}

}  // namespace peernet::ctl
