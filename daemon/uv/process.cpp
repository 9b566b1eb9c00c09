#include "process.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <utility>

#include "stream_block.hpp"

namespace peernet::uv {
namespace {

struct PipeBlock final : detail::StreamBlock {
  uv_pipe_t pipe;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&pipe); }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A pipe(2) pair; both ends close-on-exec, so that no child inherits
// another's pipes (which would keep their end of file from ever coming).
struct FdPair {
  int fds[2] = {-1, -1};
  FdPair() = default;
  FdPair(const FdPair&) = delete;
  FdPair& operator=(const FdPair&) = delete;
  ~FdPair() {
    close_fd(fds[0]);
    close_fd(fds[1]);
  }
};

}  // namespace

struct Process::Block final : detail::Block {
  uv_process_t process;
  ExitCallback on_exit;
  int pid = 0;
  bool exited = false;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&process); }
};

namespace {

void close_block(detail::Block* b) {
  uv_close(b->handle(), [](uv_handle_t* h) { delete detail::block_of<detail::Block>(h); });
}

// Wraps `fd` (taken: on success it belongs to the pipe) as a ChildPipe's block.
Result<detail::Owner> open_end(uv_loop_t* loop, int& fd) {
  auto b = std::make_unique<PipeBlock>();
  if (int rc = uv_pipe_init(loop, &b->pipe, 0); rc != 0) return error_from_uv(rc, "pipe");
  detail::attach(b.get());
  detail::Owner owner(b.release());
  // uv_pipe_open makes the descriptor non-blocking; the child's ends stay blocking.
  if (int rc = uv_pipe_open(&static_cast<PipeBlock*>(owner.get())->pipe, fd); rc != 0)
    return error_from_uv(rc, "pipe");
  fd = -1;
  return owner;
}

}  // namespace

Process::Process(Process&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    reset();
    b_ = std::exchange(o.b_, nullptr);
  }
  return *this;
}

void Process::reset() {
  Block* b = std::exchange(b_, nullptr);
  if (b == nullptr) return;
  b->closing = true;  // on_exit never runs from now on
  if (b->exited) return close_block(b);
  // The exit callback closes the handle once libuv has reaped the child.
  ::kill(-b->pid, SIGKILL);
}

Result<Process> Process::spawn(uv_loop_t* loop, const SpawnOptions& options, ChildStdio& stdio,
                               ExitCallback on_exit) {
  const std::string what = "spawn " + options.file;
  // Our own descriptors are close-on-exec already (libuv and every open()
  // here ask for it); this catches any the daemon inherited from whoever
  // started it, which a program run for a peer must not get either. One
  // system call; on a kernel without it (before 5.11) they stay as they are.
  (void)::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  std::array<FdPair, 3> pairs;  // stdin, stdout, stderr: [0] reads, [1] writes
  for (FdPair& p : pairs)
    if (int rc = uv_pipe(p.fds, 0, 0); rc != 0) return error_from_uv(rc, what);

  ChildStdio ends;
  PEERNET_TRY(ends.in.owner_, open_end(loop, pairs[0].fds[1]));
  PEERNET_TRY(ends.out.owner_, open_end(loop, pairs[1].fds[0]));
  PEERNET_TRY(ends.err.owner_, open_end(loop, pairs[2].fds[0]));

  std::vector<std::string> args = options.args.empty() ? std::vector<std::string>{options.file} : options.args;
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = options.env;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  uv_stdio_container_t stdio_fds[3];
  stdio_fds[0].flags = UV_INHERIT_FD;
  stdio_fds[0].data.fd = pairs[0].fds[0];
  stdio_fds[1].flags = UV_INHERIT_FD;
  stdio_fds[1].data.fd = pairs[1].fds[1];
  stdio_fds[2].flags = UV_INHERIT_FD;
  stdio_fds[2].data.fd = pairs[2].fds[1];

  uv_process_options_t o{};
  o.file = options.file.c_str();
  o.args = argv.data();
  o.env = envp.data();
  o.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  o.flags = UV_PROCESS_DETACHED;
  o.stdio_count = 3;
  o.stdio = stdio_fds;
  o.exit_cb = [](uv_process_t* p, int64_t status, int term_signal) {
    auto* b = detail::block_of<Block>(reinterpret_cast<uv_handle_t*>(p));
    b->exited = true;
    if (b->closing) return close_block(b);  // abandoned by its owner, now reaped
    detail::invoke(*b, b->on_exit, ExitStatus{status, term_signal});
  };

  auto* b = new Block;
  b->on_exit = std::move(on_exit);
  int rc = uv_spawn(loop, &b->process, &o);
  // Even a failed spawn initialized the handle, which must be closed.
  detail::attach(b);
  if (rc != 0) {
    b->closing = true;
    close_block(b);
    return error_from_uv(rc, what);
  }
  b->pid = b->process.pid;
  Process proc;
  proc.b_ = b;
  // The child has its copies; ours would hold its stdin open and keep its
  // stdout and stderr from ever reaching end of file. (FdPair closes them.)
  stdio = std::move(ends);
  return proc;
}

int Process::pid() const { return b_ != nullptr ? b_->pid : 0; }

bool Process::exited() const { return b_ == nullptr || b_->exited; }

bool Process::signal_group(int signum) const {
  if (b_ == nullptr || b_->pid <= 0) return false;
  return ::kill(-b_->pid, signum) == 0 || errno != ESRCH;
}

}  // namespace peernet::uv
