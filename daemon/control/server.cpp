#include "control/server.hpp"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "config/paths.hpp"
#include "proto/control/control.hpp"

namespace peernet {
namespace {

Error sys_error(Errc code, std::string_view what, int err) {
  return make_error(code, std::string(what) + ": " + ::strerror(err));
}

// What is at `path` now: nothing, a socket nobody listens on (removed
// here), or something we must not touch (an error).
Status clear_stale_socket(const std::string& path, Logger& log) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return sys_error(Errc::io_error, "cannot inspect control socket " + quote(path), errno);
  }
  if (!S_ISSOCK(st.st_mode))
    return make_error(Errc::exists, quote(path) +
                                        " exists and is not a socket; refusing to replace it "
                                        "(remove it, or set control.socket / --socket elsewhere)");

  // Probe: connecting to a socket without a listener is refused at once.
  // Non-blocking, so a listener with a full backlog (EAGAIN) cannot stall
  // startup and still counts as alive.
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error(Errc::io_error, "socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    return make_error(Errc::config_error, "control socket path " + quote(path) + " is too long");
  }
  std::copy(path.begin(), path.end(), addr.sun_path);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS)
    return make_error(Errc::exists, "another process (another peernetd?) is listening on the "
                                    "control socket " + quote(path) +
                                        "; stop it, or set control.socket / --socket elsewhere");
  if (err != ECONNREFUSED)
    return sys_error(Errc::io_error,
                     "cannot tell whether control socket " + quote(path) +
                         " is in use (remove it if no daemon runs)",
                     err);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return sys_error(Errc::io_error, "cannot remove stale control socket " + quote(path), errno);
  log.notice("removed stale control socket " + quote(path) + " (nobody was listening)");
  return {};
}

// Our runtime directory: private, and reachable by the socket's group.
Status prepare_own_dir(const std::string& dir, std::optional<gid_t> group) {
  PEERNET_TRY_VOID(ensure_private_dir(dir));
  if (!group) return {};
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return sys_error(Errc::io_error, "stat " + quote(dir), errno);
  if (st.st_gid != *group && ::chown(dir.c_str(), static_cast<uid_t>(-1), *group) != 0)
    return sys_error(Errc::io_error, "cannot set the group of " + quote(dir), errno);
  // Search only: the group may reach the socket but not list or create.
  if ((st.st_mode & S_IXGRP) == 0 && ::chmod(dir.c_str(), (st.st_mode & 07777) | S_IXGRP) != 0)
    return sys_error(Errc::io_error, "cannot set the mode of " + quote(dir), errno);
  return {};
}

}  // namespace

// getgrnam_r and getpwuid_r want a caller's buffer, and say ERANGE when it
// is too small; `buf` keeps the strings the entry points to.
Result<gid_t> lookup_group(std::string_view name, std::string_view key) {
  std::string n(name);
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(4096);
  int rc;
  while ((rc = ::getgrnam_r(n.c_str(), &gr, buf.data(), buf.size(), &found)) == ERANGE &&
         buf.size() < (size_t{1} << 20))
    buf.resize(buf.size() * 2);
  if (rc != 0)
    return sys_error(Errc::config_error, std::string(key) + ": looking up group " + quote(name), rc);
  if (found == nullptr)
    return make_error(Errc::config_error, std::string(key) + ": no group named " + quote(name));
  return gr.gr_gid;
}

// Runs getgrouplist(3), which reads the group database: a blocking lookup,
// once per connection and only when control.admin_group is set.
bool uid_in_group(uid_t uid, gid_t gid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(4096);
  int rc;
  while ((rc = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found)) == ERANGE &&
         buf.size() < (size_t{1} << 20))
    buf.resize(buf.size() * 2);
  if (rc != 0 || found == nullptr) return false;  // no such user: no groups
  if (pw.pw_gid == gid) return true;
  std::vector<gid_t> groups(64);
  for (int tries = 0; tries < 4; ++tries) {
    int n = static_cast<int>(groups.size());
    if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) >= 0) {
      groups.resize(static_cast<size_t>(n));
      return std::find(groups.begin(), groups.end(), gid) != groups.end();
    }
    // -1: n now holds the number needed.
    groups.resize(std::max(static_cast<size_t>(n), groups.size() * 2));
  }
  return false;
}

