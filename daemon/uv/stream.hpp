// What TCP and Unix-socket streams share: reading, batched writes,
// shutdown, close. See uv.hpp for the completion contract.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <vector>

#include "proto/bytes.hpp"
#include "block.hpp"

namespace peernet::uv {

namespace detail {
struct StreamBlock;
}

class Stream {
 public:
  // `data` is valid only during the call (it is the stream's read buffer).
  using DataCallback = std::function<void(ByteView data)>;
  using EofCallback = std::function<void()>;
  using ErrorCallback = std::function<void(const Error&)>;
  using DoneCallback = std::function<void(Status)>;

  // Deliver incoming bytes until read_stop(), end of stream (on_eof) or a
  // read error (on_error); reading stops after either of the last two.
  // Calling it again replaces the callbacks.
  Status read_start(DataCallback on_data, EofCallback on_eof, ErrorCallback on_error);
  void read_stop();

  // Write `buffers` in order as one uv_write (one writev). The stream keeps
  // them until the write completes; `done` (optional) then runs once.
  // Errc::bad_request for a batch without bytes.
  Status write(std::vector<Bytes> buffers, DoneCallback done = {});

  // Bytes accepted by write() whose write has not completed: what libuv
  // still queues (uv_stream_get_write_queue_size) plus what it has written
  // but not yet reported, i.e. the write memory this stream holds. Measure
  // backpressure against this.
  size_t write_queue_bytes() const;

  // Send FIN after queued writes; `done` (optional) runs once.
  Status shutdown(DoneCallback done = {});

  // Close now: pending writes are dropped and no callback of this stream
  // runs after this (their callers learn nothing more; they closed it).
  // Also done by the destructor.
  void close() { owner_.reset(); }
  bool is_open() const { return static_cast<bool>(owner_); }

 protected:
  Stream() = default;
  ~Stream() = default;
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;

  detail::StreamBlock* block() const;
  detail::Owner owner_;
};

}  // namespace peernet::uv
