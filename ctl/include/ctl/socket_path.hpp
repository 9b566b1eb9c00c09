// Which control socket a client connects to:
//
//   1. the path the user gave (--socket PATH), if any;
//   2. else $PEERNET_SOCKET, if set and not empty;
//   3. else where the daemon puts it by default (proto/control_socket.hpp):
//      - not root: the user-mode path, $XDG_RUNTIME_DIR/peernet/peernetd.sock
//        (/tmp/peernet-<uid>/peernetd.sock without XDG_RUNTIME_DIR);
//      - root: the system daemon's /run/peernet/peernetd.sock, unless it does
//        not exist and root's own user-mode daemon's socket does
//        (peernetd --user, as `scripts/dev run` starts it).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace peernet::ctl {

// The inputs, so that the rule is a pure function tests can drive.
struct SocketPathInputs {
  std::optional<std::string> flag;             // --socket
  std::optional<std::string> env_socket;       // $PEERNET_SOCKET
  uid_t euid = 0;
  std::optional<std::string> xdg_runtime_dir;  // $XDG_RUNTIME_DIR
  // Whether a path exists; consulted only for root's choice above.
  std::function<bool(const std::string&)> exists;
};

// Reads $PEERNET_SOCKET, $XDG_RUNTIME_DIR and the effective uid; `exists`
// asks the filesystem.
SocketPathInputs current_socket_path_inputs(std::optional<std::string> flag);

std::string resolve_socket_path(const SocketPathInputs& in);

// resolve_socket_path(current_socket_path_inputs(flag)).
std::string resolve_socket_path(std::optional<std::string> flag = std::nullopt);

}  // namespace peernet::ctl
