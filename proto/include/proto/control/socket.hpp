// Where the control socket is when nothing names it (guides/control-api.md,
// "Transport"). The daemon binds it there and clients look for it there, so
// the rule lives once, here:
//
//   system mode              /run/peernet/peernetd.sock
//   user mode:
//     $XDG_RUNTIME_DIR set   $XDG_RUNTIME_DIR/peernet/peernetd.sock
//     otherwise              /tmp/peernet-<uid>/peernetd.sock
//
// The daemon runs in system mode as root unless told otherwise (peernetd
// --user); a client decides which daemon it looks for (ctl/socket_path.hpp).
// $XDG_RUNTIME_DIR counts only when it is an absolute path (the XDG Base
// Directory spec calls relative values invalid). The caller reads the
// environment; this function only decides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace peernet::control {

inline constexpr const char* kSystemSocketPath = "/run/peernet/peernetd.sock";

std::string default_socket_path(bool system_mode, uint32_t uid,
                                const std::optional<std::string>& xdg_runtime_dir);

}  // namespace peernet::control
