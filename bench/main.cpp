// peernet-bench: the whole stack against the floor and against CurveZMQ.
//
//   peernet-bench [--peernetd PATH] [--json PATH] [--quick]
//   peernet-bench fwd LISTEN CONNECT [seal]     (a floor forwarder; internal)
//   peernet-bench profile stream|send|calls COUNT [PAYLOAD|WINDOW] [--peernetd PATH]
//       one workload on a fresh pair of daemons, for a profiler
//       (PEERNET_BENCH_WRAP): prints its rate and each daemon's CPU time
//
// Starts real peernetd processes on loopback with temporary state, measures
// the full path (client -> daemon A -> Noise/TCP -> daemon B -> handler ->
// back), the baselines in the same run, and prints one table with ratios
// next to each row and the targets they are held to. Numbers from a shared
// machine vary from run to run; the ratios within one run are what count.
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "ctl/client.hpp"
#include "daemons.hpp"
#include "floor.hpp"
#include "peernet_path.hpp"
#include "proto/peer_id.hpp"
#include "sim_peer.hpp"
#include "util.hpp"
#include "zmq_curve.hpp"

using namespace bench;
using nlohmann::json;
using peernet::Bytes;

namespace {

struct Counts {
  size_t latency_calls = 20'000;
  size_t window_calls = 20'000;
  size_t small_sends = 100'000;
  size_t large_sends = 2'000;
  // Streamed sends go faster: more of them, for runs as long as the others'.
  size_t small_streamed = 400'000;
  size_t large_streamed = 5'000;
  size_t burst = 200'000;
  size_t connects = 200;
  double handshake_seconds = 3;
  size_t scale_small = 1'000;
  size_t scale_large = 10'000;
  double idle_seconds = 5;
};

constexpr size_t kSmall = 64;
constexpr size_t kLarge = 64 * 1024;

json latency_json(const Percentiles& p) {
  return {{"p50_us", p.p50}, {"p90_us", p.p90}, {"p99_us", p.p99}, {"max_us", p.max}, {"n", p.n}};
}

json send_json(const SendStats& s, size_t payload) {
  double rate = static_cast<double>(s.received) / s.seconds;
  return {{"sent", s.sent},
          {"delivered", s.delivered},
          {"dropped_reported", s.dropped},
          {"received", s.received},
          {"unaccounted", s.unaccounted()},
          {"seconds", s.seconds},
          {"msgs_per_s", rate},
          {"mb_per_s", rate * static_cast<double>(payload) / 1e6}};
}

void note(const std::string& what) {
  std::fflush(stdout);  // after the table lines already printed, on a terminal too
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  std::fflush(stderr);
}

std::string machine() {
  utsname u{};
  ::uname(&u);
  std::string os = "Linux";
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) os = line.substr(13, line.size() - 14);
  std::string cpu;
  std::ifstream ci("/proc/cpuinfo");
  while (std::getline(ci, line))
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return std::to_string(std::thread::hardware_concurrency()) + " cores (" + cpu + "), " + os + ", kernel " +
         u.release;
}

// The daemon's CPU use while `during` runs, in percent of one core.
double cpu_percent(pid_t pid, const std::function<void()>& during) {
  uint64_t before = cpu_ticks(pid);
  int64_t t0 = now_ns();
  during();
  double elapsed = seconds_since(t0);
  return 100.0 * static_cast<double>(cpu_ticks(pid) - before) / ticks_per_second() / elapsed;
}

// ---- the sections ----

// One system under test on the path: calls with a window of outstanding
// calls, sends of a payload size. Empty functions: not measured.
struct PathSystem {
  std::string key;  // its object in the JSON
  std::function<CallStats(size_t window, size_t total)> calls;
  std::function<SendStats(size_t total, size_t payload)> sends;
  std::set<size_t> windows;  // call windows it supports
  std::vector<pid_t> pids;   // processes whose CPU time each message costs
  bool streamed = false;     // sends: the streamed counts
};

uint64_t ticks_of(const std::vector<pid_t>& pids) {
  uint64_t t = 0;
  for (pid_t p : pids) t += cpu_ticks(p);
  return t;
}

