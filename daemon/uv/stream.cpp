#include "stream.hpp"

#include <algorithm>
#include <memory>

#include "stream_block.hpp"

namespace peernet::uv {
namespace {

// One batch: the buffers live here until libuv reports the write done.
struct WriteRequest {
  uv_write_t req;
  std::vector<Bytes> buffers;
  size_t bytes = 0;
  Stream::DoneCallback done;
};

struct ShutdownRequest {
  uv_shutdown_t req;
  Stream::DoneCallback done;
};

detail::StreamBlock* stream_block(uv_stream_t* s) {
  return detail::block_of<detail::StreamBlock>(reinterpret_cast<uv_handle_t*>(s));
}

Error closed() { return make_error(Errc::closed, "stream is closed"); }

// The read buffer of every stream on this thread. libuv reads synchronously
// into the buffer alloc_cb returns and hands it to read_cb before it asks
// again, and DataCallback's data is valid only during the call, so streams
// can take turns with one buffer instead of holding 64 KiB each (with
// thousands of idle sessions, that was most of the daemon's memory).
Bytes& read_buffer() {
  thread_local Bytes buffer(detail::StreamBlock::kReadBufferSize);
  return buffer;
}

Status to_status(int status, const char* what) {
  if (status == 0) return {};
  return error_from_uv(status, what);
}

}  // namespace

namespace detail {

void finish_connect(uv_connect_t* req, int status, const char* what) {
  std::unique_ptr<uv_connect_t> owned(req);
  StreamBlock* b = stream_block(req->handle);
  Stream::DoneCallback cb = std::move(b->on_connect);
  b->on_connect = nullptr;
  if (!b->closing && cb) cb(to_status(status, what));
}

}  // namespace detail

detail::StreamBlock* Stream::block() const { return static_cast<detail::StreamBlock*>(owner_.get()); }

Status Stream::read_start(DataCallback on_data, EofCallback on_eof, ErrorCallback on_error) {
  detail::StreamBlock* b = block();
  if (b == nullptr) return closed();
  b->on_data = std::move(on_data);
  b->on_eof = std::move(on_eof);
  b->on_error = std::move(on_error);
  if (b->reading) return {};
  int rc = uv_read_start(
      b->stream(),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        Bytes& rb = read_buffer();
        *buf = uv_buf_init(reinterpret_cast<char*>(rb.data()), static_cast<unsigned>(rb.size()));
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        detail::StreamBlock* sb = stream_block(s);
        if (nread > 0) {
          detail::invoke(*sb, sb->on_data,
                         ByteView(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)));
        } else if (nread < 0) {
          uv_read_stop(s);
          sb->reading = false;
          if (nread == UV_EOF)
            detail::invoke(*sb, sb->on_eof);
          else
            detail::invoke(*sb, sb->on_error, error_from_uv(static_cast<int>(nread), "read"));
        }
        // nread == 0: EAGAIN, nothing to do.
      });
  if (rc != 0) return error_from_uv(rc, "start reading");
  b->reading = true;
  return {};
}

void Stream::read_stop() {
  if (detail::StreamBlock* b = block(); b != nullptr && b->reading) {
    uv_read_stop(b->stream());
    b->reading = false;
  }
}

Status Stream::write(std::vector<Bytes> buffers, DoneCallback done) {
  detail::StreamBlock* b = block();
  if (b == nullptr) return closed();
  auto w = std::make_unique<WriteRequest>();
  w->buffers = std::move(buffers);
  std::vector<uv_buf_t> bufs;
  bufs.reserve(w->buffers.size());
  for (Bytes& buf : w->buffers) {
    if (buf.empty()) continue;
    uv_buf_t ub;
    ub.base = reinterpret_cast<char*>(buf.data());
    ub.len = buf.size();  // uv_buf_init() would truncate to unsigned int
    bufs.push_back(ub);
    w->bytes += buf.size();
  }
  if (w->bytes == 0) return make_error(Errc::bad_request, "write of no bytes");
  w->done = std::move(done);
  w->req.data = w.get();
  // libuv copies the uv_buf_t array; only the bytes must outlive the call.
  int rc = uv_write(&w->req, b->stream(), bufs.data(), static_cast<unsigned>(bufs.size()),
                    [](uv_write_t* req, int status) {
                      std::unique_ptr<WriteRequest> wr(static_cast<WriteRequest*>(req->data));
                      detail::StreamBlock* sb = stream_block(req->handle);
                      sb->unfinished_write_bytes -= wr->bytes;
                      if (!sb->closing && wr->done) wr->done(to_status(status, "write"));
                    });
  if (rc != 0) return error_from_uv(rc, "write");
  b->unfinished_write_bytes += w->bytes;
  w.release();  // Now owned by libuv until the callback.
  return {};
}

size_t Stream::write_queue_bytes() const {
  detail::StreamBlock* b = block();
  if (b == nullptr) return 0;
  // libuv's count is a subset of ours (it drops a request's bytes once they
  // are in the kernel, before the callback); the max guards the invariant.
  return std::max(b->unfinished_write_bytes, uv_stream_get_write_queue_size(b->stream()));
}

Status Stream::shutdown(DoneCallback done) {
  detail::StreamBlock* b = block();
  if (b == nullptr) return closed();
  auto s = std::make_unique<ShutdownRequest>();
  s->done = std::move(done);
  s->req.data = s.get();
  int rc = uv_shutdown(&s->req, b->stream(), [](uv_shutdown_t* req, int status) {
    std::unique_ptr<ShutdownRequest> sr(static_cast<ShutdownRequest*>(req->data));
    detail::StreamBlock* sb = stream_block(req->handle);
    if (!sb->closing && sr->done) sr->done(to_status(status, "shutdown"));
  });
  if (rc != 0) return error_from_uv(rc, "shutdown");
  s.release();
  return {};
}

}  // namespace peernet::uv
