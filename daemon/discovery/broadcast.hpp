// UDP broadcast discovery (off by default): the beacon of proto/beacon.hpp
// sent to the broadcast address of every discovery interface, every
// `interval` and when the network changes; a beacon heard yields its
// sender's address and TCP port as a candidate (ttl: three intervals).
// For networks that filter multicast but pass broadcast.
#pragma once

#include <uv.h>

#include <string>
#include <vector>

#include "discovery/discovery.hpp"
#include "base/log.hpp"
#include "proto/keys.hpp"
#include "uv/timer.hpp"
#include "uv/udp.hpp"

namespace peernet {

struct BroadcastSettings {
  uint16_t udp_port = 7470;
  uint64_t interval_ms = 30'000;
  std::vector<std::string> interfaces;
  uint16_t tcp_port = 0;  // ours, announced
  PublicKey id;
};

class BroadcastDiscovery {
 public:
  BroadcastDiscovery(uv_loop_t* loop, Logger& log, Discovery& sink, BroadcastSettings settings);
  BroadcastDiscovery(const BroadcastDiscovery&) = delete;
  BroadcastDiscovery& operator=(const BroadcastDiscovery&) = delete;

  Status start();
  // Sends a beacon now (and restarts the interval).
  void network_changed();
  void stop();

 private:
  void send_beacons();
  void on_datagram(ByteView data, const SockAddr& from);

  uv_loop_t* loop_;
  Logger& log_;
  Discovery& sink_;
  BroadcastSettings settings_;
  uv::Udp udp_;
  uv::Timer timer_;
};

}  // namespace peernet