// CPU time of a system's processes per message, microseconds.
double cpu_us_per(uint64_t ticks, uint64_t messages) {
  return messages ? static_cast<double>(ticks) / ticks_per_second() * 1e6 / static_cast<double>(messages) : 0.0;
}

// The path measurements, interleaved: every metric is measured in `rounds`
// slices, each system in turn, so that the load others put on a shared
// machine falls on all systems alike and the ratios stay meaningful.
void run_path(std::vector<PathSystem>& systems, const Counts& n, int rounds, json& out) {
  auto slice = [&](size_t total) { return std::max<size_t>(1, total / static_cast<size_t>(rounds)); };
  for (size_t w : {size_t{1}, size_t{16}, size_t{256}}) {
    note("path: calls, " + std::to_string(w) + " outstanding");
    std::map<std::string, CallStats> acc;
    std::map<std::string, uint64_t> ticks;
    for (int r = 0; r < rounds; ++r)
      for (auto& s : systems) {
        if (!s.calls || !s.windows.count(w)) continue;
        uint64_t t0 = ticks_of(s.pids);
        CallStats st = s.calls(w, slice(w == 1 ? n.latency_calls : n.window_calls));
        ticks[s.key] += ticks_of(s.pids) - t0;
        CallStats& a = acc[s.key];
        a.latency_ns.insert(a.latency_ns.end(), st.latency_ns.begin(), st.latency_ns.end());
        a.seconds += st.seconds;
        a.errors += st.errors;
      }
    for (auto& [key, a] : acc) {
      json& o = out[key];
      if (w == 1) o["call_latency"] = latency_json(percentiles(a.latency_ns));
      o["calls_per_s"][std::to_string(w)] = static_cast<double>(a.latency_ns.size()) / a.seconds;
      o["call_errors"] = o.value("call_errors", uint64_t{0}) + a.errors;
      if (ticks[key]) o["cpu_us_per_call"][std::to_string(w)] = cpu_us_per(ticks[key], a.latency_ns.size());
    }
  }
  for (size_t payload : {kSmall, kLarge}) {
    note("path: sends of " + std::to_string(payload) + " bytes");
    std::map<std::string, SendStats> acc;
    std::map<std::string, uint64_t> ticks;
    for (int r = 0; r < rounds; ++r)
      for (auto& s : systems) {
        if (!s.sends) continue;
        uint64_t t0 = ticks_of(s.pids);
        size_t total = s.streamed ? (payload == kSmall ? n.small_streamed : n.large_streamed)
                                  : (payload == kSmall ? n.small_sends : n.large_sends);
        SendStats st = s.sends(slice(total), payload);
        ticks[s.key] += ticks_of(s.pids) - t0;
        SendStats& a = acc[s.key];
        a.sent += st.sent;
        a.delivered += st.delivered;
        a.dropped += st.dropped;
        a.received += st.received;
        a.seconds += st.seconds;
      }
    for (auto& [key, a] : acc) {
      json& o = out[key][payload == kSmall ? "send_64" : "send_64k"];
      o = send_json(a, payload);
      if (ticks[key]) o["cpu_us_per_send"] = cpu_us_per(ticks[key], a.received);
    }
  }
}

