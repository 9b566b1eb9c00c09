// A raw control-socket connection for load generation: requests are encoded
// into one buffer and written together, responses decoded as they come, so
// any number of calls or sends can be in flight (ctl::Client waits for each
// response; a load generator must not).
#pragma once

#include <optional>
#include <string>

#include "proto/bytes.hpp"
#include "proto/control/rpc.hpp"

namespace bench {

class RpcConn {
 public:
  explicit RpcConn(const std::string& socket_path);
  ~RpcConn();
  RpcConn(const RpcConn&) = delete;
  RpcConn& operator=(const RpcConn&) = delete;

  int fd() const { return fd_; }
  // Appends one message to the output buffer.
  void queue(const peernet::RpcMessage& m) { peernet::encode_to(out_, m); }
  void queue_raw(peernet::ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  size_t queued() const { return out_.size(); }
  // Writes the output buffer (blocking).
  void flush();
  // The next message, waiting up to `timeout_ms` (-1: forever); nullopt on
  // timeout. Dies when the daemon closes the connection.
  std::optional<peernet::RpcMessage> next(int timeout_ms);
  // A message already read and decoded, without waiting.
  std::optional<peernet::RpcMessage> next_buffered();
  // A message already read, undecoded (its bytes, valid until the next
  // call), without waiting; and waiting up to `timeout_ms` for one.
  std::optional<peernet::ByteView> next_raw_buffered();
  std::optional<peernet::ByteView> next_raw(int timeout_ms);

  // One request, waiting for its response (setup only).
  peernet::RpcResponse request(const peernet::RpcRequest& r);

 private:
  bool read_some(int timeout_ms);
  int fd_ = -1;
  peernet::RpcDecoder decoder_;
  peernet::Bytes in_;
  bool fed_ = false;
  peernet::Bytes out_;
};

}  // namespace bench
