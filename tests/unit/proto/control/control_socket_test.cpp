#include "proto/control/socket.hpp"

#include <gtest/gtest.h>

namespace peernet::control {
namespace {

TEST(ControlSocket, SystemModeUsesTheSystemPathWhateverTheEnvironment) {
  EXPECT_EQ(default_socket_path(true, 0, std::nullopt), "/run/peernet/peernetd.sock");
  EXPECT_EQ(default_socket_path(true, 0, std::string("/run/user/0")), "/run/peernet/peernetd.sock");
}

TEST(ControlSocket, UserModeUsesTheRuntimeDir) {
  EXPECT_EQ(default_socket_path(false, 1000, std::string("/run/user/1000")),
            "/run/user/1000/peernet/peernetd.sock");
  // Root in user mode (peernetd --user) too.
  EXPECT_EQ(default_socket_path(false, 0, std::string("/run/user/0")),
            "/run/user/0/peernet/peernetd.sock");
}

TEST(ControlSocket, UserModeFallsBackToTmpPerUid) {
  EXPECT_EQ(default_socket_path(false, 1000, std::nullopt), "/tmp/peernet-1000/peernetd.sock");
  // Empty and relative values are invalid per the XDG spec and ignored.
  EXPECT_EQ(default_socket_path(false, 1000, std::string("")), "/tmp/peernet-1000/peernetd.sock");
  EXPECT_EQ(default_socket_path(false, 1000, std::string("run/user")),
            "/tmp/peernet-1000/peernetd.sock");
}

}  // namespace
}  // namespace peernet::control