void run_all_paths(const std::string& peernetd, const Counts& n, bool with_peernet, bool with_floor, bool with_zmq,
                   json& out) {
  std::optional<DaemonProc> a, b;
  std::unique_ptr<Handler> handler;
  std::unique_ptr<RpcConn> conn;
  std::unique_ptr<Floor> floor, sealed;
  std::unique_ptr<ZmqCurve> zmq;
  std::vector<PathSystem> systems;
  Bytes small = msgpack_payload(kSmall), large = msgpack_payload(kLarge);
  if (with_peernet) {
    note("peernetd: starting daemons a and b");
    a = start_daemon(peernetd, "a");
    b = start_daemon(peernetd, "b");
    out["peernetd"]["startup_ms"] = {a->startup_ms, b->startup_ms};
    trust(*a, *b, "b");
    trust(*b, *a, "a");
    if (!wait_online(*a, "b", 15000)) die("a and b did not connect (logs: " + a->log + ", " + b->log + ")");
    handler = std::make_unique<Handler>(b->socket);
    conn = std::make_unique<RpcConn>(a->socket);
    (void)run_calls(*conn, "b", 16, 2000, small);  // warm-up
    systems.push_back({"peernetd",
                       [&](size_t w, size_t total) { return run_calls(*conn, "b", w, total, small); },
                       [&](size_t total, size_t payload) {
                         return run_sends(*conn, *handler, "b", payload == kSmall ? 256 : 32, total,
                                          payload == kSmall ? small : large);
                       },
                       {1, 16, 256},
                       {a->pid, b->pid}});
    // The streamed form, its rows moved under "peernetd" after the run.
    systems.push_back({"peernetd_stream",
                       {},
                       [&](size_t total, size_t payload) {
                         return run_stream_sends(*conn, *handler, "b", total, payload == kSmall ? small : large);
                       },
                       {},
                       {a->pid, b->pid},
                       true});
  }
  if (with_floor) {
    note("floor: forwarders, plain and sealing");
    floor = std::make_unique<Floor>(false);
    sealed = std::make_unique<Floor>(true);
    for (auto* f : {floor.get(), sealed.get()}) {
      (void)f->calls(16, 2000, kSmall);
      systems.push_back({f == floor.get() ? "floor" : "encrypted_floor",
                         [f](size_t w, size_t total) { return f->calls(w, total, kSmall); },
                         [f](size_t total, size_t payload) { return f->sends(total, payload); },
                         {1, 16, 256},
                         f->pids()});
    }
  }
  if (with_zmq) {
    note("CurveZMQ: REQ/REP, PUSH/PULL");
    zmq = std::make_unique<ZmqCurve>();
    (void)zmq->req_rep(2000, kSmall);
    systems.push_back({"curvezmq", [&](size_t, size_t total) { return zmq->req_rep(total, kSmall); },
                       [&](size_t total, size_t payload) { return zmq->push_pull(total, payload); },
                       {1},
                       {}});
  }
  run_path(systems, n, 5, out);
  if (out.contains("peernetd_stream")) {
    out["peernetd"]["stream_64"] = out["peernetd_stream"]["send_64"];
    out["peernetd"]["stream_64k"] = out["peernetd_stream"]["send_64k"];
    out.erase("peernetd_stream");
  }
  if (zmq) out["curvezmq"]["connect_first_reply"] = latency_json(percentiles(zmq->connect_first_reply(n.connects, kSmall)));
  if (!with_peernet) return;

  json& p = out["peernetd"];
  note("peernetd: burst of " + std::to_string(n.burst) + " sends");
  uint64_t rss_a = rss_bytes(a->pid), rss_b = rss_bytes(b->pid);
  auto burst = run_sends(*conn, *handler, "b", 0, n.burst, small);
  json bj = send_json(burst, kSmall);
  bj["rss_before_a"] = rss_a;
  bj["rss_before_b"] = rss_b;
  bj["peak_rss_a"] = peak_rss_bytes(a->pid);
  bj["peak_rss_b"] = peak_rss_bytes(b->pid);
  auto after = run_calls(*conn, "b", 1, 10, small);
  bj["session_survived"] = after.errors == 0 && wait_online(*a, "b", 1000);
  p["burst"] = bj;

  note("peernetd: connect to first reply, handshakes per second");
  auto keys = make_keys(33);
  for (const auto& k : keys) trust_key(*b, k.pub);
  p["connect_first_reply"] = latency_json(percentiles(connect_first_reply(b->port, keys[32], n.connects, small)));
  {
    Swarm swarm(b->port, keys);
    uint64_t failures = 0;
    uint64_t ticks = cpu_ticks(b->pid);
    int64_t t0 = now_ns();
    double rate = swarm.handshake_rate(32, n.handshake_seconds, &failures);
    double cpu_s = static_cast<double>(cpu_ticks(b->pid) - ticks) / ticks_per_second();
    p["handshakes_per_s"] = rate;
    // The load generator shares the machine: what one core of the daemon
    // could accept is the count over the daemon's own CPU time.
    p["handshakes_per_daemon_cpu_s"] = cpu_s > 0 ? rate * seconds_since(t0) / cpu_s : 0.0;
    p["handshake_failures"] = failures;
  }
  conn.reset();
  handler.reset();
  note("peernetd: idle daemon with one peer");
  p["idle_cpu_percent_1_peer"] = cpu_percent(a->pid, [&] { ::usleep(static_cast<useconds_t>(n.idle_seconds * 1e6)); });
  stop_daemon(*a);
  stop_daemon(*b);
}

