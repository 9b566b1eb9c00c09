// Private to peernetctl: the human output of the listing verbs. Columns are
// left-aligned and separated by two spaces, like `ip` and `systemctl`; an
// empty cell prints as "-" so that every row splits into the same fields.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace peernet::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "3d 4h", "2h 5m", "4m 10s", "12s", "0.4s".
std::string format_duration(double seconds);
// "12s ago" from a Unix time; "never" for nullopt.
std::string format_ago(std::optional<double> unix_seconds);
// "0.8 ms"; "-" for nullopt.
std::string format_ms(std::optional<double> ms);

}  // namespace peernet::ctl
