// Watches the host's links and addresses and reports that something
// changed, so that the daemon resets backoff, re-announces and redials at
// once instead of waiting out a dead session (README, "Discovery").
//
// Two implementations behind one interface: rtnetlink (RTMGRP_LINK,
// RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR on a uv poll handle), which hears
// every change as it happens, and getifaddrs(3) polling, for when netlink
// cannot be opened or the configuration asks for it. Either way `on_change`
// runs once per burst: 100 ms after the last event of it, since a single
// `ip link set up` emits several messages.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/log.hpp"
#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr uint64_t kNetworkDebounceMs = 100;

class NetworkMonitor {
 public:
  virtual ~NetworkMonitor() = default;
  // "netlink" or "poll": what is actually in use.
  virtual std::string_view kind() const = 0;
};

// `mode` is "netlink" (falling back to polling, with a warning, when the
// socket cannot be opened) or "poll".
std::unique_ptr<NetworkMonitor> start_network_monitor(uv_loop_t* loop, Logger& log, std::string_view mode,
                                                      uint64_t poll_interval_ms, std::function<void()> on_change);

// How many link or address messages (RTM_NEWLINK, RTM_DELLINK,
// RTM_NEWADDR, RTM_DELADDR) one netlink datagram holds. Other types are
// skipped; Errc::protocol_error for a header that does not fit the buffer.
Result<size_t> count_netlink_changes(ByteView datagram);

}  // namespace peernet