void run_footprint(const std::string& peernetd, const Counts& n, json& out) {
  note("footprint: idle daemon, 0 and 2 peers; start-up time");
  std::vector<double> startups;
  for (int i = 0; i < 5; ++i) {
    DaemonProc d = start_daemon(peernetd, "f");
    startups.push_back(d.startup_ms);
    stop_daemon(d);
  }
  std::sort(startups.begin(), startups.end());
  out["startup_ms_median"] = startups[startups.size() / 2];
  auto keys = make_keys(2);
  std::string trust_toml;
  for (const auto& k : keys) trust_toml += "[[peer]]\nid = \"" + peernet::peer_id_text(k.pub) + "\"\n";
  DaemonProc d = start_daemon(peernetd, "f", {.extra_config = "", .trust_toml = trust_toml});
  ::usleep(300'000);
  out["idle_rss_0_peers"] = rss_bytes(d.pid);
  out["idle_pss_0_peers"] = pss_bytes(d.pid);
  out["idle_private_0_peers"] = private_bytes(d.pid);
  out["idle_cpu_percent_0_peers"] = cpu_percent(d.pid, [&] { ::usleep(static_cast<useconds_t>(n.idle_seconds * 1e6)); });
  Swarm swarm(d.port, keys);
  if (!swarm.open(2, 2, 10)) die("footprint: 2 sessions did not open");
  swarm.idle(0.3);
  out["idle_rss_2_peers"] = rss_bytes(d.pid);
  out["idle_private_2_peers"] = private_bytes(d.pid);
  out["idle_cpu_percent_2_peers"] = cpu_percent(d.pid, [&] { swarm.idle(n.idle_seconds); });
  stop_daemon(d);
}

void run_scale(const std::string& peernetd, const Counts& n, json& out) {
  note("scale: " + std::to_string(n.scale_large) + " keys and a trust list of as many entries");
  auto keys = make_keys(n.scale_large);
  std::string trust_toml;
  trust_toml.reserve(n.scale_large * 90);
  for (const auto& k : keys) trust_toml += "[[peer]]\nid = \"" + peernet::peer_id_text(k.pub) + "\"\n";
  out["trust_file_bytes"] = trust_toml.size();
  DaemonProc d = start_daemon(peernetd, "scale", {.extra_config = "", .trust_toml = trust_toml});
  ::usleep(300'000);
  uint64_t rss0 = rss_bytes(d.pid);
  out["rss_0_sessions"] = rss0;
  Swarm swarm(d.port, keys);
  for (size_t target : {n.scale_small, n.scale_large}) {
    note("scale: opening " + std::to_string(target) + " sessions");
    int64_t t0 = now_ns();
    bool ok = swarm.open(target, 32, 120);
    json s;
    s["opened"] = swarm.open_count();
    s["all_opened"] = ok;
    s["open_seconds"] = seconds_since(t0);
    swarm.idle(0.5);
    uint64_t rss = rss_bytes(d.pid);
    s["rss"] = rss;
    s["rss_per_session"] = swarm.open_count() ? static_cast<double>(rss - rss0) / static_cast<double>(swarm.open_count()) : 0.0;
    s["idle_cpu_percent"] = cpu_percent(d.pid, [&] { swarm.idle(n.idle_seconds); });
    out[std::to_string(target)] = s;
    out["largest"] = s;
    out["largest"]["sessions_wanted"] = target;
    if (!ok) break;
  }
  stop_daemon(d);
}

// ---- the table ----

std::optional<double> get(const json& j, const std::string& pointer) {
  auto p = json::json_pointer(pointer);
  if (!j.contains(p) || !j.at(p).is_number()) return std::nullopt;
  return j.at(p).get<double>();
}

struct Row {
  std::string label;
  std::string path;    // json pointer below each system
  double scale = 1;    // value shown = value * scale
  int decimals = 0;
  bool lower_better = false;
  std::string baseline_path = {};  // below the baselines, when not `path`
};

const json& sub(const json& j, const std::string& key) {
  static const json empty = json::object();
  return j.is_object() && j.contains(key) ? j[key] : empty;
}

std::string cell(std::optional<double> v, int decimals) { return v ? fmt(*v, decimals) : "-"; }

std::string ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return "-";
  return fmt(*a / *b, 2) + "x";
}

void print_table(const json& r) {
  const json& p = sub(r, "peernetd");
  const json& f = sub(r, "floor");
  const json& e = sub(r, "encrypted_floor");
  const json& z = sub(r, "curvezmq");
  std::printf("\npeernetd benchmark: %s\n", r["machine"].get<std::string>().c_str());
  std::printf("Numbers from a shared machine; compare the ratios within one run.\n\n");
  std::printf("%-34s %12s %12s %12s %12s %9s %9s\n", "metric", "peernetd", "floor", "enc. floor", "CurveZMQ",
              "/enc.fl", "/ZMQ");
  Row rows[] = {
      {"call latency p50 (us)", "/call_latency/p50_us", 1, 1, true},
      {"call latency p90 (us)", "/call_latency/p90_us", 1, 1, true},
      {"call latency p99 (us)", "/call_latency/p99_us", 1, 1, true},
      {"call latency max (us)", "/call_latency/max_us", 1, 1, true},
      {"calls/s, 1 outstanding", "/calls_per_s/1", 1, 0},
      {"calls/s, 16 outstanding", "/calls_per_s/16", 1, 0},
      {"calls/s, 256 outstanding", "/calls_per_s/256", 1, 0},
      {"send 64 B (msgs/s)", "/send_64/msgs_per_s", 1, 0},
      {"send 64 B (MB/s)", "/send_64/mb_per_s", 1, 1},
      {"send 64 B unaccounted", "/send_64/unaccounted", 1, 0},
      {"stream 64 B (msgs/s)", "/stream_64/msgs_per_s", 1, 0, false, "/send_64/msgs_per_s"},
      {"stream 64 B (MB/s)", "/stream_64/mb_per_s", 1, 1, false, "/send_64/mb_per_s"},
      {"stream 64 B unaccounted", "/stream_64/unaccounted", 1, 0},
      {"send 64 KiB (msgs/s)", "/send_64k/msgs_per_s", 1, 0},
      {"send 64 KiB (MB/s)", "/send_64k/mb_per_s", 1, 1},
      {"send 64 KiB unaccounted", "/send_64k/unaccounted", 1, 0},
      {"stream 64 KiB (msgs/s)", "/stream_64k/msgs_per_s", 1, 0, false, "/send_64k/msgs_per_s"},
      {"stream 64 KiB (MB/s)", "/stream_64k/mb_per_s", 1, 1, false, "/send_64k/mb_per_s"},
      {"stream 64 KiB unaccounted", "/stream_64k/unaccounted", 1, 0},
      {"CPU us per call, 1 outstanding (*)", "/cpu_us_per_call/1", 1, 1, true},
      {"CPU us per call, 256 outstanding (*)", "/cpu_us_per_call/256", 1, 1, true},
      {"CPU us per send 64 B (*)", "/send_64/cpu_us_per_send", 1, 2, true},
      {"CPU us per send 64 KiB (*)", "/send_64k/cpu_us_per_send", 1, 1, true},
      {"CPU us per stream 64 B (*)", "/stream_64/cpu_us_per_send", 1, 2, true, "/send_64/cpu_us_per_send"},
      {"CPU us per stream 64 KiB (*)", "/stream_64k/cpu_us_per_send", 1, 1, true, "/send_64k/cpu_us_per_send"},
      {"connect to first reply p50 (ms)", "/connect_first_reply/p50_us", 1e-3, 3, true},
      {"connect to first reply p99 (ms)", "/connect_first_reply/p99_us", 1e-3, 3, true},
  };
  for (const Row& row : rows) {
    auto s = [&](const json& j, const std::string& path) -> std::optional<double> {
      auto v = get(j, path);
      if (v) *v *= row.scale;
      return v;
    };
    const std::string& base = row.baseline_path.empty() ? row.path : row.baseline_path;
    auto pv = s(p, row.path), fv = s(f, base), ev = s(e, base), zv = s(z, base);
    std::printf("%-34s %12s %12s %12s %12s %9s %9s\n", row.label.c_str(), cell(pv, row.decimals).c_str(),
                cell(fv, row.decimals).c_str(), cell(ev, row.decimals).c_str(), cell(zv, row.decimals).c_str(),
                ratio(pv, ev).c_str(), ratio(pv, zv).c_str());
  }
  std::printf("(*) CPU time of both daemons (peernetd) or both forwarders (floors) per message\n");
  std::printf("stream rows: peernetd's streamed sends (no answer each) beside the baselines' sends\n");
  auto mib = [](std::optional<double> v) { return v ? fmt(*v / 1048576.0, 2) + " MiB" : std::string("-"); };
  auto kib = [](std::optional<double> v) { return v ? fmt(*v / 1024.0, 1) + " KiB" : std::string("-"); };
  const json& b = sub(p, "burst");
  std::printf("\n%-44s %s\n", "burst: sends", cell(get(b, "/sent"), 0).c_str());
  std::printf("%-44s %s delivered, %s dropped (reported), %s unaccounted\n", "burst: outcome",
              cell(get(b, "/received"), 0).c_str(), cell(get(b, "/dropped_reported"), 0).c_str(),
              cell(get(b, "/unaccounted"), 0).c_str());
  std::printf("%-44s %s msgs/s\n", "burst: rate at the handler", cell(get(b, "/msgs_per_s"), 0).c_str());
  std::printf("%-44s a %s -> peak %s, b %s -> peak %s\n", "burst: daemon RSS", mib(get(b, "/rss_before_a")).c_str(),
              mib(get(b, "/peak_rss_a")).c_str(), mib(get(b, "/rss_before_b")).c_str(),
              mib(get(b, "/peak_rss_b")).c_str());
  std::printf("%-44s %s\n", "burst: session survived",
              b.contains("session_survived") && b["session_survived"].get<bool>() ? "yes" : "no");
  std::printf("%-44s %s\n", "handshakes/s accepted (32 concurrent)", cell(get(p, "/handshakes_per_s"), 0).c_str());
  std::printf("%-44s %s\n", "handshakes per daemon CPU second", cell(get(p, "/handshakes_per_daemon_cpu_s"), 0).c_str());
  const json& fp = sub(r, "footprint");
  std::printf("%-44s %s ms\n", "start-up to accepting (median of 5)", cell(get(fp, "/startup_ms_median"), 1).c_str());
  std::printf("%-44s %s\n", "idle daemon RSS, 0 peers", mib(get(fp, "/idle_rss_0_peers")).c_str());
  std::printf("%-44s %s\n", "idle daemon RSS, 2 peers", mib(get(fp, "/idle_rss_2_peers")).c_str());
  std::printf("%-44s %s PSS, %s private (0 peers); %s private (2 peers)\n", "idle daemon, not shared with others",
              mib(get(fp, "/idle_pss_0_peers")).c_str(), mib(get(fp, "/idle_private_0_peers")).c_str(),
              mib(get(fp, "/idle_private_2_peers")).c_str());
  std::printf("%-44s %s %% / %s %%\n", "idle CPU, 0 / 2 peers",
              cell(get(fp, "/idle_cpu_percent_0_peers"), 2).c_str(),
              cell(get(fp, "/idle_cpu_percent_2_peers"), 2).c_str());
  const json& sc = sub(r, "scale");
  for (const auto& [k, v] : sc.items()) {
    if (!v.is_object() || k == "largest") continue;
    std::string base = "/" + k;
    std::printf("%-44s %s sessions, RSS %s, %s per session, idle CPU %s %%\n",
                ("scale: " + k + " idle sessions").c_str(), cell(get(sc, base + "/opened"), 0).c_str(),
                mib(get(sc, base + "/rss")).c_str(), kib(get(sc, base + "/rss_per_session")).c_str(),
                cell(get(sc, base + "/idle_cpu_percent"), 2).c_str());
  }
  std::printf("\n");
}

// Targets, checked from the results of this run.
json check_targets(const json& r) {
  json t = json::array();
  auto add = [&](const std::string& what, std::optional<double> value, std::optional<double> limit, bool at_most,
                 const std::string& unit) {
    bool met = value && limit && (at_most ? *value <= *limit : *value >= *limit);
    t.push_back({{"target", what}, {"value", value ? json(*value) : json()}, {"limit", limit ? json(*limit) : json()},
                 {"unit", unit}, {"met", met}});
  };
  auto mul = [](std::optional<double> v, double k) { return v ? std::optional<double>(*v * k) : std::nullopt; };
  const json& p = sub(r, "peernetd");
  const json& e = sub(r, "encrypted_floor");
  const json& z = sub(r, "curvezmq");
  add("call p50 <= 1.15x encrypted floor", get(p, "/call_latency/p50_us"), mul(get(e, "/call_latency/p50_us"), 1.15), true, "us");
  add("call p99 <= 1.3x encrypted floor", get(p, "/call_latency/p99_us"), mul(get(e, "/call_latency/p99_us"), 1.3), true, "us");
  add("stream 64 B >= 2.5x CurveZMQ", get(p, "/stream_64/msgs_per_s"), mul(get(z, "/send_64/msgs_per_s"), 2.5), false, "msgs/s");
  add("stream 64 B >= 1.0x encrypted floor", get(p, "/stream_64/msgs_per_s"), mul(get(e, "/send_64/msgs_per_s"), 1.0), false, "msgs/s");
  add("stream 64 KiB >= 0.9x encrypted floor", get(p, "/stream_64k/mb_per_s"), mul(get(e, "/send_64k/mb_per_s"), 0.9), false, "MB/s");
  add("stream 64 KiB >= 1.5x CurveZMQ", get(p, "/stream_64k/mb_per_s"), mul(get(z, "/send_64k/mb_per_s"), 1.5), false, "MB/s");
  add("calls/s, 256 outstanding >= 0.8x encrypted floor", get(p, "/calls_per_s/256"), mul(get(e, "/calls_per_s/256"), 0.8), false, "1/s");
  // Unmet, and shown as "-", unless every send row ran.
  std::optional<double> unaccounted;
  auto u64 = get(p, "/send_64/unaccounted"), u64k = get(p, "/send_64k/unaccounted"), ub = get(p, "/burst/unaccounted");
  auto s64 = get(p, "/stream_64/unaccounted"), s64k = get(p, "/stream_64k/unaccounted");
  if (u64 && u64k && ub && s64 && s64k) unaccounted = *u64 + *u64k + *ub + *s64 + *s64k;
  add("sends: sent - received - reported dropped == 0", unaccounted, 0.0, true, "messages");
  add("connect to first reply p50 <= 0.5 ms", mul(get(p, "/connect_first_reply/p50_us"), 1e-3), 0.5, true, "ms");
  add(">= 3000 handshakes/s accepted", get(p, "/handshakes_per_s"), 3000.0, false, "1/s");
  add("idle daemon RSS <= 8 MiB", mul(get(sub(r, "footprint"), "/idle_rss_0_peers"), 1.0 / 1048576), 8.0, true, "MiB");
  add("<= 16 KiB per idle session at 10,000", mul(get(sub(r, "scale"), "/largest/rss_per_session"), 1.0 / 1024), 16.0, true, "KiB");
  add("idle CPU 0% (2 peers, 5 s)", get(sub(r, "footprint"), "/idle_cpu_percent_2_peers"), 0.0, true, "%");
  bool survived = sub(p, "burst").value("session_survived", false);
  add("burst: session survives", survived ? 1.0 : 0.0, 1.0, false, "");
  std::printf("targets:\n");
  for (const auto& row : t) {
    std::printf("  %-52s %-5s %s (limit %s %s)\n", row["target"].get<std::string>().c_str(),
                row["met"].get<bool>() ? "met" : "UNMET",
                row["value"].is_null() ? "-" : fmt(row["value"].get<double>(), 3).c_str(),
                row["limit"].is_null() ? "-" : fmt(row["limit"].get<double>(), 3).c_str(),
                row["unit"].get<std::string>().c_str());
  }
  return t;
}

// One workload alone, so that a profiler wrapped around the daemons
// (PEERNET_BENCH_WRAP="valgrind --tool=callgrind") sees only it.
int profile_main(const std::string& peernetd, int argc, char** argv) {
  if (argc < 4) die("usage: peernet-bench profile stream|send|calls COUNT [PAYLOAD|WINDOW]");
  std::string what = argv[2];
  size_t count = std::stoul(argv[3]);
  size_t extra = argc > 4 ? std::stoul(argv[4]) : (what == "calls" ? 256 : kSmall);
  DaemonProc a = start_daemon(peernetd, "a");
  DaemonProc b = start_daemon(peernetd, "b");
  trust(a, b, "b");
  trust(b, a, "a");
  if (!wait_online(a, "b", 60000)) die("a and b did not connect");
  {
    Handler handler(b.socket);
    RpcConn conn(a.socket);
    Bytes payload = msgpack_payload(what == "calls" ? kSmall : extra);
    uint64_t ta = cpu_ticks(a.pid), tb = cpu_ticks(b.pid);
    double seconds = 0, n = 0;
    if (what == "calls") {
      auto st = run_calls(conn, "b", extra, count, payload);
      seconds = st.seconds;
      n = static_cast<double>(st.latency_ns.size());
    } else {
      auto st = what == "stream" ? run_stream_sends(conn, handler, "b", count, payload)
                                 : run_sends(conn, handler, "b", extra == kSmall ? 256 : 32, count, payload);
      seconds = st.seconds;
      n = static_cast<double>(st.received);
      std::printf("sent %llu, received %llu, dropped %llu\n", static_cast<unsigned long long>(st.sent),
                  static_cast<unsigned long long>(st.received), static_cast<unsigned long long>(st.dropped));
    }
    std::printf("%s: %.0f per second; CPU us per message: a %.2f, b %.2f\n", what.c_str(), n / seconds,
                cpu_us_per(cpu_ticks(a.pid) - ta, static_cast<uint64_t>(n)),
                cpu_us_per(cpu_ticks(b.pid) - tb, static_cast<uint64_t>(n)));
  }
  stop_daemon(a);
  stop_daemon(b);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that went away is an error we report, not a silent death.
  ::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && std::strcmp(argv[1], "fwd") == 0) return fwd_main(argc, argv);
  std::string peernetd = (std::filesystem::path(self_exe()).parent_path().parent_path() / "daemon" / "peernetd").string();
  if (argc > 1 && std::strcmp(argv[1], "profile") == 0) {
    if (argc > 3 && std::strcmp(argv[argc - 2], "--peernetd") == 0) {
      peernetd = argv[argc - 1];
      argc -= 2;
    }
    return profile_main(peernetd, argc, argv);
  }
  std::string json_path;
  std::string only;
  Counts n;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--peernetd") {
      peernetd = value();
    } else if (a == "--json") {
      json_path = value();
    } else if (a == "--only") {
      only = "," + value() + ",";
    } else if (a == "--quick") {
      n = Counts{2000, 2000, 10000, 200, 40000, 500, 20000, 50, 1, 200, 1000, 1};
    } else {
      die("usage: peernet-bench [--peernetd PATH] [--json PATH] [--quick] [--only peernetd,floor,zmq,footprint,scale]");
    }
  }
  auto want = [&](const char* s) { return only.empty() || only.find("," + std::string(s) + ",") != std::string::npos; };
  uint64_t nofile = raise_nofile();
  // The simulated peers hold one descriptor per session (the daemon has
  // its own limit, which it raises itself).
  if (nofile < n.scale_large + 256) {
    note("RLIMIT_NOFILE is " + std::to_string(nofile) + ": the scale section opens at most " +
         std::to_string(nofile - 256) + " sessions");
    n.scale_large = std::min(n.scale_large, static_cast<size_t>(nofile - 256));
  }
  json r;
  r["machine"] = machine();
  r["shared_machine_note"] = "numbers vary with other load on the machine; ratios within one run are the measure";
  if (want("peernetd") || want("floor") || want("zmq"))
    run_all_paths(peernetd, n, want("peernetd"), want("floor"), want("zmq"), r);
  if (want("footprint")) run_footprint(peernetd, n, r["footprint"]);
  if (want("scale")) run_scale(peernetd, n, r["scale"]);
  for (const char* k : {"peernetd", "floor", "encrypted_floor", "curvezmq", "footprint", "scale"})
    if (!r.contains(k)) r[k] = json::object();
  print_table(r);
  r["targets"] = check_targets(r);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << r.dump(2) << "\n";
    note("wrote " + json_path);
  }
  return 0;
}
