// libpeernet-client: a C++ client of peernetd's control socket
// (guides/control-api.md). Link with `pkg-config --cflags --libs peernet-client`.
//
//     peernet::Client c = peernet::Client::connect();    // $PEERNET_SOCKET, else the default
//     peernet::Bytes answer = c.call("laptop", "echo", peernet::msgpack_from_json(R"({"text":"hi"})"), 5.0);
//     std::cout << peernet::json_from_msgpack(answer) << "\n";     // {"text":"hi"}
//
//     c.expose("echo", [](const peernet::Request& r) { return peernet::Answer::result(r.args); });
//     c.serve();                                          // until the daemon stops
//
// Values (args, results) are single msgpack objects as bytes;
// msgpack_from_json() and json_from_msgpack() convert, or use any msgpack
// library. Errors are exceptions:
// peernet::ClientError, whose code() is the control API's stable code
// ("peer_offline", "timeout", "no_such_handle", "forbidden",
// "handler_failed", ...). Every blocking call has a deadline.
//
// A Client is one connection: handles it exposes belong to it. Not
// thread-safe: use one per thread. Within an application's own event loop,
// poll fd() for reading and call process() when it is readable (and after
// any other call on the client, which may have buffered incoming messages:
// pending() says so).
//
// The ABI is versioned by the soname (libpeernet-client.so.0); the classes
// hold only a pointer to their implementation, so adding to them keeps it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "peernet/export.hpp"

namespace peernet {

// One msgpack object, encoded. Empty means nil.
using Bytes = std::vector<std::uint8_t>;

// An error answer, or a failure to reach the daemon. code() is stable;
// what() is "CODE: MESSAGE" for humans.
class PEERNET_API ClientError : public std::runtime_error {
 public:
  ClientError(std::string code, std::string message);
  ~ClientError() override;
  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string code_;
  std::string message_;
};

// JSON text to a msgpack object (bad JSON: ClientError "bad_request"), and back
// (a bin value becomes a base64 string, as peernetctl prints it).
PEERNET_API Bytes msgpack_from_json(std::string_view json);
PEERNET_API std::string json_from_msgpack(const Bytes& msgpack);

// The socket peernetctl uses without --socket: `explicit_path` when not
// empty, else $PEERNET_SOCKET, else peernetd's default (root: the system
// daemon's /run/peernet/peernetd.sock; anyone else: their own user-mode
// daemon's $XDG_RUNTIME_DIR/peernet/peernetd.sock; the other one when only
// it exists).
PEERNET_API std::string resolve_socket_path(std::string_view explicit_path = {});

// The library's version, "0.1.0".
PEERNET_API const char* version();

struct Identity {
  std::string id;           // the peer id, ABCDEFG-HIJKLMN-…
  std::string fingerprint;  // to compare out of band
  Bytes public_key;         // 32 bytes
};

struct PeerInfo {
  std::string id;
  std::optional<std::string> name;  // the alias
  std::string state;                // "online", "connecting", "offline"
  bool trusted = false;
  std::vector<std::string> addrs;
  std::optional<double> rtt_ms;
  std::optional<std::string> fingerprint;
};

struct TrustEntry {
  std::string id;
  std::optional<std::string> name;
  std::vector<std::string> addrs;
};

// A send's outcome: a dropped send is a result, not an error.
struct SendResult {
  bool delivered = true;
  std::string reason;  // when !delivered: "peer_offline", "busy", "payload_too_large"
  std::string message;
};

// A call or a send to a handle this client exposed.
struct Request {
  std::string peer;                      // the caller's peer id
  std::optional<std::string> peer_name;  // its alias here
  std::string handle;
  Bytes args;
};

// What a call handler answers: a result, or an error with a code of 1-64
// bytes of [a-z0-9_]. A handler that throws answers "handler_failed" (a
// peernet::ClientError: its own code).
struct Answer {
  Bytes value;
  std::optional<std::string> error_code;
  std::string error_message;
  static Answer result(Bytes value) { return Answer{std::move(value), std::nullopt, {}}; }
  static Answer error(std::string code, std::string message) {
    return Answer{{}, std::move(code), std::move(message)};
  }
};

// A peer event, after subscribe().
struct Event {
  std::string kind;  // "peer.up", "peer.down", "peer.connecting", "peer.discovered",
                     // "peer.wants_to_pair"
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> reason;  // peer.down
  std::optional<std::string> message;
  std::vector<std::string> addrs;     // peer.connecting, peer.discovered, peer.wants_to_pair
  std::optional<std::string> fingerprint;
};

using CallHandler = std::function<Answer(const Request&)>;
using SendHandler = std::function<void(const Request&)>;
using EventHandler = std::function<void(const Event&)>;

struct Options {
  // Seconds any request but call() waits for its answer.
  double request_timeout = 60;
  // A call waits for its own timeout plus this (the daemon answers
  // "timeout" itself when the call's time is up).
  double call_grace = 10;
};

class PEERNET_API Client {
 public:
  // Connects to `path` (resolve_socket_path(path)). Errors: "closed" (no
  // daemon there), "forbidden" (may not open the socket), "io_error".
  static Client connect(std::string_view path = {}, Options options = {});

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  const std::string& path() const;

  // ---- requests; each waits at most Options::request_timeout ----
  Identity identity();
  std::vector<PeerInfo> peers(bool all = false);
  std::vector<TrustEntry> trust_list();
  // Admin: trusts a full peer id (alias and addresses optional); returns the id.
  std::string trust_add(std::string_view id, std::optional<std::string> name = std::nullopt,
                        std::optional<std::vector<std::string>> addrs = std::nullopt);
  void trust_remove(std::string_view peer);

  // Calls `handle` on `peer` (an id, a unique prefix or an alias) and returns
  // its result. timeout_s: seconds, nullopt for the daemon's default; the
  // wait ends then (plus Options::call_grace) at the latest.
  Bytes call(std::string_view peer, std::string_view handle, const Bytes& args,
             std::optional<double> timeout_s = std::nullopt);
  SendResult send(std::string_view peer, std::string_view handle, const Bytes& args);

  // Exposes `handle`; calls go to on_call (unset: answered no_such_handle),
  // sends to on_send. allow: only these peers (empty: every trusted peer).
  // Handlers run inside process() and serve().
  void expose(std::string_view handle, CallHandler on_call, SendHandler on_send = {},
              std::vector<std::string> allow = {});
  void unexpose(std::string_view handle);
  // Peer events to on_event (kinds empty: all of them).
  void subscribe(EventHandler on_event, std::vector<std::string> kinds = {});

  // ---- incoming ----
  // The socket, to poll for reading in an application's event loop.
  int fd() const;
  // Whether messages are already buffered (poll() will not report them).
  bool pending() const;
  // Dispatches incoming calls, sends and events, waiting up to `wait_s`
  // seconds for the first one (0: only what is there now); returns how many
  // it handled. Throws ClientError "closed" when the daemon went away.
  int process(double wait_s = 0);
  // process() until stop() or `seconds` passed (negative: no end).
  void serve(double seconds = -1);
  void stop();

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace peernet
