// Which control socket a client connects to:
//
//   1. the path the user gave (--socket PATH), if any;
//   2. else $PEERNET_SOCKET, if set and not empty;
//   3. else where the daemon puts it by default (proto/control/socket.hpp):
//      - not root: the user's own daemon's socket,
//        $XDG_RUNTIME_DIR/peernet/peernetd.sock
//        (/tmp/peernet-<uid>/peernetd.sock without XDG_RUNTIME_DIR), unless
//        it does not exist and the system daemon's does: a member of the
//        group "peernet" reaches the system service without naming it;
//      - root: the system daemon's /run/peernet/peernetd.sock, unless it does
//        not exist and root's own user-mode daemon's socket does
//        (peernetd --user, as `scripts/dev run` starts it).
//   When neither exists, the path of the daemon the mode points to (the
//   user's own, or root's system daemon), which the error message names.
//   "Exists" includes a socket in a directory we may not search
//   (/run/peernet is 0710): that is the system daemon's, and connecting
//   then says "permission denied" rather than "not running".
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
  // Whether a path exists (see above); consulted only when neither the flag
  // nor the environment names a socket.
  std::function<bool(const std::string&)> exists;
};

// Reads $PEERNET_SOCKET, $XDG_RUNTIME_DIR and the effective uid; `exists`
// asks the filesystem.
SocketPathInputs current_socket_path_inputs(std::optional<std::string> flag);

std::string resolve_socket_path(const SocketPathInputs& in);

// resolve_socket_path(current_socket_path_inputs(flag)).
std::string resolve_socket_path(std::optional<std::string> flag = std::nullopt);

}  // namespace peernet::ctl