ControlServerOptions ControlServerOptions::from(const Config& config) {
  ControlServerOptions o;
  o.path = config.control.socket;
  o.mode = config.control.socket_mode;
  o.group = config.control.socket_group;
  o.admin_group = config.control.admin_group;
  o.write_queue_cap = config.session.write_queue_limit + control::max_message(config.session.max_envelope);
  o.max_clients = config.control.max_clients;
  o.max_clients_per_uid = config.control.max_clients_per_uid;
  o.admin_reserve = config.control.admin_reserve;
  o.pause_reading_above = config.control.pause_reading_above;
  o.write_budget = config.control.write_budget;
  return o;
}

ControlServer::ControlServer(uv_loop_t* loop, Daemon& daemon, Logger& log, ControlServerOptions options)
    : loop_(loop), log_(log), options_(std::move(options)), path_(options_.path), later_(loop) {
  const Config& config = daemon.config();
  ctx_.loop = loop;
  ctx_.daemon = &daemon;
  ctx_.log = &log;
  ctx_.daemon_name = options_.daemon_name;
  ctx_.max_message = control::max_message(config.session.max_envelope);
  ctx_.write_queue_cap = options_.write_queue_cap != 0
                             ? options_.write_queue_cap
                             : ControlServerOptions::from(config).write_queue_cap;
  ctx_.drain_timeout_ms = options_.drain_timeout_ms;
  ctx_.pause_reading_above = options_.pause_reading_above;
  ctx_.write_budget = options_.write_budget;
  ctx_.on_closed = [this](uint64_t id) { on_client_closed(id); };
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(uv_loop_t* loop, Daemon& daemon, Logger& log,
                                                            ControlServerOptions options) {
  if (options.path.empty() || options.path.front() != '/')
    return make_error(Errc::config_error, "control.socket must be an absolute path, not " + quote(options.path));
  std::optional<gid_t> group;
  if (!options.group.empty()) {
    PEERNET_TRY(group, lookup_group(options.group, "control.socket_group"));
  }
  if (!options.is_admin) {
    std::optional<gid_t> admin_gid;
    if (!options.admin_group.empty()) {
      PEERNET_TRY(admin_gid, lookup_group(options.admin_group, "control.admin_group"));
    }
    uid_t self = ::geteuid();
    options.is_admin = [self, admin_gid](const uv::PeerCred& c) {
      return c.uid == 0 || c.uid == self || (admin_gid && uid_in_group(c.uid, *admin_gid));
    };
  }
  if (options.own_dir) {
    std::string dir = std::filesystem::path(options.path).parent_path();
    PEERNET_TRY_VOID(prepare_own_dir(dir, group));
  }
  PEERNET_TRY_VOID(clear_stale_socket(options.path, log));

  std::unique_ptr<ControlServer> server(new ControlServer(loop, daemon, log, std::move(options)));
  uv::PipeListenOptions lo;
  lo.mode = server->options_.mode;
  lo.group = group;
  ControlServer* self = server.get();
  PEERNET_TRY(server->listener_,
              uv::PipeListener::listen(loop, server->path_, lo,
                                       [self](Result<uv::PipeStream> s) { self->on_accept(std::move(s)); }));
  log.info("control socket " + quote(server->path_) + " ready");
  return server;
}

ControlServer::~ControlServer() {
  listener_.close();
  ctx_.on_closed = nullptr;
  // Each client's destructor lets go of its handles and subscription.
  clients_.clear();
}

void ControlServer::refuse(uid_t uid, uint64_t& counter, const std::string& why) {
  ++counter;
  uint64_t now = uv_now(loop_);
  if (refusal_logged_at_.size() >= 1024)
    std::erase_if(refusal_logged_at_, [&](const auto& kv) { return now - kv.second >= 60'000; });
  auto [it, fresh] = refusal_logged_at_.try_emplace(uid, now);
  if (!fresh && now - it->second < 60'000) return;
  it->second = now;
  log_.info("control socket: refusing connections of uid " + std::to_string(uid) + ": " + why +
            " (logged once a minute per uid; see `status` for counts)");
}

void ControlServer::on_accept(Result<uv::PipeStream> stream) {
  if (!stream) return (void)log_.fail(std::move(stream).error(), "control socket", LogLevel::warning);
  if (stopping_) return;
  // On every early return the stream closes as it goes out of scope.
  if (clients_.size() >= options_.max_clients) {
    ++ctx_.counters.clients_refused;
    if (!warned_full_)
      log_.warning("control socket: " + std::to_string(clients_.size()) +
                   " clients connected already; closing new connections");
    warned_full_ = true;
    return;
  }
  warned_full_ = false;
  auto cred = stream->peer_cred();
  if (!cred) return (void)log_.fail(std::move(cred).error(), "control socket: closing a connection", LogLevel::warning);
  bool admin = options_.is_admin(*cred);
  if (!admin) {
    if (clients_.size() + options_.admin_reserve >= options_.max_clients)
      return refuse(cred->uid, ctx_.counters.clients_refused_reserve,
                    std::to_string(clients_.size()) + " clients are connected; the last " +
                        std::to_string(options_.admin_reserve) + " places are kept for admins");
    if (auto it = clients_per_uid_.find(cred->uid);
        it != clients_per_uid_.end() && it->second >= options_.max_clients_per_uid)
      return refuse(cred->uid, ctx_.counters.clients_refused_per_uid,
                    "it has " + std::to_string(it->second) + " connections, control.max_clients_per_uid");
  }
  uint64_t id = ++last_client_id_;
  auto client = std::make_shared<ControlClient>(ctx_, id, std::move(*stream), *cred, admin);
  if (auto st = client->start(); !st)
    return (void)log_.fail(std::move(st).error(), client->tag(), LogLevel::warning);
  ++ctx_.counters.clients_accepted;
  ++ctx_.counters.clients_open;
  ++clients_per_uid_[cred->uid];
  log_.debug(client->tag() + " connected" + (admin ? " (admin)" : ""));
  clients_.emplace(id, std::move(client));
}

void ControlServer::on_client_closed(uint64_t id) {
  auto it = clients_.find(id);
  if (it != clients_.end()) {
    uid_t uid = it->second->cred().uid;
    if (auto n = clients_per_uid_.find(uid); n != clients_per_uid_.end() && --n->second == 0)
      clients_per_uid_.erase(n);
    // The client may be running the callback that closed it: keep it alive
    // until the end of this function.
    auto keep = std::move(it->second);
    clients_.erase(it);
    --ctx_.counters.clients_open;
  }
  maybe_stopped();
}

void ControlServer::stop(DoneCallback done) {
  stop_waiters_.push_back(std::move(done));
  if (!stopping_) {
    stopping_ = true;
    listener_.close();  // libuv removes the socket file
    // Draining may close a client, which erases it: iterate over a copy.
    std::vector<std::shared_ptr<ControlClient>> all;
    for (auto& [id, c] : clients_) all.push_back(c);
    for (auto& c : all) c->drain();
  }
  maybe_stopped();
}

void ControlServer::maybe_stopped() {
  if (!stopping_ || !clients_.empty() || stop_waiters_.empty()) return;
  (void)later_.start(0, 0, [this] {
    auto waiters = std::move(stop_waiters_);
    stop_waiters_.clear();
    // A waiter may destroy the server: nothing touches `this` from here.
    for (auto& w : waiters)
      if (w) w();
  });
}

}  // namespace peernet
