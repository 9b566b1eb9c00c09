// Internal to the uv_*.cpp stream implementations: the heap block behind a
// Stream (uv_handle.hpp explains the lifecycle).
#pragma once

#include "stream.hpp"

namespace peernet::uv::detail {

struct StreamBlock : Block {
  // 64 KiB: large enough that a frame of the peer protocol (<= 65539 bytes)
  // usually arrives in one or two reads. One buffer serves every stream of
  // the thread (uv_stream.cpp), so an idle session costs none of it.
  static constexpr size_t kReadBufferSize = 64 * 1024;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(handle()); }

  Stream::DataCallback on_data;
  Stream::EofCallback on_eof;
  Stream::ErrorCallback on_error;
  Stream::DoneCallback on_connect;
  bool reading = false;
  size_t unfinished_write_bytes = 0;
};

// Completes a connect request: frees it and, unless the stream is closing,
// runs on_connect once.
void finish_connect(uv_connect_t* req, int status, const char* what);

}  // namespace peernet::uv::detail
