#include "connection.hpp"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <type_traits>

#include "proto/control/socket.hpp"
#include "proto/link/envelope.hpp"

namespace peernet::ctl {
namespace {

// The longest path a sockaddr_un holds with its terminating NUL.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
constexpr size_t kReadChunk = 64 * 1024;
// A full listen backlog makes a non-blocking connect() fail with EAGAIN
// (Linux, unix(7)). It cannot be polled for, so we retry this often, for at
// most this long.
constexpr auto kConnectRetry = std::chrono::milliseconds(10);
constexpr double kConnectTimeout = 5;

Error sys_error(std::string what, int err) {
  return make_error(Errc::io_error, what + ": " + ::strerror(err));
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     const ClientOptions& options) {
  if (path.empty()) return make_error(Errc::bad_request, "empty control socket path");
  if (path.size() > kMaxSocketPath)
    return make_error(Errc::bad_request, "control socket path longer than " +
                                             std::to_string(kMaxSocketPath) + " bytes: " + path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ::memcpy(addr.sun_path, path.data(), path.size());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("socket", errno);
  Deadline give_up = Deadline::after(kConnectTimeout);
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN && !give_up.passed()) {
      std::this_thread::sleep_for(kConnectRetry);
      continue;
    }
    ::close(fd);
    switch (err) {
      case ENOENT:
      case ENOTDIR:
        return make_error(Errc::closed, "peernetd is not running? no socket at " + path);
      case ECONNREFUSED: {
        struct stat st;
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
          return make_error(Errc::bad_request,
                            path + " is a directory, not a socket (the socket is a file in it, "
                                   "such as " + path + "/peernetd.sock)");
        // A socket file nobody listens on: the daemon died without removing it.
        return make_error(Errc::closed, "peernetd is not running? nothing listens on " + path);
      }
      case EACCES:
      case EPERM:
        // Only the system service's socket is opened by group membership;
        // any other belongs to someone's own daemon.
        if (path == control::kSystemSocketPath)
          return make_error(Errc::forbidden,
                            "permission denied: " + path +
                                " (the system service's socket is for members of the group "
                                "\"peernet\": sudo usermod -aG peernet $USER, then log in again)");
        return make_error(Errc::forbidden,
                          "permission denied: " + path +
                              " (its mode or its directory keeps you out: it belongs to "
                              "another user's peernetd; run your own with peernetd --user)");
      case EAGAIN:
        return make_error(Errc::timeout, "peernetd accepts no connections on " + path +
                                             " (its queue is full)");
      default:
        return sys_error("cannot connect to " + path, err);
    }
  }
  return std::unique_ptr<Connection>(new Connection(fd, path, options));
}

Connection::Connection(int fd, std::string path, const ClientOptions& options)
    : fd_(fd), path_(std::move(path)), options_(options), decoder_(options.max_message) {}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Error Connection::fail(Error error) {
  if (!broken_) broken_ = std::move(error);
  return *broken_;
}

Status Connection::wait_once(Deadline deadline) {
  if (broken_) return *broken_;
  pollfd p{fd_, POLLIN, 0};
  if (out_sent_ < out_.size()) p.events |= POLLOUT;
  int n = ::poll(&p, 1, deadline.poll_timeout_ms());
  if (n < 0) {
    if (errno == EINTR) return {};
    return fail(sys_error("poll", errno));
  }
  if (n == 0) return {};
  // Read first: a daemon that closed after answering still delivers the answer.
  if (p.revents & (POLLIN | POLLHUP | POLLERR)) PEERNET_TRY_VOID(read_some());
  if (!broken_ && (p.revents & POLLOUT)) PEERNET_TRY_VOID(write_some());
  if (broken_) return *broken_;
  return {};
}

Status Connection::write_some() {
  while (out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      if (errno == EPIPE || errno == ECONNRESET)
        return fail(make_error(Errc::closed, "peernetd closed the connection"));
      return fail(sys_error("write to " + path_, errno));
    }
    out_sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  return {};
}

Status Connection::read_some() {
  uint8_t buf[kReadChunk];
  ssize_t n;
  do {
    n = ::recv(fd_, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
    if (errno == ECONNRESET) return fail(make_error(Errc::closed, "peernetd closed the connection"));
    return fail(sys_error("read from " + path_, errno));
  }
  if (n == 0) return fail(make_error(Errc::closed, "peernetd closed the connection"));

  // The decoder keeps a view of buf until next() says it needs more, which
  // happens before this function returns.
  if (auto st = decoder_.feed(ByteView(buf, static_cast<size_t>(n))); !st)
    return fail(make_error(Errc::protocol_error, "peernetd: " + st.error().message));
  for (;;) {
    auto m = decoder_.next();
    if (!m) {
      if (decoder_.failed())
        return fail(make_error(Errc::protocol_error,
                               "peernetd sent a malformed message: " + m.error().message));
      continue;  // One bad but complete message; the stream is still in sync.
    }
    if (!*m) break;
    dispatch(std::move(**m));
  }
  return {};
}

void Connection::dispatch(RpcMessage message) {
  if (auto* r = std::get_if<RpcResponse>(&message)) {
    if (awaited_ && r->msgid == *awaited_ && !response_) response_ = std::move(*r);
    return;
  }
  if (auto* q = std::get_if<RpcRequest>(&message)) return on_request(std::move(*q));

  auto& n = std::get<RpcNotification>(message);
  auto decoded = control::decode_notification(n);
  // Unknown events are for newer clients; malformed ones have nobody to
  // answer. Either way there is nothing to do with them.
  if (!decoded) return;
  if (auto* d = std::get_if<control::SendDropped>(&*decoded)) {
    // Runs of drops, merged by the daemon: few, and each one matters.
    dropped_.push_back(std::move(*d));
    return;
  }
  if (inbox_.size() >= options_.max_inbox) return;
  std::visit(
      [this](auto&& v) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, control::SendDropped>)
          inbox_.emplace_back(std::move(v));
      },
      std::move(*decoded));
}

