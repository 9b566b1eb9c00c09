// A scripted stand-in for peernetd's control socket: it listens on a Unix
// socket in a temporary directory and runs a script (on its own thread)
// against the first client that connects. The script reads and writes
// msgpack-RPC with proto's codec, so the client is tested against the
// protocol, not against itself.
//
// Every read has a 5 s receive timeout, so a broken client fails the test
// instead of hanging it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "proto/control/control.hpp"
#include "proto/control/rpc.hpp"

namespace peernet::ctl::testing {

class FakeConnection {
 public:
  explicit FakeConnection(int fd) : fd_(fd) {}

  // The next message from the client; nullopt when it closed (or on a stall).
  std::optional<RpcMessage> read() {
    for (;;) {
      auto m = decoder_.next();
      if (!m.ok()) return std::nullopt;
      if (*m) return std::move(**m);
      ssize_t n = ::recv(fd_, buf_, sizeof buf_, 0);
      if (n <= 0) return std::nullopt;
      if (!decoder_.feed(ByteView(buf_, static_cast<size_t>(n))).ok()) return std::nullopt;
    }
  }
  // The next message, which must be a request for `method`.
  RpcRequest expect_request(std::string_view method) {
    auto m = read();
    if (!m || !std::holds_alternative<RpcRequest>(*m)) {
      ADD_FAILURE() << "expected a " << method << " request";
      return {};
    }
    auto r = std::get<RpcRequest>(*m);
    EXPECT_EQ(r.method, method);
    return r;
  }
  void write(const RpcMessage& m) { write_raw(encode(m)); }
  void write_raw(ByteView bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  void close() {
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  int fd_;
  RpcDecoder decoder_;
  uint8_t buf_[65536];
};

class FakeDaemon {
 public:
  using Script = std::function<void(FakeConnection&)>;

  explicit FakeDaemon(Script script) {
    char tmpl[] = "/tmp/peernet-ctl-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/peernetd.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    thread_ = std::thread([this, script = std::move(script)] {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      timeval tv{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      FakeConnection c(fd);
      script(c);
      ::close(fd);
    });
  }
  ~FakeDaemon() {
    // Unblock an accept() that never got its client.
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  // Waits for the script to finish.
  void join() {
    if (thread_.joinable()) thread_.join();
    thread_ = std::thread([] {});
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
  int listen_fd_ = -1;
  std::thread thread_;
};

}  // namespace peernet::ctl::testing
