#include "store/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/fd.hpp"

namespace peernet {
namespace {

std::string os_error(int err) { return std::strerror(err); }

std::string octal_mode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Error io_error(std::string message) { return make_error(Errc::io_error, std::move(message)); }

// The directory a path lives in ("." for a bare name).
std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Removes the temporary file on every failure path; dismissed once the
// rename has consumed it.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void dismiss() { path_.clear(); }

 private:
  std::string path_;
};

Status write_all(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(os_error(errno));
    // write() returns 0 for a non-empty buffer only on a broken device;
    // treat it as full rather than loop.
    if (n == 0) return io_error(os_error(ENOSPC));
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Status write_file_atomic(const std::string& path, ByteView data, mode_t mode) {
  if (path.empty() || path.back() == '/')
    return io_error("cannot write \"" + path + "\": not a file name");
  const std::string dir = parent_dir(path);
  const std::string base = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  const std::string what = "cannot write " + path + ": ";

  // mkostemp creates the file with O_CREAT|O_EXCL and mode 0600, so a
  // secret is never readable by others, not even for an instant, and a
  // stale or hostile file of the same name is never reused. fchmod then
  // sets the exact requested mode: the umask may have removed bits the
  // caller asked for (a trust file meant to be 0640 under umask 077).
  // The leading dot keeps the temporary file out of casual listings.
  std::string tmp = (dir == "/" ? "" : dir) + "/." + base + ".tmp-XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return io_error(what + "directory " + dir + " does not exist");
    return io_error(what + "creating a temporary file in " + dir + " failed: " + os_error(err));
  }
  TempFileGuard guard(tmp);

  if (::fchmod(fd.get(), mode) != 0)
    return io_error(what + "setting mode " + octal_mode(mode) + " on " + tmp +
                    " failed: " + os_error(errno));
  if (auto st = write_all(fd.get(), data); !st.ok())
    return io_error(what + "writing " + tmp + " failed: " + st.error().message);
  // The data must be on disk before the rename makes it visible, or a crash
  // could leave `path` naming an empty file.
  if (::fsync(fd.get()) != 0)
    return io_error(what + "fsync of " + tmp + " failed: " + os_error(errno));
  // On Linux close() releases the descriptor even when it fails; after a
  // successful fsync an error here (EIO from a network filesystem) still
  // means the data may be lost, so report it.
  if (fd.close_checked() != 0 && errno != EINTR)
    return io_error(what + "closing " + tmp + " failed: " + os_error(errno));

  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return io_error(what + "renaming " + tmp + " over it failed: " + os_error(errno));
  guard.dismiss();

  // The rename lives in the directory; until the directory is synced a
  // crash may bring back the old file (or none).
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid())
    return io_error("wrote " + path + " but opening directory " + dir +
                    " to sync it failed: " + os_error(errno) +
                    "; the new file may not survive a crash");
  if (::fsync(dfd.get()) != 0)
    return io_error("wrote " + path + " but fsync of directory " + dir + " failed: " +
                    os_error(errno) + "; the new file may not survive a crash");
  return {};
}

Result<Bytes> read_secret_file(const std::string& path, bool* missing, size_t max_size) {
  if (missing) *missing = false;
  // O_NOFOLLOW: a link could point anywhere, including a file another user
  // controls. O_NONBLOCK: opening a FIFO must not hang before fstat gets a
  // chance to refuse it; it changes nothing for a regular file.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) {
      if (missing) *missing = true;
      return io_error(path + " does not exist");
    }
    struct stat lst;
    if (err == ELOOP && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode))
      return make_error(Errc::insecure_file,
                        path + " is a symbolic link; a secret file must be a regular file, "
                               "and links are not followed");
    return io_error("cannot open " + path + ": " + os_error(err));
  }

  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat " + path + ": " + os_error(errno));
  if (S_ISDIR(st.st_mode)) return io_error(path + " is a directory, not a regular file");
  if (!S_ISREG(st.st_mode)) return io_error(path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    const char* how = (st.st_mode & 066) != 0 ? "is readable or writable by group/others"
                                              : "is executable by group/others";
    return make_error(Errc::insecure_file, path + " " + how + " (mode " + octal_mode(st.st_mode) +
                                               "); run: chmod 600 " + path);
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > max_size)
    return io_error(path + " is " + std::to_string(st.st_size) + " bytes, more than the " +
                    std::to_string(max_size) + " this file may hold");

  // One byte of room beyond the size fstat saw, to notice a file that grew
  // since (our own writers replace files by rename, so this is someone
  // editing it in place); the loop ends at EOF or when the buffer is full.
  Bytes buf(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      secure_wipe(buf);
      return io_error("cannot read " + path + ": " + os_error(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > static_cast<size_t>(st.st_size)) {
    secure_wipe(buf);
    return io_error(path + " grew while being read; is something editing it?");
  }
  buf.resize(got);
  return buf;
}

}  // namespace peernet
