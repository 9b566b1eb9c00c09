// Where peernetd keeps its files when the command line and config do not say.
//
//   system mode           config  /etc/peernet/peernetd.toml
//                         state   /var/lib/peernet
//                         socket  /run/peernet/peernetd.sock
//   user mode             config  $XDG_CONFIG_HOME/peernet/peernetd.toml  (~/.config)
//                         state   $XDG_STATE_HOME/peernet                 (~/.local/state)
//                         socket  $XDG_RUNTIME_DIR/peernet/peernetd.sock
//                                 (/tmp/peernet-<uid>/peernetd.sock without one;
//                                 the rule clients share: proto/control/socket.hpp)
//
// Root gets system mode unless it asks for user mode (peernetd --user);
// anyone gets it with peernetd --system, as the system service does, which
// runs as the unprivileged user "peernet".
// The XDG variables count only when set to an absolute path (XDG Base
// Directory spec: relative values are invalid and ignored).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "proto/result.hpp"

namespace peernet {

// The inputs, so default_paths() is a pure function that tests can drive.
struct PathEnvironment {
  uid_t euid = 0;
  bool force_user_mode = false;    // user-mode paths even for euid 0 (peernetd --user)
  bool force_system_mode = false;  // system-mode paths for any euid (peernetd --system)
  std::optional<std::string> home;  // $HOME, else the passwd entry's directory
  std::optional<std::string> xdg_config_home;
  std::optional<std::string> xdg_state_home;
  std::optional<std::string> xdg_runtime_dir;
};

// Reads the real environment and effective uid.
PathEnvironment current_path_environment();

struct DefaultPaths {
  bool system_mode = false;
  std::string config_file;
  std::string state_dir;
  std::string socket_path;
};

// Errc::config_error when user mode has no usable home directory.
Result<DefaultPaths> default_paths(const PathEnvironment& env);

// mkdir -p `path`; every directory it creates gets mode 0700. The final
// component, new or not, must be a directory owned by `owner` and not
// writable by group or others (Errc::insecure_file, saying how to fix it);
// another owner is refused, so a directory planted in /tmp by someone else
// is never used. Errc::io_error for system call failures.
Status ensure_private_dir(const std::string& path, uid_t owner);
Status ensure_private_dir(const std::string& path);  // owner = geteuid()

}  // namespace peernet
