// peernetd.toml, parsed once into a validated, typed struct that is passed
// by const&: no component looks settings up by string, and parsing a string
// needs no filesystem, so it can be tested and fuzzed. etc/peernetd.toml
// documents every key; a test keeps it and this struct in step.
//
// Durations are seconds as double (in the file: a number of seconds or a
// string with a unit, "500ms", "15s", "2m", "1h"); sizes are bytes (an
// integer or "512KiB", "1MiB"). Every error is Errc::config_error with the
// message  FILE:LINE:COL: key "network.listen": <what is wrong>.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/endpoint.hpp"
#include "base/log.hpp"
#include "config/paths.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr uint16_t kDefaultPort = 7469;

// A [[handle]] entry: a handle backed by a program
// (handles/command_handles.hpp). `allow` holds peer ids and trusted aliases as
// written; they are resolved against the trust list when the handles are
// registered. `where` ("FILE:LINE:COL" of the entry) is for messages only
// and takes no part in comparisons.
struct CommandHandleConfig {
  std::string name;                  // a handle name, not starting with "peernet."
  std::vector<std::string> command;  // absolute program path, then fixed args
  std::vector<std::string> allow;    // empty: reachable by nobody
  double timeout = 10;
  uint64_t max_output = 64 << 10;  // stdout bytes
  uint32_t max_concurrent = 4;
  std::string where;

  friend bool operator==(const CommandHandleConfig& a, const CommandHandleConfig& b) {
    return a.name == b.name && a.command == b.command && a.allow == b.allow &&
           a.timeout == b.timeout && a.max_output == b.max_output &&
           a.max_concurrent == b.max_concurrent;
  }
};

struct Config {
  struct Daemon {
    std::string state_dir;  // absolute; default by mode (paths.hpp)
    LogLevel log_level = LogLevel::info;
    friend bool operator==(const Daemon&, const Daemon&) = default;
  } daemon;

  struct Network {
    std::vector<Endpoint> listen{Endpoint{"::", kDefaultPort}};  // empty: accept nothing
    double handshake_timeout = 10;
    uint32_t max_pending_handshakes = 64;  // "full" of the early drop below
    // Pre-auth limits (peers/listener.hpp): per source address (IPv4, IPv6 /64).
    uint32_t max_pending_per_address = 8;   // connections in their handshake
    uint32_t handshake_rate = 20;           // new connections per second (token bucket)
    uint32_t handshake_burst = 5;           // the bucket's size
    // Random early drop as the global cap nears (OpenSSH MaxStartups
    // start:rate:full, full = max_pending_handshakes).
    uint32_t early_drop_start = 32;
    uint32_t early_drop_rate = 30;          // percent, at early_drop_start
    double handshake_timeout_min = 2;       // the deadline shrinks to this at the cap
    double tcp_user_timeout = 20;  // 0: the kernel's default
    std::string monitor = "netlink";  // or "poll" (netmon.hpp)
    double poll_interval = 2;         // the polling monitor's period
    friend bool operator==(const Network&, const Network&) = default;
  } network;

  struct Session {
    double ping_interval = 15;
    double dead_after = 45;  // > ping_interval
    double reconnect_min = 1;
    double reconnect_max = 60;  // >= reconnect_min
    uint64_t max_envelope = 1 << 20;       // 1 KiB .. 64 MiB
    uint64_t write_queue_limit = 4 << 20;  // >= max_envelope
    uint64_t rekey_after_messages = 1000000;
    double rekey_after = 3600;
    double call_timeout = 30;  // default timeout of calls
    friend bool operator==(const Session&, const Session&) = default;
  } session;

  // LAN discovery (discovery/discovery.hpp; README, "Discovery").
  struct Discovery {
    bool mdns = true;
    // mDNS announces no id and no host name outside a pairing window
    // (protocol.md §11.4); false: the open form, id= and host name.
    bool private_announcements = true;
    std::string instance;  // empty: "peernetd-<hostname>-<first 4 chars of id>"
    bool broadcast = false;
    uint16_t broadcast_port = 7470;
    double broadcast_interval = 30;
    std::vector<std::string> interfaces;  // empty: every suitable interface
    friend bool operator==(const Discovery&, const Discovery&) = default;
  } discovery;

  struct Control {
    std::string socket;  // absolute; default by mode (paths.hpp)
    mode_t socket_mode = 0660;
    std::string socket_group;  // empty: the daemon's primary group
    std::string admin_group;   // empty: none (root and the daemon's uid are always admin)
    // Limits (guides/control-api.md, "Limits"; control/server.hpp).
    uint32_t max_clients = 1024;           // connections, all users
    uint32_t max_clients_per_uid = 128;    // connections of one non-admin uid
    uint32_t admin_reserve = 16;           // of max_clients, kept for admins
    uint64_t pause_reading_above = 256 << 10;  // per client: answers queued before its requests wait
    uint64_t write_budget = 64 << 20;      // all clients: answers queued before every client waits
    friend bool operator==(const Control&, const Control&) = default;
  } control;

  // Granted admin access: the peers that may run any command as the
  // daemon's user through the admin handle (command_handles.hpp).
  struct Admin {
    std::vector<std::string> allow;  // peer ids or aliases; empty: off
    double timeout = 60;
    uint64_t max_output = 1 << 20;  // stdout and stderr together
    uint32_t max_concurrent = 4;
    std::string where;  // position of admin.allow, for messages only
    friend bool operator==(const Admin& a, const Admin& b) {
      return a.allow == b.allow && a.timeout == b.timeout && a.max_output == b.max_output &&
             a.max_concurrent == b.max_concurrent;
    }
  } admin;

  // Pairing by code (guides/protocol.md §10; pairing/pairing.hpp).
  struct Pairing {
    double window = 120;      // how long a window opened without --window stays open
    uint32_t attempts = 5;    // failed attempts that close a window
    double find_timeout = 5;  // how long a join looks for the host on the LAN
    friend bool operator==(const Pairing&, const Pairing&) = default;
  } pairing;

  // The optional HTTP endpoint for a Prometheus scrape (control/metrics_http.hpp).
  struct Metrics {
    std::string listen;            // empty: off; "127.0.0.1:9464" (loopback only) or an absolute socket path
    uint32_t max_peers = 256;      // peers with per-peer series, in key order
    uint32_t max_connections = 8;  // concurrent HTTP connections
    uint64_t max_request = 8 << 10;  // bytes of one request's head
    double request_timeout = 10;     // seconds for a connection to send its request
    friend bool operator==(const Metrics&, const Metrics&) = default;
  } metrics;
  std::vector<CommandHandleConfig> handles;  // in file order, names unique

  friend bool operator==(const Config&, const Config&) = default;
};

// The built-in defaults, with the paths of the running mode filled in.
Config default_config(const DefaultPaths& paths);

// Parse `text` (no filesystem access; fuzzable). Keys absent from the text
// keep their value from `base`. `source_name` prefixes error messages.
Result<Config> parse_config(std::string_view text, std::string_view source_name,
                            const Config& base = Config{});

// Read and parse `path`. A missing file is an error when `must_exist` (the
// user named it), else yields `base` (the default path may be absent).
Result<Config> load_config(const std::string& path, bool must_exist, const Config& base = Config{});

// The cross-key rules (dead_after > ping_interval, ...) and path rules,
// for a Config edited after parsing (command-line overrides).
// Errc::config_error naming the keys.
Status validate_config(const Config& config);

// "daemon.state_dir", "network.listen", ..., "handle.name", ...: every key
// the parser accepts, in file order.
std::vector<std::string> config_keys();

}  // namespace peernet
