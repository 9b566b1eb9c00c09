#include "discovery/broadcast.hpp"

#include <algorithm>

#include "discovery/interfaces.hpp"
#include "proto/beacon.hpp"

namespace peernet {

BroadcastDiscovery::BroadcastDiscovery(uv_loop_t* loop, Logger& log, Discovery& sink, BroadcastSettings settings)
    : loop_(loop), log_(log), sink_(sink), settings_(std::move(settings)), timer_(loop) {}

Status BroadcastDiscovery::start() {
  PEERNET_TRY(SockAddr any, SockAddr::from_ip("0.0.0.0", settings_.udp_port));
  PEERNET_TRY(udp_, uv::Udp::bind(loop_, any, true));
  PEERNET_TRY_VOID(udp_.set_broadcast(true));
  PEERNET_TRY_VOID(udp_.start_receiving([this](ByteView data, const SockAddr& from) { on_datagram(data, from); }));
  log_.info("broadcast discovery on UDP port " + std::to_string(settings_.udp_port));
  network_changed();
  return {};
}

void BroadcastDiscovery::network_changed() {
  if (!udp_.is_open()) return;
  send_beacons();
  (void)timer_.start(settings_.interval_ms, settings_.interval_ms, [this] { send_beacons(); });
}

void BroadcastDiscovery::stop() {
  timer_.close();
  udp_.close();
}

void BroadcastDiscovery::send_beacons() {
  auto list = list_interfaces();
  if (!list) return log_.debug("broadcast: " + list.error().describe());
  Bytes beacon = encode_beacon(Beacon{settings_.tcp_port, settings_.id});
  for (const NetInterface& i : *list) {
    if (!i.up || i.loopback) continue;
    if (!settings_.interfaces.empty() &&
        std::find(settings_.interfaces.begin(), settings_.interfaces.end(), i.name) == settings_.interfaces.end())
      continue;
    for (const std::string& b : i.broadcast) {
      auto to = SockAddr::from_ip(b, settings_.udp_port);
      Status st = to ? udp_.try_send(beacon, *to) : Status(to.error());
      if (!st && log_.enabled(LogLevel::debug))
        log_.debug("broadcast on " + quote(i.name) + ": " + st.error().describe());
    }
  }
}

void BroadcastDiscovery::on_datagram(ByteView data, const SockAddr& from) {
  auto beacon = parse_beacon(data);
  if (!beacon) {
    if (log_.enabled(LogLevel::debug))
      log_.debug("broadcast: datagram from " + from.to_string() + ": " + beacon.error().message + ", ignoring");
    return;
  }
  if (beacon->key == settings_.id) return;  // our own, looped back
  double ttl = 3.0 * static_cast<double>(settings_.interval_ms) / 1000.0;
  sink_.peer_found(DiscoveredPeer{beacon->key, {Endpoint{from.host(), beacon->port}}, {}, "broadcast", ttl});
}

}  // namespace peernet
