// sd_notify over a real AF_UNIX datagram socket: each message arrives as one
// datagram with systemd's exact spelling, to a path or an abstract name; the
// watchdog variables are read the way sd_watchdog_enabled(3) reads them.
#include "sd_notify.hpp"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "notify_receiver.hpp"

namespace peernet::testing {
namespace {

uint64_t monotonic_usec() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

TEST(SdNotify, EachMessageIsOneDatagramToAPathSocket) {
  NotifyReceiver rx;
  Notifier n(rx.address());
  ASSERT_TRUE(n.enabled());
  ASSERT_TRUE(n.ready().ok());
  ASSERT_TRUE(n.status("2 of 3 trusted peers online").ok());
  ASSERT_TRUE(n.watchdog().ok());
  ASSERT_TRUE(n.stopping().ok());
  EXPECT_EQ(rx.drain(), (std::vector<std::string>{"READY=1", "STATUS=2 of 3 trusted peers online",
                                                  "WATCHDOG=1", "STOPPING=1"}));
}

TEST(SdNotify, AbstractSocketNamesStartWithAt) {
  NotifyReceiver rx(NotifyReceiver::Kind::abstract);
  ASSERT_EQ(rx.address()[0], '@');
  Notifier n(rx.address());
  ASSERT_TRUE(n.ready().ok());
  EXPECT_EQ(rx.next(), "READY=1");
}

TEST(SdNotify, StatusCannotInjectAnotherAssignment) {
  NotifyReceiver rx;
  Notifier n(rx.address());
  ASSERT_TRUE(n.status("line one\nREADY=1\r").ok());
  EXPECT_EQ(rx.next(), "STATUS=line one READY=1 ");
}

TEST(SdNotify, ReloadingCarriesTheMonotonicClock) {
  NotifyReceiver rx;
  Notifier n(rx.address());
  uint64_t before = monotonic_usec();
  ASSERT_TRUE(n.reloading().ok());
  uint64_t after = monotonic_usec();
  auto msg = rx.next();
  ASSERT_TRUE(msg);
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(msg->substr(0, prefix.size()), prefix) << *msg;
  std::string digits = msg->substr(prefix.size());
  ASSERT_FALSE(digits.empty());
  ASSERT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << *msg;
  uint64_t stamp = std::stoull(digits);
  EXPECT_LE(before, stamp);
  EXPECT_LE(stamp, after);
}

TEST(SdNotify, WithoutASocketEverythingIsANoOp) {
  Notifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(n.ready().ok());
  EXPECT_TRUE(n.reloading().ok());
  EXPECT_TRUE(n.send("ANYTHING=1").ok());
  EXPECT_FALSE(Notifier::from(NotifyEnvironment{}).enabled());
}

TEST(SdNotify, AMissingReceiverIsAnIoError) {
  NotifyReceiver rx;  // for its empty temporary directory
  Notifier n(rx.address() + ".absent");
  auto st = n.ready();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::io_error);
  EXPECT_NE(st.error().message.find(".absent"), std::string::npos) << st.error().message;
}

TEST(SdNotify, UnknownAddressFormsAreUnsupported) {
  for (std::string address : {std::string("vsock:2:1234"), std::string("relative/notify"),
                              "/" + std::string(200, 'x'), "@" + std::string(108, 'x')}) {
    auto st = Notifier(address).ready();
    ASSERT_FALSE(st.ok()) << address;
    EXPECT_EQ(st.error().code, Errc::unsupported) << address;
  }
}

TEST(SdNotify, TheLongestAbstractNameFitsExactly) {
  // 108 bytes of sun_path: the leading NUL and 107 name bytes.
  std::string name = "@" + std::string(107, 'n');
  auto st = Notifier(name).ready();
  // Nobody listens there: the address was accepted and the send refused.
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::io_error);
}

TEST(SdNotify, WatchdogIntervalFollowsSdWatchdogEnabled) {
  NotifyEnvironment env;
  env.pid = 4242;
  EXPECT_EQ(watchdog_interval(env), std::nullopt);  // no WatchdogSec=

  env.watchdog_usec = "30000000";
  EXPECT_EQ(watchdog_interval(env), 30000000u);  // no WATCHDOG_PID: ours
  env.watchdog_pid = "4242";
  EXPECT_EQ(watchdog_interval(env), 30000000u);
  env.watchdog_pid = "4243";  // inherited from our parent
  EXPECT_EQ(watchdog_interval(env), std::nullopt);
  env.watchdog_pid = "42x";
  EXPECT_EQ(watchdog_interval(env), std::nullopt);

  env.watchdog_pid.reset();
  for (const char* bad : {"0", "", "-5", "30s", "1e6", "99999999999999999999999"}) {
    env.watchdog_usec = bad;
    EXPECT_EQ(watchdog_interval(env), std::nullopt) << bad;
  }
}

TEST(SdNotify, PingsComeAtHalfTheTimeout) {
  EXPECT_EQ(watchdog_ping_interval_ms(30000000), 15000u);
  EXPECT_EQ(watchdog_ping_interval_ms(3000), 1u);
  EXPECT_EQ(watchdog_ping_interval_ms(1), 1u);  // never a busy loop
}

TEST(SdNotify, ReadingTheEnvironmentCanRemoveIt) {
  ::setenv("NOTIFY_SOCKET", "@test", 1);
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);

  NotifyEnvironment kept = read_notify_environment(false);
  EXPECT_EQ(kept.notify_socket, "@test");
  EXPECT_NE(::getenv("NOTIFY_SOCKET"), nullptr);

  NotifyEnvironment env = read_notify_environment(true);
  EXPECT_EQ(env.notify_socket, "@test");
  EXPECT_EQ(env.pid, ::getpid());
  EXPECT_EQ(watchdog_interval(env), 1000000u);
  EXPECT_EQ(::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(::getenv("WATCHDOG_PID"), nullptr);
}

}  // namespace
}  // namespace peernet::testing
