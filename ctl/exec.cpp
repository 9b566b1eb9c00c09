#include "exec.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ctl/deadline.hpp"

extern char** environ;

namespace peernet::ctl {
namespace {

// Closes what it holds, once.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Error sys_error(const std::string& what, int err) {
  return make_error(Errc::io_error, what + ": " + ::strerror(err));
}

Status make_pipe(Fd& r, Fd& w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe", errno);
  r.fd = p[0];
  w.fd = p[1];
  return {};
}

// The parent's environment with `extra` set, replacing variables of the same name.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view var(*e);
    bool replaced = false;
    for (const auto& [name, _] : extra)
      if (var.size() > name.size() && var.substr(0, name.size()) == name && var[name.size()] == '=')
        replaced = true;
    if (!replaced) env.emplace_back(var);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

// Reads what is there from `fd` into `into`, keeping at most `keep` bytes in
// total and counting the rest in `dropped`. Returns false at EOF or error.
bool drain(int fd, std::string& into, size_t keep, size_t& dropped) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    size_t room = keep > into.size() ? keep - into.size() : 0;
    size_t take = std::min(room, static_cast<size_t>(n));
    into.append(buf, take);
    dropped += static_cast<size_t>(n) - take;
    if (static_cast<size_t>(n) < sizeof buf) return true;
  }
}

// write() to a pipe whose reader is gone raises SIGPIPE, which would kill
// a program that has not ignored it (peernetctl has; a library caller may
// not). The signal is blocked around the write and, if the write raised
// it, taken back before it is unblocked.
ssize_t write_quietly(int fd, const char* data, size_t size) {
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n = ::write(fd, data, size);
  int err = errno;
  if (n < 0 && err == EPIPE && !was_pending) {
    timespec zero{0, 0};
    ::sigtimedwait(&pipe_only, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

// The whole group: the shell and whatever it started, so that nothing it
// left behind keeps running (or keeps a pipe open) after we give up on it.
void kill_group(pid_t pid) { ::kill(-pid, SIGKILL); }

// The parent's ends of the child's stdin, stdout and stderr.
struct ParentPipes {
  Fd in_w, out_r, err_r;
};

// Starts /bin/sh -c COMMAND with pipes on its standard streams and returns
// its pid. posix_spawn rather than fork and exec: none of our code runs in
// the child between the two, so nothing this process holds (a lock, a large
// heap to copy) can get in its way. The parent's ends come back
// non-blocking, so that one poll loop serves all three and a stalled write
// never holds up the reads.
Result<pid_t> spawn_shell(const ExecRequest& request, ParentPipes& parent) {
  Fd in_r, out_w, err_w;
  PEERNET_TRY_VOID(make_pipe(in_r, parent.in_w));
  PEERNET_TRY_VOID(make_pipe(parent.out_r, out_w));
  PEERNET_TRY_VOID(make_pipe(parent.err_r, err_w));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);

  // Its own process group, so that a timeout kills what it started too; and
  // default signal dispositions, since peernetctl ignores SIGPIPE and
  // ignored signals survive exec.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> env = child_environment(request.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", command = request.command;
  char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return sys_error("cannot run /bin/sh", rc);
  // The child's ends are closed here as they go out of scope: while the
  // parent holds a write end, the reads below would never see EOF.
  for (int fd : {parent.in_w.fd, parent.out_r.fd, parent.err_r.fd})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return pid;
}

// Feeds `request.input` to the child's stdin and collects its stdout and
// stderr, all at once: a child that fills one pipe while we wait on another
// would otherwise deadlock with us. Ends when both outputs reach EOF, or
// kills the group and ends at the deadline or when stdout passes its limit.
// Every pipe is closed on return.
void pump(pid_t pid, const ExecRequest& request, const Deadline& deadline, ParentPipes& pipes,
          ExecResult& result) {
  Fd &in_w = pipes.in_w, &out_r = pipes.out_r, &err_r = pipes.err_r;
  size_t written = 0, out_dropped = 0, err_dropped = 0;
  if (request.input.empty()) in_w.reset();

  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd p[3];
    nfds_t n = 0;
    int in_i = -1, out_i = -1, err_i = -1;
    if (in_w.fd >= 0) { in_i = static_cast<int>(n); p[n++] = {in_w.fd, POLLOUT, 0}; }
    if (out_r.fd >= 0) { out_i = static_cast<int>(n); p[n++] = {out_r.fd, POLLIN, 0}; }
    if (err_r.fd >= 0) { err_i = static_cast<int>(n); p[n++] = {err_r.fd, POLLIN, 0}; }
    int ready = ::poll(p, n, deadline.poll_timeout_ms());
    if (ready < 0 && errno != EINTR) {
      kill_group(pid);
      break;
    }
    if (ready == 0 && deadline.passed()) {
      result.timed_out = true;
      kill_group(pid);
      break;
    }
    if (in_i >= 0 && p[in_i].revents != 0) {
      ssize_t w =
          write_quietly(in_w.fd, request.input.data() + written, request.input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // A command that does not read its stdin is fine: EPIPE just ends it.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == request.input.size())
        in_w.reset();
    }
    if (out_i >= 0 && p[out_i].revents != 0 &&
        !drain(out_r.fd, result.out, request.max_output, out_dropped))
      out_r.reset();
    if (err_i >= 0 && p[err_i].revents != 0 &&
        !drain(err_r.fd, result.err, request.max_error, err_dropped))
      err_r.reset();
    if (out_dropped > 0) {
      result.output_too_large = true;
      kill_group(pid);
      break;
    }
  }
  in_w.reset();
  out_r.reset();
  err_r.reset();
}

// Waits for the shell and records how it ended. The pipes are closed, but
// the shell may still be running (it closed them itself, or a background
// child held them): wait within the deadline, then kill the group and wait
// for good, so that no zombie is left behind.
Status reap(pid_t pid, const Deadline& deadline, ExecResult& result) {
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return sys_error("waitpid", errno);
    if (deadline.passed()) {
      if (!result.output_too_large) result.timed_out = true;
      kill_group(pid);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return {};
}

}  // namespace

Result<ExecResult> run_command(const ExecRequest& request) {
  ParentPipes pipes;
  PEERNET_TRY(pid_t pid, spawn_shell(request, pipes));
  // The deadline starts once the command runs, so that a slow spawn does not
  // eat into the time the command was given.
  Deadline deadline = Deadline::after(request.timeout);
  ExecResult result;
  pump(pid, request, deadline, pipes, result);
  PEERNET_TRY_VOID(reap(pid, deadline, result));
  return result;
}

}  // namespace peernet::ctl
