// A blocking client of peernetd's control socket (guides/control-api.md),
// for programs that want to call, send and serve handles without an event
// loop of their own. peernetctl is built on it.
//
//     PEERNET_TRY(auto client, ctl::Client::connect(ctl::resolve_socket_path()));
//     PEERNET_TRY(Bytes result, client.call("laptop", "echo", args, 5.0));
//
//     PEERNET_TRY_VOID(client.expose("echo"));
//     ctl::Client::Handlers h;
//     h.on_call = [](const control::HandleCall& c) { return ctl::reply(c.args); };
//     PEERNET_TRY_VOID(client.serve(h));  // until the daemon goes away
//
// The protocol is msgpack-RPC in both directions. Every method below sends
// one request and waits for its response, within a deadline; while it waits,
// whatever the daemon sends unasked (handle.call requests, handle.send and
// peer.* notifications) is kept in an inbox, in order, for next_incoming()
// or serve(). A Client is one connection: the handles it exposes belong to
// it and disappear when it is destroyed. Not thread-safe; use one per thread.
//
// Errors are values. Besides the daemon's own codes (guides/control-api.md
// §5), the client produces:
//   Errc::closed          no daemon: the socket is missing, nobody listens on
//                         it, or the daemon closed the connection
//   Errc::forbidden       the socket exists but we may not open it
//   Errc::timeout         the daemon did not answer within the deadline
//   Errc::protocol_error  the daemon sent something the protocol forbids
// After closed or protocol_error the Client is unusable (every method fails
// the same way).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ctl/deadline.hpp"
#include "proto/bytes.hpp"
#include "proto/control/control.hpp"
#include "proto/result.hpp"

namespace peernet::ctl {

struct ClientOptions {
  // How long a request other than `call` may wait for its response, seconds.
  // `connect` waits for a handshake, so this is generous.
  double request_timeout = 60;
  // A call waits for its own timeout plus this, since the daemon answers
  // `timeout` itself when the call's time is up. A call without a timeout
  // waits for the longest the daemon allows (control::kMaxTimeout) plus this.
  double call_grace = 10;
  // The largest message accepted from the daemon. The default fits the
  // largest session.max_envelope the daemon can be configured with.
  size_t max_message = control::max_message(size_t{64} << 20);
  // Messages the inbox holds while nobody takes them. Beyond it, a
  // handle.call is answered `busy` and a notification is dropped.
  size_t max_inbox = 4096;
};

// A peer called a handle this connection exposed; answer it with
// Client::answer(msgid, …) exactly once.
struct IncomingCall {
  uint32_t msgid = 0;
  control::HandleCall call;
};
using Incoming = std::variant<IncomingCall, control::HandleSend, control::PeerEvent>;

// Answers for a handle.call: a result (one msgpack object; empty = nil), or
// an error with a code of 1..64 bytes of [a-z0-9_] (another code is sent as
// handler_failed with the code at the start of the message).
control::HandlerAnswer reply(Bytes result);
control::HandlerAnswer reply_error(std::string code, std::string message);

class Client {
 public:
  // Connects to the socket at `path` (see ctl/socket_path.hpp). Errors:
  //   closed     "peernetd is not running? no socket at PATH" (or nobody
  //              listening on it)
  //   forbidden  "permission denied: PATH (are you in the peernet group?)"
  //   io_error   anything else the system refuses
  static Result<Client> connect(const std::string& path, ClientOptions options = {});

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  const std::string& path() const;
  // The socket, for a caller's own poll(): readable means next_incoming()
  // has something to read. Check has_incoming() first: messages that arrived
  // during a request are already in the inbox, and poll() will not report them.
  int fd() const;

  // ---- Methods (guides/control-api.md §6), one round trip each ----
  // Any method a client sends, from its description (proto/control/*_methods.hpp):
  //
  //     PEERNET_TRY(auto peers, client.request<control::method::Peers>({.all = true}));
  //
  // waits for the response until `deadline` (default: options'
  // request_timeout) and decodes the result as the description says.
  template <class M>
  Result<typename M::Result> request(const typename M::Params& params,
                                     std::optional<Deadline> deadline = std::nullopt) {
    PEERNET_TRY(Bytes r, request(M::kName, control::encode_params(params),
                                 deadline ? *deadline : request_deadline()));
    return control::decode_result<M>(r);
  }

  // Shorthands for what peernetctl and the tests use most.
  Result<control::HelloResult> hello(std::string_view client_name = {});
  Status expose(std::string_view handle,
                std::optional<std::vector<std::string>> allow = std::nullopt);
  // The remote handler's result as its msgpack bytes. `args` is one msgpack
  // object (empty: nil). timeout: seconds; nullopt uses the daemon's
  // default. The wait is the call's own timeout plus options' call_grace.
  Result<Bytes> call(std::string_view peer, std::string_view handle, Bytes args,
                     std::optional<double> timeout = std::nullopt);
  // A dropped send is a result (delivered == false), not an error.
  Result<control::SendResult> send(std::string_view peer, std::string_view handle, Bytes args);
  // Streamed sends (guides/control-api.md, "Streaming sends"): a `send`
  // notification, no answer each; written in batches. Returns the send's
  // number on this connection (1, 2, …), which send.dropped reports name.
  // Blocks while the daemon does not read (its session to the peer is
  // busy): that is the stream's backpressure.
  Result<uint64_t> stream_send(std::string_view peer, std::string_view handle, Bytes args);
  // Writes what is queued and asks send.flush: the totals since this
  // connection opened, once the peers have read the sends. timeout:
  // seconds for the peers' round trips (nullopt: the daemon's default).
  Result<control::SendFlushResult> flush_sends(std::optional<double> timeout = std::nullopt);
  // The send.dropped reports received so far; each is returned once.
  std::vector<control::SendDropped> take_dropped();
  // nullopt: every event; {}: none.
  Status subscribe(std::optional<std::vector<control::PeerEventKind>> events = std::nullopt);

  // Any request: `params` is the params array (control::encode_params).
  // Returns the raw result bytes; an error response becomes its Error.
  Result<Bytes> request(std::string_view method, Bytes params, Deadline deadline);
  // Now plus options' request_timeout.
  Deadline request_deadline() const;

  // ---- Serving ----
  // Whether the inbox holds something (next_incoming(Deadline::now()) will
  // return it).
  bool has_incoming() const;
  // The next thing the daemon sent unasked, waiting for it until `deadline`;
  // nullopt when the deadline passed first.
  Result<std::optional<Incoming>> next_incoming(Deadline deadline);
  // Answers a handle.call. Returns once the answer is written (or the
  // request timeout passed).
  Status answer(uint32_t msgid, const control::HandlerAnswer& answer);

  struct Handlers {
    // Unset: calls are answered no_such_handle.
    std::function<control::HandlerAnswer(const control::HandleCall&)> on_call;
    std::function<void(const control::HandleSend&)> on_send;
    std::function<void(const control::PeerEvent&)> on_event;
  };
  // Takes incoming messages and hands them to `handlers`, answering every
  // call with what on_call returns, until `until` passes or a handler calls
  // stop() (both return ok) or the connection fails (its error, e.g.
  // Errc::closed when the daemon stops).
  Status serve(const Handlers& handlers, Deadline until = Deadline::never());
  // Makes serve() return after the current message.
  void stop();

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace peernet::ctl
