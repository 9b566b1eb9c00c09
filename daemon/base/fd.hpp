// A file descriptor that closes itself, so that every return path of the
// blocking code that opens one (the secret files, the service manager's
// notify socket) releases it without a close() of its own.
#pragma once

#include <unistd.h>

namespace peernet {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Close now and report close()'s result, for a caller to whom a failed
  // close means lost data (a file written over NFS).
  int close_checked() {
    int r = ::close(fd_);
    fd_ = -1;
    return r;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace peernet
