// peernetd: arguments → config → Daemon → start → control socket → event
// loop. Everything else lives in the libraries the tests link too.
//
// The daemon never forks itself: --foreground is accepted for symmetry with
// other daemons, and systemd (Type=notify) runs it in the foreground.
// SIGINT/SIGTERM stop it gracefully (local clients get their outstanding
// requests answered `cancelled`, the socket file is removed); SIGHUP
// re-reads the config and the trust list (an invalid config keeps the old
// one).
//
// As root it runs in system mode (/etc, /var/lib, /run) unless --user asks
// for the user-mode XDG paths, as `scripts/dev run` does; --system asks for
// system mode as any user, as the unit (User=peernet) does.
#include <signal.h>
#include <sys/resource.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "control/metrics_http.hpp"
#include "control/server.hpp"
#include "daemon.hpp"
#include "base/log.hpp"
#include "config/paths.hpp"
#include "proto/peer_id.hpp"
#include "service.hpp"
#include "store/state_lock.hpp"
#include "uv/signal.hpp"

namespace {

using namespace peernet;

struct Options {
  std::string config, state_dir, socket, log_level;
  std::vector<std::string> listen;
  bool user = false;
  bool system = false;
};

Result<DefaultPaths> paths_for(const Options& opt) {
  PathEnvironment env = current_path_environment();
  env.force_user_mode = opt.user;
  env.force_system_mode = opt.system;
  return default_paths(env);
}

// Command-line values win over the file; checked like the file's.
Result<Config> load(const Options& opt, const DefaultPaths& paths) {
  namespace fs = std::filesystem;
  bool explicit_config = !opt.config.empty();
  PEERNET_TRY(auto config, load_config(explicit_config ? opt.config : paths.config_file, explicit_config,
                                       default_config(paths)));
  if (!opt.state_dir.empty()) config.daemon.state_dir = fs::absolute(opt.state_dir).lexically_normal();
  if (!opt.socket.empty()) config.control.socket = fs::absolute(opt.socket).lexically_normal();
  if (!opt.log_level.empty()) {
    PEERNET_TRY(config.daemon.log_level, parse_log_level(opt.log_level));
  }
  if (!opt.listen.empty()) {
    config.network.listen.clear();
    for (const auto& text : opt.listen) {
      PEERNET_TRY(auto ep, Endpoint::parse(text, EndpointUse::listen));
      config.network.listen.push_back(std::move(ep));
    }
  }
  PEERNET_TRY_VOID(validate_config(config));
  return config;
}

Status serve(uv_loop_t* loop, const Options& opt, const DefaultPaths& paths, Config config, Logger& log) {
  PEERNET_TRY(auto daemon, Daemon::create(loop, std::move(config), log));
  auto service = Service::create(loop, *daemon, log, Service::Options::from_environment());
  std::printf("peer id: %s\nfingerprint: %s\n", peer_id_text(daemon->identity()).c_str(),
              fingerprint(daemon->identity()).c_str());
  std::fflush(stdout);
  PEERNET_TRY_VOID(daemon->start());

  // Local programs are let in once the daemon can reach its peers.
  auto control_options = ControlServerOptions::from(daemon->config());
  namespace fs = std::filesystem;
  control_options.own_dir =
      fs::path(control_options.path).parent_path() == fs::path(paths.socket_path).parent_path();
  control_options.daemon_name = "peernetd " PEERNET_VERSION;
  PEERNET_TRY(auto control, ControlServer::start(loop, *daemon, log, std::move(control_options)));
  std::printf("control socket: %s\n", control->path().c_str());
  std::fflush(stdout);
  std::unique_ptr<MetricsHttp> metrics_http;  // [metrics] listen, off by default
  if (!daemon->config().metrics.listen.empty()) {
    PEERNET_TRY(metrics_http,
                MetricsHttp::start(loop, *daemon, log, control->counters(), daemon->config().metrics));
    std::printf("metrics: %s\n", metrics_http->url().c_str());
    std::fflush(stdout);
  }

  std::vector<uv::Signal> signals;
  auto on_stop = [&](const char* name) {
    service->stopping();
    log.notice(std::string("received ") + name + ", shutting down");
    // Closing the signal handles once every session is closed lets uv_run
    // return; the control server's connections close on their own.
    control->stop();
    metrics_http.reset();
    daemon->stop([&signals] { signals.clear(); });
  };
  auto on_hup = [&] {
    auto reload = service->reloading();  // READY=1 again when it ends
    log.notice("received SIGHUP, reloading");
    auto fresh = load(opt, paths);
    if (!fresh) return (void)log.fail(std::move(fresh).error(), "reload: keeping the current config");
    (void)daemon->reload(std::move(*fresh));  // logs its own outcome
  };
  for (int signum : {SIGINT, SIGTERM, SIGHUP}) {
    PEERNET_TRY(auto s, uv::Signal::create(loop));
    PEERNET_TRY_VOID(s.start(signum, [=, &on_stop, &on_hup] {
      if (signum == SIGHUP) return on_hup();
      on_stop(signum == SIGINT ? "SIGINT" : "SIGTERM");
    }));
    signals.push_back(std::move(s));
  }
  service->ready();
  log.notice("peernetd " PEERNET_VERSION " running");
  uv_run(loop, UV_RUN_DEFAULT);
  return {};
}

// Every session and control connection is a descriptor; the soft limit
// (often 1024) is the only thing between a busy daemon and EMFILE, and the
// hard limit is ours to take.
void raise_fd_limit(Logger& log) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  // An unlimited hard limit still stops at fs.nr_open (default 2^20).
  rlim_t wanted = rl.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : rl.rlim_max;
  rl.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0)
    log.warning("cannot raise the open-file limit to " + std::to_string(wanted));
}

