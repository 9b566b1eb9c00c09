#include "pipe.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "stream_block.hpp"

namespace peernet::uv {
namespace {

struct PipeBlock final : detail::StreamBlock {
  uv_pipe_t pipe;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&pipe); }
};

struct PipeListenerBlock final : detail::Block {
  uv_pipe_t pipe;
  PipeListener::AcceptCallback on_accept;
  uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&pipe); }
};

// libuv 1.44 silently truncates a longer path to sun_path's size.
Status check_path_length(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return make_error(Errc::bad_request, "socket path " + path + " is longer than " +
                                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  if (path.empty()) return make_error(Errc::bad_request, "empty socket path");
  return {};
}

Error sys_error(std::string_view what, const std::string& path) {
  return error_from_uv(uv_translate_sys_error(errno), std::string(what) + " " + path);
}

}  // namespace

Result<PipeStream> PipeStream::connect(uv_loop_t* loop, const std::string& path, DoneCallback on_connected) {
  PEERNET_TRY_VOID(check_path_length(path));
  auto b = std::make_unique<PipeBlock>();
  if (int rc = uv_pipe_init(loop, &b->pipe, 0); rc != 0) return error_from_uv(rc, "connect to " + path);
  detail::attach(b.get());
  PipeStream stream;
  PipeBlock* raw = b.release();
  stream.owner_ = detail::Owner(raw);
  raw->on_connect = std::move(on_connected);
  // uv_pipe_connect reports every failure through the callback.
  uv_pipe_connect(new uv_connect_t, &raw->pipe, path.c_str(),
                  [](uv_connect_t* r, int status) { detail::finish_connect(r, status, "connect"); });
  return stream;
}

Result<PeerCred> PipeStream::peer_cred() const {
  auto* b = static_cast<PipeBlock*>(block());
  if (b == nullptr) return make_error(Errc::closed, "stream is closed");
  uv_os_fd_t fd;
  if (int rc = uv_fileno(b->handle(), &fd); rc != 0) return error_from_uv(rc, "SO_PEERCRED");
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return error_from_uv(uv_translate_sys_error(errno), "SO_PEERCRED");
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

Result<PipeListener> PipeListener::listen(uv_loop_t* loop, const std::string& path,
                                          const PipeListenOptions& options, AcceptCallback on_accept) {
  PEERNET_TRY_VOID(check_path_length(path));
  std::string what = "listen on " + path;
  auto b = std::make_unique<PipeListenerBlock>();
  if (int rc = uv_pipe_init(loop, &b->pipe, 0); rc != 0) return error_from_uv(rc, what);
  detail::attach(b.get());
  b->on_accept = std::move(on_accept);
  PipeListener listener;
  PipeListenerBlock* raw = b.release();
  listener.owner_ = detail::Owner(raw);

  if (int rc = uv_pipe_bind(&raw->pipe, path.c_str()); rc != 0) return error_from_uv(rc, what);
  // Bound but not listening: connect() is refused until uv_listen, so the
  // umask's mode is never reachable.
  if (options.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *options.group) != 0)
    return sys_error("set the group of", path);
  if (::chmod(path.c_str(), options.mode) != 0) return sys_error("set the mode of", path);

  int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&raw->pipe), options.backlog,
                     [](uv_stream_t* server, int status) {
                       auto* lb = detail::block_of<PipeListenerBlock>(reinterpret_cast<uv_handle_t*>(server));
                       if (lb->closing) return;
                       if (status < 0) {
                         detail::invoke(*lb, lb->on_accept, Result<PipeStream>(error_from_uv(status, "accept")));
                         return;
                       }
                       auto cb = std::make_unique<PipeBlock>();
                       uv_pipe_init(server->loop, &cb->pipe, 0);  // Cannot fail.
                       detail::attach(cb.get());
                       PipeStream stream;
                       PipeBlock* client = cb.release();
                       stream.owner_ = detail::Owner(client);
                       Result<PipeStream> result = std::move(stream);
                       if (int arc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&client->pipe)); arc != 0)
                         result = error_from_uv(arc, "accept");
                       detail::invoke(*lb, lb->on_accept, std::move(result));
                     });
  if (rc != 0) return error_from_uv(rc, what);
  listener.path_ = path;
  return listener;
}

}  // namespace peernet::uv
