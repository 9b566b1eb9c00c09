#include "store/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../../temp_dir.hpp"

namespace peernet {
namespace {

// Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
class SecretFile : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()) << dir_.error(); }

  std::string path(const std::string& name) const { return dir_.path(name); }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Create a file with exact contents and mode, bypassing the code under test.
  void plant(const std::string& name, std::string_view contents, mode_t mode) const {
    int fd = ::open(path(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
    ASSERT_EQ(::fchmod(fd, mode), 0);
    ::close(fd);
  }

  static struct stat stat_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p << ": " << std::strerror(errno);
    return st;
  }

  peernet::testing::TempDir dir_{"secret"};
};

// Sets the umask for one scope.
class UmaskScope {
 public:
  explicit UmaskScope(mode_t m) : old_(::umask(m)) {}
  ~UmaskScope() { ::umask(old_); }

 private:
  mode_t old_;
};

std::string text_of(const Bytes& b) { return std::string(as_chars(b)); }

TEST_F(SecretFile, WritesExactModeWhateverTheUmask) {
  {
    UmaskScope u(0);  // permissive: nothing may widen a 0600 request
    ASSERT_TRUE(write_file_atomic(path("a"), as_bytes("secret"), 0600).ok());
  }
  EXPECT_EQ(stat_of(path("a")).st_mode & 07777, 0600u);
  {
    UmaskScope u(077);  // restrictive: fchmod restores what was asked
    ASSERT_TRUE(write_file_atomic(path("b"), as_bytes("shared"), 0644).ok());
  }
  EXPECT_EQ(stat_of(path("b")).st_mode & 07777, 0644u);
  {
    UmaskScope u(022);
    ASSERT_TRUE(write_file_atomic(path("c"), as_bytes("x")).ok());  // default mode
  }
  EXPECT_EQ(stat_of(path("c")).st_mode & 07777, 0600u);

  auto a = read_secret_file(path("a"));
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(text_of(*a), "secret");
}

TEST_F(SecretFile, WritesEmptyAndBinaryContents) {
  ASSERT_TRUE(write_file_atomic(path("empty"), {}).ok());
  auto e = read_secret_file(path("empty"));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());

  Bytes bin(300);
  for (size_t i = 0; i < bin.size(); ++i) bin[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(write_file_atomic(path("bin"), bin).ok());
  auto b = read_secret_file(path("bin"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, bin);
}

TEST_F(SecretFile, ReplacesAnExistingFileByRename) {
  ASSERT_TRUE(write_file_atomic(path("f"), as_bytes("old contents")).ok());
  const ino_t old_ino = stat_of(path("f")).st_ino;
  // A reader that opened the old file keeps seeing all of it: the new file
  // is a different inode, never the old one rewritten in place.
  int reader = ::open(path("f").c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);

  ASSERT_TRUE(write_file_atomic(path("f"), as_bytes("new")).ok());
  EXPECT_NE(stat_of(path("f")).st_ino, old_ino);
  EXPECT_EQ(text_of(read_secret_file(path("f")).value()), "new");

  char buf[64] = {};
  ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "old contents");
  EXPECT_EQ(entries(), std::vector<std::string>{"f"});  // no temporary file left
}

