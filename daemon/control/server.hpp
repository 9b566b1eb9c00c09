// The control socket: where local programs connect to the daemon
// (guides/control-api.md). One ControlClient per connection.
//
// Before listening, the socket's path is made ready:
//   - its directory is created private (ensure_private_dir) only when it is
//     the daemon's own runtime directory; any other directory must exist
//     and is left as it is. With control.socket_group, our own directory
//     also gets that group and g+x, so the group's members can reach the
//     socket in it;
//   - a socket file nobody listens on (a daemon that crashed) is removed; a
//     socket with a live listener, or a file that is not a socket, makes
//     startup fail with a message that says which.
// The socket gets control.socket_mode and control.socket_group before it
// accepts anyone, and is removed when the server closes.
//
// Connection limits (control-api.md §4): at most max_clients connections;
// the last admin_reserve of them only for admins, and at most
// max_clients_per_uid for one non-admin uid, so that no local user can
// lock the others (or root) out. A refused connection is closed at once,
// counted, and logged at info once per uid per minute.
//
// Authorization (control-api.md §3): a connection's credentials are read
// once, at accept (SO_PEERCRED). It is an admin when its uid is 0, the
// daemon's effective uid, or a member of control.admin_group per the user
// database (primary group or getgrouplist). Only admins may call the
// methods the method table marks admin.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "control/connection.hpp"
#include "daemon.hpp"
#include "base/log.hpp"
#include "uv/pipe.hpp"
#include "uv/timer.hpp"

namespace peernet {

struct ControlServerOptions {
  std::string path;          // the socket
  mode_t mode = 0660;        // control.socket_mode
  std::string group;         // control.socket_group; empty: the daemon's primary group
  std::string admin_group;   // control.admin_group; empty: none
  bool own_dir = false;      // the socket's directory is the daemon's runtime directory
  std::string daemon_name = "peernetd";  // what hello reports
  size_t write_queue_cap = 0;            // per connection; 0: see from()
  size_t max_clients = 1024;             // control.max_clients: more connections are closed at once
  size_t max_clients_per_uid = 128;      // control.max_clients_per_uid (admins are exempt)
  size_t admin_reserve = 16;             // control.admin_reserve: of max_clients, only admins get these
  size_t pause_reading_above = 256 << 10;  // control.pause_reading_above (connection.hpp)
  size_t write_budget = 64 << 20;          // control.write_budget (connection.hpp)
  // A stopping server's wait for a client to read: short, so that a stop
  // (SIGTERM) ends within 2 s whatever clients and peers do.
  uint64_t drain_timeout_ms = 1000;
  // Decides whether a connection is an admin (tests use it to play a
  // non-admin while running as root). Empty: the rule above.
  std::function<bool(const uv::PeerCred&)> is_admin;

  // control.* and the session sizes of `config`: write_queue_cap is
  // session.write_queue_limit plus one maximal control message.
  static ControlServerOptions from(const Config& config);
};

class ControlServer {
 public:
  using DoneCallback = std::function<void()>;

  // Prepares the path, listens, and serves until stop() or destruction.
  // Errors: Errc::config_error (unknown group), Errc::exists (a live socket
  // at the path), Errc::io_error / insecure_file (directory, bind, chmod).
  // `daemon` and `log` must outlive the server.
  static Result<std::unique_ptr<ControlServer>> start(uv_loop_t* loop, Daemon& daemon, Logger& log,
                                                      ControlServerOptions options);
  // Closes at once: the socket file is removed, connections are cut
  // without answers, and their handles and subscriptions are released.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Graceful stop: removes the socket file, then every connection answers
  // its outstanding requests `cancelled`, flushes and closes (bounded by
  // drain_timeout_ms). `done` (optional) runs once, later, when the last
  // connection is closed.
  void stop(DoneCallback done = {});

  const std::string& path() const { return path_; }
  size_t clients() const { return clients_.size(); }
  const ControlCounters& counters() const { return ctx_.counters; }
  // The metrics endpoint counts into the same counters (metrics_http.hpp).
  ControlCounters& counters() { return ctx_.counters; }

 private:
  ControlServer(uv_loop_t* loop, Daemon& daemon, Logger& log, ControlServerOptions options);
  void on_accept(Result<uv::PipeStream> stream);
  void on_client_closed(uint64_t id);
  void maybe_stopped();

  uv_loop_t* loop_;
  Logger& log_;
  ControlServerOptions options_;
  std::string path_;
  ControlContext ctx_;
  uv::PipeListener listener_;
  std::unordered_map<uint64_t, std::shared_ptr<ControlClient>> clients_;
  std::unordered_map<uid_t, size_t> clients_per_uid_;
  std::unordered_map<uid_t, uint64_t> refusal_logged_at_;  // uid -> uv_now of its last log line
  void refuse(uid_t uid, uint64_t& counter, const std::string& why);
  uint64_t last_client_id_ = 0;
  bool stopping_ = false;
  bool warned_full_ = false;
  std::vector<DoneCallback> stop_waiters_;
  uv::Timer later_;  // runs stop waiters from a fresh callback
};

// The gid of a group name; Errc::config_error naming `key` when unknown.
Result<gid_t> lookup_group(std::string_view name, std::string_view key);
// Whether `uid` is a member of `gid` in the user database: its primary
// group or one of its supplementary groups (getgrouplist).
bool uid_in_group(uid_t uid, gid_t gid);

}  // namespace peernet
