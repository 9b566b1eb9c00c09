#include "base/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include <gtest/gtest.h>

namespace peernet {
namespace {

TEST(LogLevel, NamesRoundTrip) {
  for (auto level : {LogLevel::error, LogLevel::warning, LogLevel::notice, LogLevel::info, LogLevel::debug}) {
    auto parsed = parse_log_level(to_string(level));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_EQ(to_string(LogLevel::warning), "warning");
  EXPECT_EQ(static_cast<int>(LogLevel::error), 3);
  EXPECT_EQ(static_cast<int>(LogLevel::debug), 7);
  auto bad = parse_log_level("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("\"verbose\""), std::string::npos);
}

TEST(Logger, FiltersByLevel) {
  CaptureSink sink;
  Logger log(sink, LogLevel::notice);
  EXPECT_TRUE(log.enabled(LogLevel::error));
  EXPECT_TRUE(log.enabled(LogLevel::notice));
  EXPECT_FALSE(log.enabled(LogLevel::info));
  log.error("e");
  log.warning("w");
  log.notice("n");
  log.info("i");
  log.debug("d");
  ASSERT_EQ(sink.lines().size(), 3u);
  EXPECT_EQ(sink.lines()[2].level, LogLevel::notice);
  EXPECT_EQ(sink.lines()[2].message, "n");
  log.set_level(LogLevel::debug);
  log.debug("d");
  EXPECT_TRUE(sink.contains("d"));
}

TEST(Logger, FailLogsAndReturnsTheError) {
  CaptureSink sink;
  Logger log(sink);
  Error e = log.fail(make_error(Errc::timeout, "no answer"), "call \"x\"");
  EXPECT_EQ(e.code, Errc::timeout);
  EXPECT_EQ(e.message, "no answer");
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_EQ(sink.lines()[0].level, LogLevel::error);
  EXPECT_EQ(sink.lines()[0].message, "call \"x\": timeout: no answer");
  // Below the threshold: still returned, not logged.
  Error d = log.fail(make_error(Errc::closed, ""), {}, LogLevel::debug);
  EXPECT_EQ(d.code, Errc::closed);
  EXPECT_EQ(sink.lines().size(), 1u);
}

TEST(Quoted, EscapesAndTruncates) {
  EXPECT_EQ(quote("plain"), "\"plain\"");
  EXPECT_EQ(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote("line\nbreak\x7f"), "\"line\\x0abreak\\x7f\"");
  EXPECT_EQ(quote("héllo"), "\"héllo\"");
  std::string long_text(1000, 'a');
  std::string q = quote(long_text);
  EXPECT_EQ(q.size(), 256u + 5u);
  EXPECT_EQ(q.substr(q.size() - 4), "\"...");
}

// The stderr sink's whole line reaches the fd in one piece, with the
// journald priority prefix and embedded newlines escaped.
TEST(StderrSink, WritesPrefixedSingleLines) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    StderrSink sink(fds[1]);
    Logger log(sink, LogLevel::debug);
    log.warning("disk \"low\"");
    log.debug("two\nlines");
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  EXPECT_EQ(out, "<4>disk \"low\"\n<7>two\\x0alines\n");
}

// Off the journal, each line starts with an ISO 8601 UTC timestamp with
// milliseconds and the level's name instead of the "<N>" prefix.
TEST(StderrSink, TimestampedLines) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    StderrSink sink(fds[1], LogFormat::timestamped);
    Logger log(sink, LogLevel::debug);
    log.notice("up");
    log.error("a\nb");
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  std::regex line(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z notice: up\n)"
                  R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z error: a\\x0ab\n)");
  EXPECT_TRUE(std::regex_match(out, line)) << out;
  EXPECT_EQ(out.find('<'), std::string::npos);
}

TEST(StderrSink, Iso8601) {
  EXPECT_EQ(iso8601_utc_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc_ms(1796541001123), "2026-12-06T07:10:01.123Z");
  EXPECT_EQ(iso8601_utc_ms(-1), "1969-12-31T23:59:59.999Z");
}

// $JOURNAL_STREAM names the journal's stream by device and inode; only an
// fd that is that very stream counts, not one the variable was inherited by.
TEST(StderrSink, JournalStreamDetection) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fds[1], &st), 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  const char* old = std::getenv("JOURNAL_STREAM");
  std::string saved = old ? old : "";
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(is_journal_stream(fds[1]));
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(is_journal_stream(fds[1]));
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(is_journal_stream(fds[1]));
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(is_journal_stream(fds[1]));
  if (old) ::setenv("JOURNAL_STREAM", saved.c_str(), 1); else ::unsetenv("JOURNAL_STREAM");
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace peernet