TEST_F(SecretFile, MissingDirectoryFailsAndLeavesNothing) {
  const std::string p = path("no-such-dir/f");
  auto st = write_file_atomic(p, as_bytes("x"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::io_error);
  EXPECT_EQ(st.error().message,
            "cannot write " + p + ": directory " + path("no-such-dir") + " does not exist");
  EXPECT_TRUE(entries().empty());
}

TEST_F(SecretFile, FailedRenameRemovesTheTemporaryFile) {
  // Renaming a file over a non-empty directory fails after the temporary
  // file was written and synced, the latest point a cleanup is needed.
  ASSERT_EQ(::mkdir(path("target").c_str(), 0700), 0);
  plant("target/inside", "x", 0600);
  auto st = write_file_atomic(path("target"), as_bytes("x"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::io_error);
  EXPECT_NE(st.error().message.find("cannot write " + path("target") + ": renaming "),
            std::string::npos)
      << st.error().message;
  EXPECT_EQ(entries(), std::vector<std::string>{"target"});
}

TEST_F(SecretFile, RefusesFilesOthersMayAccess) {
  for (mode_t mode : {0640, 0604, 0660, 0602}) {
    plant("key", "secret", mode);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    auto r = read_secret_file(path("key"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::insecure_file);
    EXPECT_EQ(r.error().message, path("key") + " is readable or writable by group/others (mode " +
                                     octal + "); run: chmod 600 " + path("key"));
  }
  // Following the hint fixes it; owner-only read is fine too.
  ASSERT_EQ(::chmod(path("key").c_str(), 0600), 0);
  EXPECT_TRUE(read_secret_file(path("key")).ok());
  ASSERT_EQ(::chmod(path("key").c_str(), 0400), 0);
  EXPECT_TRUE(read_secret_file(path("key")).ok());
  // Execute bits for others are refused as well (mode & 077).
  ASSERT_EQ(::chmod(path("key").c_str(), 0610), 0);
  auto x = read_secret_file(path("key"));
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.error().code, Errc::insecure_file);
  EXPECT_NE(x.error().message.find("(mode 0610); run: chmod 600 "), std::string::npos);
}

TEST_F(SecretFile, RefusesSymbolicLinks) {
  plant("real", "secret", 0600);
  ASSERT_EQ(::symlink(path("real").c_str(), path("link").c_str()), 0);
  bool missing = true;
  auto r = read_secret_file(path("link"), &missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::insecure_file);
  EXPECT_NE(r.error().message.find(path("link") + " is a symbolic link"), std::string::npos);
  EXPECT_FALSE(missing);
  // A dangling link is a link, not a missing file.
  ASSERT_EQ(::symlink(path("nowhere").c_str(), path("dangling").c_str()), 0);
  auto d = read_secret_file(path("dangling"), &missing);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::insecure_file);
  EXPECT_FALSE(missing);
}

TEST_F(SecretFile, RefusesDirectoriesAndFifos) {
  ASSERT_EQ(::mkdir(path("d").c_str(), 0700), 0);
  auto d = read_secret_file(path("d"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::io_error);
  EXPECT_EQ(d.error().message, path("d") + " is a directory, not a regular file");

  // Opening a FIFO without O_NONBLOCK would block here forever.
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  auto f = read_secret_file(path("fifo"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::io_error);
  EXPECT_EQ(f.error().message, path("fifo") + " is not a regular file");
}

TEST_F(SecretFile, ReportsMissingFiles) {
  bool missing = false;
  auto r = read_secret_file(path("absent"), &missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_error);
  EXPECT_EQ(r.error().message, path("absent") + " does not exist");
  EXPECT_TRUE(missing);
  // A missing directory on the way is missing too.
  missing = false;
  EXPECT_FALSE(read_secret_file(path("absent/dir/f"), &missing).ok());
  EXPECT_TRUE(missing);
  // Reset on every call, including success and other failures.
  plant("present", "x", 0600);
  EXPECT_TRUE(read_secret_file(path("present"), &missing).ok());
  EXPECT_FALSE(missing);
  missing = true;
  plant("open", "x", 0644);
  EXPECT_FALSE(read_secret_file(path("open"), &missing).ok());
  EXPECT_FALSE(missing);
  // The pointer is optional.
  EXPECT_FALSE(read_secret_file(path("absent")).ok());
}

TEST_F(SecretFile, CapsTheSize) {
  std::string at_cap(kMaxSecretFileSize, 'k');
  plant("big", at_cap, 0600);
  auto ok = read_secret_file(path("big"));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->size(), kMaxSecretFileSize);

  plant("big", at_cap + "k", 0600);
  auto r = read_secret_file(path("big"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_error);
  EXPECT_EQ(r.error().message,
            path("big") + " is 65537 bytes, more than the 65536 this file may hold");
}

}  // namespace
}  // namespace peernet