Status run(const Options& opt, Logger& log) {
  raise_fd_limit(log);
  PEERNET_TRY(auto paths, paths_for(opt));
  PEERNET_TRY(auto config, load(opt, paths));
  log.set_level(config.daemon.log_level);
  PEERNET_TRY_VOID(ensure_private_dir(config.daemon.state_dir));
  PEERNET_TRY(auto lock, StateDirLock::acquire(config.daemon.state_dir));

  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc != 0) return uv::error_from_uv(rc, "event loop");
  Status st = serve(&loop, opt, paths, std::move(config), log);
  uv_run(&loop, UV_RUN_DEFAULT);  // Finish the closes started by the destructors.
  if (int rc = uv_loop_close(&loop); rc != 0 && st) return uv::error_from_uv(rc, "close event loop");
  return st;
}

}  // namespace

int main(int argc, char** argv) {
  // Writes to a peer that reset the connection must fail with EPIPE, not
  // kill the daemon.
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app("peernetd: lets local programs call and send to named handles on trusted peers", "peernetd");
  Options opt;
  app.add_option("-c,--config", opt.config, "Config file (default by mode; must exist when given)");
  app.add_option("--state-dir", opt.state_dir, "State directory (identity, trust list)");
  app.add_option("-l,--listen", opt.listen, "Listen on HOST:PORT instead of network.listen (repeatable)");
  app.add_option("--socket", opt.socket, "Control socket path");
  app.add_option("--log-level", opt.log_level, "error, warning, notice, info or debug");
  auto* user = app.add_flag("--user", opt.user,
                            "User mode even as root: default config, state and socket paths in the XDG "
                            "directories ($XDG_CONFIG_HOME, $XDG_STATE_HOME, $XDG_RUNTIME_DIR) instead of "
                            "/etc, /var/lib and /run");
  app.add_flag("--system", opt.system,
               "System mode as any user: default config, state and socket paths "
               "/etc/peernet/peernetd.toml, /var/lib/peernet and /run/peernet/peernetd.sock "
               "(the system service runs as the user peernet)")
      ->excludes(user);
  bool foreground = true;  // The only mode there is.
  app.add_flag("-f,--foreground", foreground, "Accepted for compatibility: peernetd always runs in the foreground");
  app.set_version_flag("-V,--version", "peernetd " PEERNET_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // The journal timestamps lines itself and reads the "<N>" priority;
  // anywhere else each line carries its own time (UTC) and level.
  StderrSink sink(2, is_journal_stream(2) ? LogFormat::journal : LogFormat::timestamped);
  Logger log(sink);
  if (auto st = run(opt, log); !st.ok()) {
    log.error(st.error().describe());
    return 1;
  }
  return 0;
}
