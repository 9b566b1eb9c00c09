#include "store/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"

namespace peernet {

Result<StateDirLock> StateDirLock::acquire(const std::string& state_dir) {
  std::string path = state_dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(Errc::io_error, "open " + quote(path) + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return make_error(Errc::busy, "another peernetd is using the state directory " + quote(state_dir));
    return make_error(Errc::io_error, "lock " + quote(path) + ": " + std::strerror(err));
  }
  return StateDirLock(fd);
}

StateDirLock& StateDirLock::operator=(StateDirLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace peernet
