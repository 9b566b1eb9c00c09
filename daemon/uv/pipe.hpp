// Unix-domain stream sockets on libuv, for the control socket (uv.hpp has
// the completion contract, uv_handle.hpp the close lifecycle).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <optional>
#include <string>

#include "stream.hpp"

namespace peernet::uv {

// Who is at the other end of a Unix socket (SO_PEERCRED: the credentials
// of the process that connected, captured at connect time).
struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class PipeStream : public Stream {
 public:
  PipeStream() = default;  // empty: every operation fails with Errc::closed

  // Start connecting to the socket at `path`. On success, `on_connected`
  // runs exactly once (unless the stream is closed first). Errc::bad_request
  // for a path longer than a socket address holds.
  static Result<PipeStream> connect(uv_loop_t* loop, const std::string& path, DoneCallback on_connected);

  Result<PeerCred> peer_cred() const;

 private:
  friend class PipeListener;
};

struct PipeListenOptions {
  mode_t mode = 0600;          // file mode of the socket
  std::optional<gid_t> group;  // group owner of the socket, if not ours
  int backlog = 128;
};

class PipeListener {
 public:
  // Runs once per incoming connection, or with an error when accepting fails.
  using AcceptCallback = std::function<void(Result<PipeStream>)>;

  PipeListener() = default;
  // Bind `path`, set its group and mode, then listen, in that order: nobody
  // can connect while the socket still has the umask's permissions. A file
  // already at `path` is an error (Errc::io_error, EADDRINUSE); the caller
  // decides whether it is stale. libuv unlinks the socket when the listener
  // closes.
  static Result<PipeListener> listen(uv_loop_t* loop, const std::string& path,
                                     const PipeListenOptions& options, AcceptCallback on_accept);

  const std::string& path() const { return path_; }
  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 private:
  detail::Owner owner_;
  std::string path_;
};

}  // namespace peernet::uv
