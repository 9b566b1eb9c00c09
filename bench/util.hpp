// Small helpers shared by the benchmarks: clocks, percentiles, processes,
// /proc readings, sockets. Errors here end the benchmark (die()): a bench
// that cannot set itself up has nothing to report.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

[[noreturn]] void die(const std::string& what);

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline double seconds_since(int64_t start_ns) { return static_cast<double>(now_ns() - start_ns) / 1e9; }

// Latency samples in nanoseconds; percentiles in microseconds.
struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  size_t n = 0;
};
Percentiles percentiles(std::vector<int64_t> samples_ns);

// Raise RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
uint64_t raise_nofile();

// A fresh directory under $TMPDIR (mode 0700).
std::string make_temp_dir(const std::string& tag);
void remove_tree(const std::string& path);
void write_file(const std::string& path, const std::string& text, int mode = 0600);

// A TCP port on 127.0.0.1 that nobody was bound to a moment ago.
uint16_t free_port();

// Child processes: started with argv, stdout+stderr to `log_path`.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path);
// SIGTERM, then SIGKILL after `grace_ms`; reaps the child.
void stop_process(pid_t pid, int grace_ms = 3000);
// This program's own path (for re-executing it as a helper process).
std::string self_exe();

// Readings of /proc/PID.
uint64_t rss_bytes(pid_t pid);        // VmRSS
uint64_t peak_rss_bytes(pid_t pid);   // VmHWM
// From smaps_rollup: the proportional share of shared pages (Pss), and the
// pages no other process maps (Private_Clean + Private_Dirty).
uint64_t pss_bytes(pid_t pid);
uint64_t private_bytes(pid_t pid);
uint64_t cpu_ticks(pid_t pid);        // utime + stime, in clock ticks
double ticks_per_second();

// Blocking socket helpers.
int connect_unix(const std::string& path);          // -1 when nobody listens
int connect_tcp(uint16_t port);                     // -1 when refused
int listen_unix(const std::string& path);
int listen_tcp(uint16_t port);
void write_all(int fd, const void* data, size_t n);  // dies on error
void set_nodelay(int fd);
void set_nonblocking(int fd);

// Poll until `path` accepts connections (a daemon's control socket);
// false after `timeout_ms`.
bool wait_connectable_unix(const std::string& path, int timeout_ms);
bool wait_connectable_tcp(uint16_t port, int timeout_ms);

std::string fmt(double v, int decimals);

}  // namespace bench
