#include "rpc_conn.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util.hpp"

namespace bench {

using namespace peernet;

RpcConn::RpcConn(const std::string& socket_path) : decoder_(size_t{4} << 20) {
  fd_ = connect_unix(socket_path);
  if (fd_ < 0) die("cannot connect to " + socket_path);
  in_.resize(256 * 1024);
}

RpcConn::~RpcConn() {
  if (fd_ >= 0) ::close(fd_);
}

void RpcConn::flush() {
  write_all(fd_, out_.data(), out_.size());
  out_.clear();
}

std::optional<RpcMessage> RpcConn::next_buffered() {
  if (!fed_) return std::nullopt;
  auto m = decoder_.next();
  if (!m) die("control socket: " + m.error().message);
  if (!*m) {
    fed_ = false;
    return std::nullopt;
  }
  return std::move(**m);
}

std::optional<ByteView> RpcConn::next_raw_buffered() {
  if (!fed_) return std::nullopt;
  auto m = decoder_.next_raw();
  if (!m) die("control socket: " + m.error().message);
  if (!*m) {
    fed_ = false;
    return std::nullopt;
  }
  return **m;
}

std::optional<ByteView> RpcConn::next_raw(int timeout_ms) {
  for (;;) {
    if (auto m = next_raw_buffered()) return m;
    if (!read_some(timeout_ms)) return std::nullopt;
  }
}

bool RpcConn::read_some(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  int r = ::poll(&pfd, 1, timeout_ms);
  if (r == 0) return false;
  ssize_t n = ::read(fd_, in_.data(), in_.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return false;
    die("control socket read: " + std::string(std::strerror(errno)));
  }
  if (n == 0) die("the daemon closed the control connection");
  if (auto st = decoder_.feed(ByteView(in_.data(), static_cast<size_t>(n))); !st)
    die("control socket: " + st.error().message);
  fed_ = true;
  return true;
}

std::optional<RpcMessage> RpcConn::next(int timeout_ms) {
  for (;;) {
    if (auto m = next_buffered()) return m;
    if (!read_some(timeout_ms)) return std::nullopt;
  }
}

RpcResponse RpcConn::request(const RpcRequest& r) {
  queue(r);
  flush();
  for (;;) {
    auto m = next(30000);
    if (!m) die("no response to " + r.method);
    if (auto* resp = std::get_if<RpcResponse>(&*m); resp && resp->msgid == r.msgid) return std::move(*resp);
  }
}

}  // namespace bench
