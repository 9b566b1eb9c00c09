#include "proto/control/socket.hpp"

namespace peernet::control {

std::string default_socket_path(bool system_mode, uint32_t uid,
                                const std::optional<std::string>& xdg_runtime_dir) {
  if (system_mode) return kSystemSocketPath;
  if (xdg_runtime_dir && !xdg_runtime_dir->empty() && xdg_runtime_dir->front() == '/')
    return *xdg_runtime_dir + "/peernet/peernetd.sock";
  return "/tmp/peernet-" + std::to_string(uid) + "/peernetd.sock";
}

}  // namespace peernet::control
