// Private to ctl/: one control connection, blocking with deadlines.
//
// Everything the client does is "queue bytes, then wait": wait_once() makes
// one poll() for the socket, writes what it can of the outgoing buffer and
// reads what has arrived, and every blocking operation is a loop of
// wait_once() until its condition holds or its deadline passes. Reading
// while writing matters: if the daemon is writing to us (a burst of
// handle.send) while we write a large request, both socket buffers could
// fill and each side wait for the other forever.
//
// Incoming messages are sorted as they are decoded:
//   response      kept if it answers the request being waited for, else
//                 dropped (it answers one that timed out)
//   handle.call   to the inbox; a malformed one is answered bad_request, an
//                 unknown request method unsupported
//   notification  to the inbox; unknown or malformed ones are dropped
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctl/client.hpp"
#include "proto/control/rpc.hpp"

namespace peernet::ctl {

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  const ClientOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  const ClientOptions& options() const { return options_; }

  Result<Bytes> request(std::string_view method, Bytes params, Deadline deadline);
  bool has_incoming() const { return !inbox_.empty(); }
  Result<std::optional<Incoming>> next_incoming(Deadline deadline);
  Status answer(uint32_t msgid, const control::HandlerAnswer& answer);
  // Queues a notification; once kBatch bytes wait, writes them (blocking
  // until the daemon has read them, reading meanwhile).
  Status notify(const RpcNotification& n);
  // Writes everything queued.
  Status flush(Deadline deadline);
  std::vector<control::SendDropped> take_dropped() {
    std::vector<control::SendDropped> d;
    d.swap(dropped_);
    return d;
  }

 private:
  Connection(int fd, std::string path, const ClientOptions& options);

  // One poll() and the I/O it allows. Returns the connection's error once it
  // is broken; ok otherwise, whether or not anything happened.
  Status wait_once(Deadline deadline);
  Status write_some();
  Status read_some();
  void dispatch(RpcMessage message);
  void on_request(RpcRequest request);
  void queue(const RpcMessage& message);
  // Marks the connection unusable (the first error sticks) and returns it.
  Error fail(Error error);

  int fd_;
  std::string path_;
  ClientOptions options_;
  RpcDecoder decoder_;
  Bytes out_;           // encoded messages not yet written
  size_t out_sent_ = 0;  // bytes of out_ already written
  uint32_t next_msgid_ = 1;
  std::optional<uint32_t> awaited_;      // the request being waited for
  std::optional<RpcResponse> response_;  // its response, once here
  std::deque<Incoming> inbox_;
  std::vector<control::SendDropped> dropped_;  // send.dropped, until taken
  std::optional<Error> broken_;
};

}  // namespace peernet::ctl
