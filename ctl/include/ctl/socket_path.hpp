// Which control socket a client connects to:
//
//   1. the path the user gave (--socket PATH), if any;
//   2. else $PEERNET_SOCKET, if set and not empty;
//   3. else the daemon's default for this user (proto/control_socket.hpp):
//      /run/peernet/peernetd.sock as root, else
//      $XDG_RUNTIME_DIR/peernet/peernetd.sock, else
//      /tmp/peernet-<uid>/peernetd.sock.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace peernet::ctl {

// The inputs, so that the rule is a pure function tests can drive.
struct SocketPathInputs {
  std::optional<std::string> flag;             // --socket
  std::optional<std::string> env_socket;       // $PEERNET_SOCKET
  uid_t euid = 0;
  std::optional<std::string> xdg_runtime_dir;  // $XDG_RUNTIME_DIR
};

// Reads $PEERNET_SOCKET, $XDG_RUNTIME_DIR and the effective uid.
SocketPathInputs current_socket_path_inputs(std::optional<std::string> flag);

std::string resolve_socket_path(const SocketPathInputs& in);

// resolve_socket_path(current_socket_path_inputs(flag)).
std::string resolve_socket_path(std::optional<std::string> flag = std::nullopt);

}  // namespace peernet::ctl
