// Logging, injected: every component that logs receives a Logger&.
//
// Rules (ARCHITECTURE.md, "Errors and logging"): helpers return errors and never log; the component at
// the boundary logs once, with log.fail() when it also returns the error.
// One line per event; non-fatal problems say ", ignoring"; user-supplied
// strings go through quote(); peer ids through peer_tag() from
// proto/peer_id.hpp. Skip building expensive messages with enabled().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/result.hpp"
#include "proto/text.hpp"  // quote(), which every log line uses

namespace peernet {

// The values are syslog/journald priorities: the stderr sink writes them as
// the "<N>" prefix that journald understands.
enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// "error", "warning", "notice", "info", "debug".
std::string_view to_string(LogLevel level);
// Inverse of to_string; Errc::bad_request naming the accepted names.
Result<LogLevel> parse_log_level(std::string_view name);


class LogSink {
 public:
  virtual ~LogSink() = default;
  // `message` is one line without a trailing newline.
  virtual void write(LogLevel level, std::string_view message) = 0;
};

// How a StderrSink prefixes a line.
enum class LogFormat {
  // "<N>message": the priority prefix the systemd journal reads; the
  // journal adds its own timestamps.
  journal,
  // "2026-12-06T07:30:01.123Z notice: message": an ISO 8601 timestamp in
  // UTC with milliseconds, then the level name.
  timestamped,
};

// Whether `fd` is the journal's stream: systemd sets $JOURNAL_STREAM to
// "DEV:INO" of the stream it connects to stdout/stderr, and the fd's
// fstat() must match it (a redirected stderr inherits the variable but not
// the stream).
bool is_journal_stream(int fd);

// Formats `unix_ms` as "2026-12-06T07:30:01.123Z" (UTC).
std::string iso8601_utc_ms(int64_t unix_ms);

// Writes one line per message with a single write(2), so lines from
// concurrent writers (or processes sharing the fd) never interleave.
// Embedded newlines and other control characters are escaped.
class StderrSink final : public LogSink {
 public:
  explicit StderrSink(int fd = 2, LogFormat format = LogFormat::journal) : fd_(fd), format_(format) {}
  void write(LogLevel level, std::string_view message) override;

 private:
  int fd_;
  LogFormat format_;
};

// Keeps every line, for tests.
class CaptureSink final : public LogSink {
 public:
  struct Line {
    LogLevel level;
    std::string message;
  };
  void write(LogLevel level, std::string_view message) override;
  const std::vector<Line>& lines() const { return lines_; }
  // True when some line contains `needle`.
  bool contains(std::string_view needle) const;
  void clear() { lines_.clear(); }

 private:
  std::vector<Line> lines_;
};

class Logger {
 public:
  // The sink must outlive the logger.
  explicit Logger(LogSink& sink, LogLevel max_level = LogLevel::info)
      : sink_(&sink), max_(max_level) {}

  void set_level(LogLevel max_level) { max_ = max_level; }
  LogLevel level() const { return max_; }
  bool enabled(LogLevel level) const { return level <= max_; }

  void log(LogLevel level, std::string_view message) {
    if (enabled(level)) sink_->write(level, message);
  }
  void error(std::string_view m) { log(LogLevel::error, m); }
  void warning(std::string_view m) { log(LogLevel::warning, m); }
  void notice(std::string_view m) { log(LogLevel::notice, m); }
  void info(std::string_view m) { log(LogLevel::info, m); }
  void debug(std::string_view m) { log(LogLevel::debug, m); }

  // Log-and-return: logs "<context>: <code>: <message>" (or the error alone
  // when `context` is empty) and hands the error back, so a boundary can
  // write `return log.fail(std::move(err), "dial peer(ABCD…WXYZ)");`.
  Error fail(Error err, std::string_view context = {}, LogLevel level = LogLevel::error);

 private:
  LogSink* sink_;
  LogLevel max_;
};

}  // namespace peernet
