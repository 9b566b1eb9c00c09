#include "base/log.hpp"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "base/wall_clock.hpp"

namespace peernet {
namespace {

constexpr std::array<std::string_view, 5> kLevelNames = {"error", "warning", "notice", "info",
                                                          "debug"};

}  // namespace

std::string_view to_string(LogLevel level) {
  auto i = static_cast<size_t>(level) - static_cast<size_t>(LogLevel::error);
  return i < kLevelNames.size() ? kLevelNames[i] : std::string_view("debug");
}

Result<LogLevel> parse_log_level(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i)
    if (kLevelNames[i] == name)
      return static_cast<LogLevel>(i + static_cast<size_t>(LogLevel::error));
  return make_error(Errc::bad_request, "unknown log level " + quote(name) +
                                           " (expected error, warning, notice, info or debug)");
}

bool is_journal_stream(int fd) {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string iso8601_utc_ms(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

void StderrSink::write(LogLevel level, std::string_view message) {
  std::string line;
  if (format_ == LogFormat::journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    line = iso8601_utc_ms(wall_now_ms());
    line += ' ';
    line += to_string(level);
    line += ": ";
  }
  line.reserve(line.size() + message.size() + 1);
  append_escaped(line, message, false);
  line += '\n';
  // One write(2) per line keeps lines whole. A short write (a full pipe,
  // a signal) is finished with further writes rather than dropped.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a failing log stream.
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void CaptureSink::write(LogLevel level, std::string_view message) {
  lines_.push_back({level, std::string(message)});
}

bool CaptureSink::contains(std::string_view needle) const {
  for (const auto& l : lines_)
    if (l.message.find(needle) != std::string::npos) return true;
  return false;
}

Error Logger::fail(Error err, std::string_view context, LogLevel level) {
  if (enabled(level)) {
    std::string line;
    if (!context.empty()) {
      line = context;
      line += ": ";
    }
    line += err.describe();
    sink_->write(level, line);
  }
  return err;
}

}  // namespace peernet
