#include "config/paths.hpp"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.hpp"
#include "proto/control/socket.hpp"

namespace peernet {
namespace {

std::optional<std::string> absolute_env(const char* name) {
  const char* v = ::getenv(name);
  if (v == nullptr || v[0] != '/') return std::nullopt;
  return std::string(v);
}

std::optional<std::string> usable(const std::optional<std::string>& dir) {
  if (dir && !dir->empty() && dir->front() == '/') return dir;
  return std::nullopt;
}

Error sys_error(std::string_view what, const std::string& path, int err) {
  return make_error(Errc::io_error,
                    std::string(what) + " " + quote(path) + ": " + ::strerror(err));
}

}  // namespace

PathEnvironment current_path_environment() {
  PathEnvironment env;
  env.euid = ::geteuid();
  env.home = absolute_env("HOME");
  if (!env.home) {
    if (const passwd* pw = ::getpwuid(env.euid); pw != nullptr && pw->pw_dir != nullptr)
      env.home = pw->pw_dir;
  }
  env.xdg_config_home = absolute_env("XDG_CONFIG_HOME");
  env.xdg_state_home = absolute_env("XDG_STATE_HOME");
  env.xdg_runtime_dir = absolute_env("XDG_RUNTIME_DIR");
  return env;
}

Result<DefaultPaths> default_paths(const PathEnvironment& env) {
  DefaultPaths p;
  if (env.force_user_mode && env.force_system_mode)
    return make_error(Errc::config_error, "user mode and system mode at once");
  if (env.force_system_mode || (env.euid == 0 && !env.force_user_mode)) {
    p.system_mode = true;
    p.config_file = "/etc/peernet/peernetd.toml";
    p.state_dir = "/var/lib/peernet";
    p.socket_path = control::default_socket_path(true, env.euid, env.xdg_runtime_dir);
    return p;
  }

  auto home = usable(env.home);
  auto config_home = usable(env.xdg_config_home);
  auto state_home = usable(env.xdg_state_home);
  if ((!config_home || !state_home) && !home)
    return make_error(Errc::config_error,
                      "no home directory to put the config and state in; set HOME or "
                      "XDG_CONFIG_HOME and XDG_STATE_HOME, or pass --config and --state-dir");
  p.config_file = (config_home ? *config_home : *home + "/.config") + "/peernet/peernetd.toml";
  p.state_dir = (state_home ? *state_home : *home + "/.local/state") + "/peernet";
  p.socket_path = control::default_socket_path(false, env.euid, env.xdg_runtime_dir);
  return p;
}

Status ensure_private_dir(const std::string& path, uid_t owner) {
  if (path.empty()) return make_error(Errc::config_error, "empty directory path");

  // Create the missing ancestors first, front to back. EEXIST is fine for
  // them: only the final component's ownership matters here.
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    std::string parent = path.substr(0, pos);
    if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST)
      return sys_error("cannot create directory", parent, errno);
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return sys_error("cannot create directory", path, errno);

  // A symlink is followed only when it is ours: in the /tmp fallback,
  // someone else's link could be swapped for another target after we
  // checked where it points.
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return sys_error("cannot inspect directory", path, errno);
  if (S_ISLNK(st.st_mode)) {
    if (st.st_uid != owner)
      return make_error(Errc::insecure_file, quote(path) + " is a symbolic link owned by uid " +
                                                 std::to_string(st.st_uid) + "; refusing to use it");
    if (::stat(path.c_str(), &st) != 0) return sys_error("cannot inspect directory", path, errno);
  }
  if (!S_ISDIR(st.st_mode))
    return make_error(Errc::config_error, quote(path) + " exists and is not a directory");
  if (st.st_uid != owner)
    return make_error(Errc::insecure_file,
                      "directory " + quote(path) + " belongs to uid " + std::to_string(st.st_uid) +
                          ", not to uid " + std::to_string(owner) + "; refusing to use it");
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    ::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return make_error(Errc::insecure_file, "directory " + quote(path) + " has mode " + mode +
                                               ", writable by others; run: chmod 700 " + path);
  }
  return {};
}

Status ensure_private_dir(const std::string& path) { return ensure_private_dir(path, ::geteuid()); }

}  // namespace peernet

