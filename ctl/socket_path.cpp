#include "ctl/socket_path.hpp"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/control/socket.hpp"

namespace peernet::ctl {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = ::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

SocketPathInputs current_socket_path_inputs(std::optional<std::string> flag) {
  SocketPathInputs in;
  in.flag = std::move(flag);
  in.env_socket = env("PEERNET_SOCKET");
  in.euid = ::geteuid();
  in.xdg_runtime_dir = env("XDG_RUNTIME_DIR");
  in.exists = [](const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 || errno == EACCES;
  };
  return in;
}

std::string resolve_socket_path(const SocketPathInputs& in) {
  // An empty value is "not given", as a shell's `--socket "$UNSET"` means.
  if (in.flag && !in.flag->empty()) return *in.flag;
  if (in.env_socket && !in.env_socket->empty()) return *in.env_socket;
  std::string user = control::default_socket_path(false, in.euid, in.xdg_runtime_dir);
  std::string system = control::default_socket_path(true, in.euid, in.xdg_runtime_dir);
  // Root's first choice is the system daemon, anyone else's their own; the
  // other is taken only when it is there and the first choice is not.
  // Without either, the first choice is named, and the error says it is
  // missing.
  const std::string& first = in.euid == 0 ? system : user;
  const std::string& second = in.euid == 0 ? user : system;
  if (in.exists && !in.exists(first) && in.exists(second)) return second;
  return first;
}

std::string resolve_socket_path(std::optional<std::string> flag) {
  return resolve_socket_path(current_socket_path_inputs(std::move(flag)));
}

}  // namespace peernet::ctl