void Connection::on_request(RpcRequest request) {
  if (request.method != control::method::kHandleCall) {
    queue(control::error_response(
        request.msgid,
        make_error(Errc::unsupported, "this client serves no method \"" + request.method + "\"")));
    return;
  }
  auto call = control::decode_params<control::HandleCall>(request.params);
  if (!call) {
    queue(control::error_response(request.msgid,
                                  make_error(Errc::bad_request, call.error().message)));
    return;
  }
  if (inbox_.size() >= options_.max_inbox) {
    queue(control::error_response(
        request.msgid, make_error(Errc::busy, "the client has too many unanswered messages")));
    return;
  }
  inbox_.emplace_back(IncomingCall{request.msgid, std::move(*call)});
}

void Connection::queue(const RpcMessage& message) { encode_to(out_, message); }

Status Connection::notify(const RpcNotification& n) {
  if (broken_) return *broken_;
  // Small enough to keep latency low, large enough that a stream of small
  // sends costs one write per several hundred.
  constexpr size_t kBatch = 64 * 1024;
  queue(n);
  if (out_.size() - out_sent_ < kBatch) return {};
  return flush(Deadline::after(options_.request_timeout));
}

Status Connection::flush(Deadline deadline) {
  while (out_sent_ < out_.size()) {
    if (deadline.passed())
      return make_error(Errc::timeout, "peernetd did not read our message in time");
    PEERNET_TRY_VOID(wait_once(deadline));
  }
  return {};
}

Result<Bytes> Connection::request(std::string_view method, Bytes params, Deadline deadline) {
  if (broken_) return *broken_;
  uint32_t msgid = next_msgid_;
  // Ids are u32 and never 0, which some clients reserve; wrapping is fine
  // because only one request waits at a time.
  next_msgid_ = next_msgid_ == UINT32_MAX ? 1 : next_msgid_ + 1;
  queue(RpcRequest{msgid, std::string(method), std::move(params)});

  awaited_ = msgid;
  response_.reset();
  while (!response_) {
    if (deadline.passed()) {
      awaited_.reset();
      return make_error(Errc::timeout, "peernetd did not answer " + std::string(method) +
                                           " in time");
    }
    if (auto st = wait_once(deadline); !st) {
      awaited_.reset();
      return std::move(st).error();
    }
  }
  awaited_.reset();
  RpcResponse r = std::move(*response_);
  response_.reset();
  return control::response_result(r);
}

Result<std::optional<Incoming>> Connection::next_incoming(Deadline deadline) {
  for (;;) {
    if (!inbox_.empty()) {
      Incoming in = std::move(inbox_.front());
      inbox_.pop_front();
      return std::optional<Incoming>(std::move(in));
    }
    PEERNET_TRY_VOID(wait_once(deadline));
    if (inbox_.empty() && deadline.passed()) return std::optional<Incoming>();
  }
}

Status Connection::answer(uint32_t msgid, const control::HandlerAnswer& answer) {
  if (broken_) return *broken_;
  if (!answer.error) {
    queue(control::result_response(msgid, answer.result));
  } else {
    control::ErrorBody body = *answer.error;
    // The daemon refuses a malformed answer and tells the caller only
    // handler_failed; keeping the code readable costs nothing here.
    if (!valid_code(body.code)) {
      body.message = body.code + (body.message.empty() ? "" : ": " + body.message);
      body.code = std::string(to_string(Errc::handler_failed));
    }
    if (body.message.size() > control::kMaxErrorMessage) body.message.resize(control::kMaxErrorMessage);
    queue(control::error_response(msgid, body));
  }
  return flush(Deadline::after(options_.request_timeout));
}

}  // namespace peernet::ctl
