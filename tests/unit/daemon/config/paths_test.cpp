#include "config/paths.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "../../temp_dir.hpp"

namespace peernet {
namespace {

TEST(DefaultPaths, SystemModeForRoot) {
  PathEnvironment env;
  env.euid = 0;
  env.home = "/root";
  env.xdg_runtime_dir = "/run/user/0";  // Ignored: root is system mode.
  auto p = default_paths(env);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->system_mode);
  EXPECT_EQ(p->config_file, "/etc/peernet/peernetd.toml");
  EXPECT_EQ(p->state_dir, "/var/lib/peernet");
  EXPECT_EQ(p->socket_path, "/run/peernet/peernetd.sock");
}

// peernetd --system: the unit runs as the unprivileged user "peernet",
// whose own XDG directories must not count.
TEST(DefaultPaths, SystemModeForAnyUserWhenForced) {
  PathEnvironment env;
  env.euid = 998;
  env.home = "/var/lib/peernet-home";
  env.xdg_config_home = "/cfg";
  env.xdg_state_home = "/st";
  env.xdg_runtime_dir = "/run/user/998";
  env.force_system_mode = true;
  auto p = default_paths(env);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->system_mode);
  EXPECT_EQ(p->config_file, "/etc/peernet/peernetd.toml");
  EXPECT_EQ(p->state_dir, "/var/lib/peernet");
  EXPECT_EQ(p->socket_path, "/run/peernet/peernetd.sock");
  // Without the flag the same user gets user mode.
  env.force_system_mode = false;
  p = default_paths(env);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->system_mode);
  EXPECT_EQ(p->socket_path, "/run/user/998/peernet/peernetd.sock");
}

TEST(DefaultPaths, UserAndSystemModeAtOnceIsAnError) {
  PathEnvironment env;
  env.euid = 0;
  env.home = "/root";
  env.force_user_mode = true;
  env.force_system_mode = true;
  auto p = default_paths(env);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::config_error);
}

TEST(DefaultPaths, UserModeWithXdg) {
  PathEnvironment env;
  env.euid = 1000;
  env.home = "/home/u";
  env.xdg_config_home = "/cfg";
  env.xdg_state_home = "/st";
  env.xdg_runtime_dir = "/run/user/1000";
  auto p = default_paths(env);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->system_mode);
  EXPECT_EQ(p->config_file, "/cfg/peernet/peernetd.toml");
  EXPECT_EQ(p->state_dir, "/st/peernet");
  EXPECT_EQ(p->socket_path, "/run/user/1000/peernet/peernetd.sock");
}

TEST(DefaultPaths, UserModeFallsBackToHomeAndTmp) {
  PathEnvironment env;
  env.euid = 1000;
  env.home = "/home/u";
  env.xdg_config_home = "relative/ignored";  // XDG: relative values are invalid.
  auto p = default_paths(env);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->config_file, "/home/u/.config/peernet/peernetd.toml");
  EXPECT_EQ(p->state_dir, "/home/u/.local/state/peernet");
  EXPECT_EQ(p->socket_path, "/tmp/peernet-1000/peernetd.sock");
}

TEST(DefaultPaths, UserModeWithoutHomeIsAnError) {
  PathEnvironment env;
  env.euid = 1000;
  auto p = default_paths(env);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::config_error);
  // Enough XDG variables make HOME unnecessary.
  env.xdg_config_home = "/c";
  env.xdg_state_home = "/s";
  EXPECT_TRUE(default_paths(env).ok());
}

class PrivateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok()) << tmp_.error();
    root_ = tmp_.path();
  }
  mode_t mode_of(const std::string& p) {
    struct stat st;
    EXPECT_EQ(::lstat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  peernet::testing::TempDir tmp_{"paths-test"};
  std::string root_;
};

TEST_F(PrivateDirTest, CreatesMissingDirectoriesPrivate) {
  ::umask(022);
  std::string dir = root_ + "/a/b/peernet";
  ASSERT_TRUE(ensure_private_dir(dir).ok());
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(root_ + "/a"), 0700u);
  // Idempotent.
  EXPECT_TRUE(ensure_private_dir(dir).ok());
}

TEST_F(PrivateDirTest, RefusesAnotherOwner) {
  // The directory is ours; asking for another owner must refuse it.
  auto st = ensure_private_dir(root_, ::geteuid() + 1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::insecure_file);
  EXPECT_NE(st.error().message.find("belongs to uid"), std::string::npos);
}

TEST_F(PrivateDirTest, RefusesAWorldWritableDirectory) {
  std::string dir = root_ + "/open";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  auto st = ensure_private_dir(dir);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::insecure_file);
  EXPECT_NE(st.error().message.find("chmod 700"), std::string::npos);
}

TEST_F(PrivateDirTest, RefusesAFile) {
  std::string file = root_ + "/file";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto st = ensure_private_dir(file);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not a directory"), std::string::npos);
}

TEST_F(PrivateDirTest, FollowsOnlyOurOwnSymlinks) {
  std::string target = root_ + "/target", link = root_ + "/link";
  ASSERT_TRUE(ensure_private_dir(target).ok());
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_TRUE(ensure_private_dir(link).ok());
  auto st = ensure_private_dir(link, ::geteuid() + 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("symbolic link"), std::string::npos);
}

}  // namespace
}  // namespace peernet
