// What /proc says about processes, for the tests of programs the daemon
// runs: that a process group is empty, that no child is left unreaped.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "uv/timer.hpp"

namespace peernet::testing {

// While it lives, wakes the loop every few milliseconds so that
// run_until() looks again at conditions no loop event signals: a file
// appearing, the death of a process that is not our child.
class Poller {
 public:
  explicit Poller(uv_loop_t* loop) : timer_(loop) { (void)timer_.start(5, 5, [] {}); }

 private:
  uv::Timer timer_;
};

struct ProcStat {
  int pid = 0;
  char state = '?';  // 'Z': a zombie, dead but not reaped
  int ppid = 0;
  int pgrp = 0;
};

inline std::vector<ProcStat> all_processes() {
  std::vector<ProcStat> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;  // gone meanwhile
    std::istringstream rest(text.substr(close + 1));
    ProcStat p;
    p.pid = static_cast<int>(pid);
    rest >> p.state >> p.ppid >> p.pgrp;
    if (rest) out.push_back(p);
  }
  ::closedir(dir);
  return out;
}

// Members of process group `pgrp` that still run (zombies excluded: an
// orphan is reaped by init, which a test cannot wait for).
inline std::vector<int> live_in_group(int pgrp) {
  std::vector<int> pids;
  for (const ProcStat& p : all_processes())
    if (p.pgrp == pgrp && p.state != 'Z') pids.push_back(p.pid);
  return pids;
}

inline bool alive(int pid) {
  for (const ProcStat& p : all_processes())
    if (p.pid == pid) return p.state != 'Z';
  return false;
}

// Children of this test process, zombies included: the daemon must reap
// every program it ran.
inline std::vector<int> own_children() {
  std::vector<int> pids;
  int self = static_cast<int>(::getpid());
  for (const ProcStat& p : all_processes())
    if (p.ppid == self) pids.push_back(p.pid);
  return pids;
}

inline int read_pid_file(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace peernet::testing
