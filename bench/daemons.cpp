#include "daemons.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <iterator>

#include "ctl/client.hpp"
#include "util.hpp"

namespace bench {

using namespace peernet;

namespace {

ctl::Client client_of(const DaemonProc& d) {
  auto c = ctl::Client::connect(d.socket);
  if (!c) die(d.name + ": " + c.error().message);
  return std::move(*c);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// False when the daemon exited (its log says why).
bool try_start(const std::string& peernetd, DaemonProc& d, const std::string& config_text) {
  write_file(d.dir + "/peernetd.toml", config_text);
  int64_t t0 = now_ns();
  // PEERNET_BENCH_WRAP="valgrind --tool=callgrind" runs the daemons under a
  // profiler (with --quick counts: it slows them down a lot).
  std::vector<std::string> argv;
  if (const char* wrap = std::getenv("PEERNET_BENCH_WRAP"); wrap && *wrap) {
    std::istringstream words(wrap);
    for (std::string w; words >> w;) argv.push_back(w);
  }
  for (std::string a : {peernetd, std::string("--config"), d.dir + "/peernetd.toml", std::string("--state-dir"),
                        d.dir + "/state", std::string("--socket"), d.socket, std::string("--log-level"),
                        std::string("warning")})
    argv.push_back(a);
  d.pid = spawn(argv, d.log);
  int64_t end = t0 + 60'000'000'000;
  bool sock_up = false, tcp_up = false;
  while (now_ns() < end && !(sock_up && tcp_up)) {
    int status = 0;
    if (::waitpid(d.pid, &status, WNOHANG) == d.pid) {
      d.pid = -1;
      return false;
    }
    if (!sock_up) sock_up = wait_connectable_unix(d.socket, 0);
    if (!tcp_up) tcp_up = wait_connectable_tcp(d.port, 0);
    if (!(sock_up && tcp_up)) ::usleep(100);
  }
  if (!(sock_up && tcp_up)) die(d.name + ": peernetd did not come up within 60 s (log: " + d.log + ")");
  d.startup_ms = static_cast<double>(now_ns() - t0) / 1e6;
  return true;
}

}  // namespace

DaemonProc start_daemon(const std::string& peernetd, const std::string& name, const DaemonOptions& opts) {
  DaemonProc d;
  d.name = name;
  d.dir = make_temp_dir(name);
  d.socket = d.dir + "/peernetd.sock";
  d.log = d.dir + "/peernetd.log";
  d.port = free_port();
  ::mkdir((d.dir + "/state").c_str(), 0700);
  if (!opts.trust_toml.empty()) write_file(d.dir + "/state/trust.toml", opts.trust_toml);
  // Every simulated peer connects from 127.0.0.1, and 32 handshake at
  // once: the limits on connections before authentication (README,
  // "Limits": per source, and random early drop from 32 pending) would
  // measure themselves, not the daemon.
  std::string base = "[network]\nlisten = [\"127.0.0.1:" + std::to_string(d.port) +
                     "\"]\nmax_pending_per_address = 4096\nhandshake_rate = 100000\nhandshake_burst = 100000\n"
                     "early_drop_start = 4096\nmax_pending_handshakes = 4096\n" +
                     opts.extra_config;
  // Multicast stays off the host network.
  if (!try_start(peernetd, d, base + "\n[discovery]\nmdns = false\n"))
    die(name + ": peernetd exited at start: " + read_all(d.log));
  auto c = client_of(d);
  auto ident = c.request<control::method::Identity>({});
  if (!ident) die(name + ": identity: " + ident.error().message);
  d.id = ident->id;
  return d;
}

void stop_daemon(DaemonProc& d) {
  stop_process(d.pid);
  d.pid = -1;
  if (!d.dir.empty()) remove_tree(d.dir);
  d.dir.clear();
}

void trust(const DaemonProc& a, const DaemonProc& b, const std::string& alias) {
  auto c = client_of(a);
  control::TrustAddParams p;
  p.id = b.id;
  p.name = alias;
  p.addrs = std::vector<std::string>{"127.0.0.1:" + std::to_string(b.port)};
  if (auto r = c.request<control::method::TrustAdd>(p); !r) die(a.name + ": trust.add: " + r.error().message);
}

void trust_key(const DaemonProc& a, const PublicKey& key) {
  auto c = client_of(a);
  control::TrustAddParams p;
  p.id = key;
  if (auto r = c.request<control::method::TrustAdd>(p); !r) die(a.name + ": trust.add: " + r.error().message);
}

bool wait_online(const DaemonProc& a, const std::string& peer, int timeout_ms) {
  auto c = client_of(a);
  int64_t end = now_ns() + int64_t{timeout_ms} * 1'000'000;
  while (now_ns() < end) {
    auto peers = c.request<control::method::Peers>({});
    if (!peers) die(a.name + ": peers: " + peers.error().message);
    for (const auto& p : *peers)
      if (p.name == peer && p.state == control::PeerState::online) return true;
    ::usleep(2000);
  }
  return false;
}

}  // namespace bench
