// Real peernetd processes for the benchmarks: each with its own temporary
// config, state directory, control socket and loopback port.
#pragma once

#include <sys/types.h>

#include <string>

#include "proto/keys.hpp"

namespace bench {

struct DaemonProc {
  std::string name;
  std::string dir;     // config, state, socket and log live here
  std::string socket;
  std::string log;
  uint16_t port = 0;
  pid_t pid = -1;
  peernet::PublicKey id;
  double startup_ms = 0;  // spawn until the listener and the control socket accept
};

struct DaemonOptions {
  std::string extra_config;  // appended to the generated peernetd.toml
  std::string trust_toml;    // written to <state>/trust.toml before start
};

// Starts peernetd and waits until both its TCP listener and its control
// socket accept connections.
DaemonProc start_daemon(const std::string& peernetd, const std::string& name, const DaemonOptions& opts = {});
void stop_daemon(DaemonProc& d);

// `a` trusts `b` under `alias` at b's address.
void trust(const DaemonProc& a, const DaemonProc& b, const std::string& alias);
// Trusts a bare key (a simulated peer), without address.
void trust_key(const DaemonProc& a, const peernet::PublicKey& key);
// Waits until `a` reports `peer` online; false after `timeout_ms`.
bool wait_online(const DaemonProc& a, const std::string& peer, int timeout_ms);

}  // namespace bench
