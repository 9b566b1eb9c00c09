#include "base/log.hpp"

#include <unistd.h>

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

}  // namespace
}  // namespace peernet
