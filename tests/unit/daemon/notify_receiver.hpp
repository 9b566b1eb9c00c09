// The receiving end of sd_notify for tests: a real AF_UNIX datagram socket,
// bound to a file in a fresh temporary directory or to an abstract name,
// read without blocking.
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace peernet::testing {

class NotifyReceiver {
 public:
  enum class Kind { path, abstract };

  explicit NotifyReceiver(Kind kind = Kind::path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    EXPECT_GE(fd_, 0) << strerror(errno);
    static std::atomic<int> counter{0};
    if (kind == Kind::path) {
      char tmpl[] = "/tmp/peernet-notify-test.XXXXXX";
      EXPECT_NE(::mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      address_ = dir_ + "/notify";
    } else {
      address_ = "@peernet-notify-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ::memcpy(addr.sun_path, address_.data(), address_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    if (kind == Kind::abstract) addr.sun_path[0] = '\0';
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0) << strerror(errno);
  }
  ~NotifyReceiver() {
    if (fd_ >= 0) ::close(fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  // What $NOTIFY_SOCKET would say: the path, or "@name".
  const std::string& address() const { return address_; }

  // The next datagram, if one is waiting.
  std::optional<std::string> next() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

  // Every datagram waiting, in order.
  std::vector<std::string> drain() {
    std::vector<std::string> all;
    while (auto m = next()) all.push_back(std::move(*m));
    return all;
  }

 private:
  int fd_ = -1;
  std::string dir_;
  std::string address_;
};

}  // namespace peernet::testing
