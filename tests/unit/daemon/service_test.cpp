// What a Daemon tells the service manager, received on a real datagram
// socket: readiness after the status, status updates on peer events (and
// their rate limit), reloads, the watchdog, and silence after stopping.
#include "service.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "notify_receiver.hpp"

namespace peernet::testing {
namespace {

class ServiceTest : public DaemonTest {
 protected:
  std::unique_ptr<Service> make_service(Node& n, uint64_t status_interval_ms,
                                        std::optional<uint64_t> watchdog_usec = std::nullopt) {
    Service::Options o;
    o.notifier = Notifier(rx.address());
    o.status_interval_ms = status_interval_ms;
    o.watchdog_usec = watchdog_usec;
    return Service::create(&loop, *n.daemon, n.log, std::move(o));
  }

  // Runs the loop until a datagram equal to `want` arrives; every datagram
  // seen on the way is kept in `seen`.
  bool wait_for(const std::string& want) {
    bool found = false;  // run_until asks again at the end: remember
    return run_until([&] {
      while (!found) {
        auto m = rx.next();
        if (!m) break;
        seen.push_back(*m);
        found = *m == want;
      }
      return found;
    });
  }

  NotifyReceiver rx;
  std::vector<std::string> seen;
};

TEST(ServiceStatus, TextCountsTrustedAndOnlinePeers) {
  DaemonStatus s;
  EXPECT_EQ(Service::status_text(s), "no trusted peers yet");
  s.peers_trusted = 3;
  s.peers_online = 2;
  EXPECT_EQ(Service::status_text(s), "2 of 3 trusted peers online");
}

TEST_F(ServiceTest, ReadyComesAfterTheFirstStatus) {
  Node& a = add_node();
  auto service = make_service(a, 1000);
  EXPECT_TRUE(rx.drain().empty()) << "nothing before ready()";
  service->ready();
  EXPECT_EQ(rx.drain(), (std::vector<std::string>{"STATUS=no trusted peers yet", "READY=1"}));
}

TEST_F(ServiceTest, PeerEventsUpdateTheStatus) {
  Node& a = add_node();
  Node& b = add_node();
  auto service = make_service(a, 1);
  service->ready();
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(wait_for("STATUS=1 of 1 trusted peers online"));

  stop(b);
  ASSERT_TRUE(wait_for("STATUS=0 of 1 trusted peers online"));
}

TEST_F(ServiceTest, UpdatesWithinTheIntervalWaitForItsEnd) {
  Node& a = add_node();
  Node& b = add_node();
  auto service = make_service(a, 3600 * 1000);
  service->ready();
  ASSERT_EQ(rx.drain().size(), 2u);  // STATUS, READY
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  // The peer came up, but the last status is younger than an hour.
  EXPECT_TRUE(rx.drain().empty());
  // Stopping drops the pending update and its timer (the fixture's leak
  // check would catch a timer left behind).
  service->stopping();
  EXPECT_EQ(rx.drain(), (std::vector<std::string>{"STOPPING=1", "STATUS=stopping"}));
}

TEST_F(ServiceTest, AReloadEndsWithReadyAndAFreshStatus) {
  Node& a = add_node();
  auto service = make_service(a, 3600 * 1000);
  service->ready();
  rx.drain();
  {
    auto reload = service->reloading();
    auto msgs = rx.drain();
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << msgs[0];
    EXPECT_EQ(msgs[1], "STATUS=reloading");
  }
  // The status goes out again at once: a reload is no peer event to throttle.
  EXPECT_EQ(rx.drain(), (std::vector<std::string>{"READY=1", "STATUS=no trusted peers yet"}));
}

TEST_F(ServiceTest, WatchdogPingsUntilStopping) {
  Node& a = add_node();
  auto service = make_service(a, 1000, /*watchdog_usec=*/2000);  // a ping every 1 ms
  service->ready();
  ASSERT_TRUE(wait_for("WATCHDOG=1"));
  ASSERT_TRUE(wait_for("WATCHDOG=1"));
  service->stopping();
  rx.drain();
  service->stopping();  // twice is harmless
  run_nowait();
  EXPECT_TRUE(rx.drain().empty()) << "nothing after STOPPING=1";
  // A reload during the stop announces nothing either.
  { auto reload = service->reloading(); }
  EXPECT_TRUE(rx.drain().empty());
}

}  // namespace
}  // namespace peernet::testing
