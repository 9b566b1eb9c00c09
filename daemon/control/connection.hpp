// One connection to the control socket: a local program speaking
// msgpack-RPC in both directions (guides/control-api.md).
//
// Life of a connection:
//
//   open ──EOF──────────────> draining ──ops answered, queue flushed──> closed
//     │  ──server stop──────> draining (outstanding ops answered `cancelled`)
//     └──bad bytes, oversized, write error, not reading──────────────────> closed
//
// Entering `draining` or `closed` releases what the connection holds in the
// Daemon at once: its handles (Daemon::release_owner), its event
// subscription, and the handle.call requests it still owes an answer (each
// answered `handler_failed` to the calling peer). A draining connection
// reads nothing more but still answers the requests it was given.
//
// Every request gets exactly one response while the connection lives:
// synchronous methods answer at once, asynchronous ones (call, connect) when
// the Daemon calls back, or `cancelled` when the server stops first.
//
// Ownership: the ControlServer holds each client in a shared_ptr; every
// callback into a client (stream, timers, Daemon callbacks, the handles it
// exposed) either runs while the client is alive or holds a weak_ptr, and
// entry points keep `self` alive while they run, since closing removes the
// client from the server.
#pragma once

#include <uv.h>

#include <bitset>
#include <deque>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "daemon.hpp"
#include "handles/table.hpp"
#include "base/log.hpp"
#include "proto/control/control.hpp"
#include "proto/control/rpc.hpp"
#include "uv/pipe.hpp"
#include "base/deadlines.hpp"
#include "uv/timer.hpp"

namespace peernet {

// Counters of the control server, reported by `status`.
struct ControlCounters {
  uint64_t clients_accepted = 0;
  uint64_t clients_open = 0;
  uint64_t clients_refused = 0;         // over the connection cap
  uint64_t clients_cut_off = 0;         // closed for not reading their responses
  uint64_t notifications_dropped = 0;   // to clients whose write queue was full
  uint64_t bad_requests = 0;            // answered bad_request, unsupported or forbidden
  uint64_t clients_refused_reserve = 0; // non-admins refused: the rest is kept for admins
  uint64_t clients_refused_per_uid = 0; // over control.max_clients_per_uid
  uint64_t reads_paused = 0;            // times a client's requests waited for its answers to drain
  uint64_t duplicate_msgids = 0;        // requests reusing the msgid of one in flight
  uint64_t queued_bytes = 0;            // now: ControlContext::queued_total
  // Streamed sends (the `send` notification, control-api.md "Streaming sends").
  uint64_t stream_sends = 0;            // read from clients
  uint64_t stream_dropped = 0;          // reported dropped to them (send.dropped)
  uint64_t stream_waits = 0;            // times a client was not read while a session's queue drained
  // The metrics HTTP endpoint (control/metrics_http.hpp).
  uint64_t metrics_requests = 0;        // GET /metrics answered 200
  uint64_t metrics_bad_requests = 0;    // answered 400, 404, 405 or 431
  uint64_t metrics_refused = 0;         // connections over metrics.max_connections
};

// What every client of one server shares. Owned by the ControlServer.
struct ControlContext {
  uv_loop_t* loop = nullptr;
  Daemon* daemon = nullptr;
  Logger* log = nullptr;
  std::string daemon_name;       // hello's "daemon": "peernetd 0.1.0"
  size_t max_message = 0;        // control::max_message(session.max_envelope)
  size_t write_queue_cap = 0;    // per connection; see ControlClient::write
  uint64_t drain_timeout_ms = 0; // bound on flushing a closing connection
  // Backpressure (control-api.md, "Limits"): a client's requests are not
  // read while more than pause_reading_above bytes of answers wait for it,
  // nor while all clients together have more than write_budget queued.
  size_t pause_reading_above = 256 << 10;
  size_t write_budget = 64 << 20;
  size_t queued_total = 0;       // bytes queued to all clients
  ControlCounters counters;
  // Runs once when a client reaches `closed` (the server forgets it).
  std::function<void(uint64_t client_id)> on_closed;
};

class ControlClient;

// Dispatch. Each control method a client may call has a handler named after
// its description, defined in the file of its topic (control/methods_*.cpp)
// next to that file's route table:
//
//     template <>
//     void serve<control::method::Call>(ControlClient& c, uint32_t msgid,
//                                       control::CallParams p) { ... }
//
// It answers the request exactly once (now, or later for asynchronous
// methods). serve<M> has the client's private access.
template <class M>
void serve(ControlClient& client, uint32_t msgid, typename M::Params params);

// One row of dispatch: a method's name and what decodes its params and
// calls its serve<M>.
struct ControlRoute {
  std::string_view method;
  void (*run)(ControlClient& client, uint32_t msgid, ByteView params);
};
template <class M>
constexpr ControlRoute route();

// The route tables of control/methods_peers.cpp, methods_handles.cpp and
// methods_operator.cpp, and the lookup over them; nullptr for a method without a route.
std::span<const ControlRoute> peer_routes();
std::span<const ControlRoute> handle_routes();
std::span<const ControlRoute> operator_routes();
const ControlRoute* find_route(std::string_view method);

class ControlClient : public std::enable_shared_from_this<ControlClient> {
 public:
  // `ctx` and the Daemon it points to must outlive the client.
  ControlClient(ControlContext& ctx, uint64_t id, uv::PipeStream stream, uv::PeerCred cred,
                bool admin);
  // Closes without answering anything (the server is being destroyed).
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Starts reading. On error the caller drops the client.
  Status start();
  // The server stops: answer outstanding requests `cancelled`, stop reading,
  // flush what is queued (bounded by ctx.drain_timeout_ms), then close.
  void drain();

  uint64_t id() const { return id_; }
  bool admin() const { return admin_; }
  const uv::PeerCred& cred() const { return cred_; }
  // "control client 3 (uid 1000, pid 4242)", for log lines.
  std::string tag() const;

 private:
  class ExposedHandler;
  enum class State { open, draining, closed };
  enum class Kind { response, request, notification };

  // A handle.call sent to this client and not answered yet.
  struct OutboundCall {
    Responder responder;
    std::string handle;
    uint64_t token;  // call_deadlines_.add's
    double timeout_s;
  };

  // ---- connection (control_client.cpp) ----
  void on_data(ByteView data);
  // Decodes and runs what was read, until the input is used up or the
  // client's answers are over the backpressure bounds (then reading stops).
  void process_input();
  bool over_budget() const;
  void maybe_resume_reading();
  // Keeps ctx_.queued_total up to date with this client's queue.
  void account();
  void on_eof();
  void dispatch(RpcMessage message);
  void on_request(RpcRequest request);
  void on_notification(RpcNotification notification);
  // A call request read in place (control::read_call_request).
  void on_call_request(const control::CallView& call);
  void start_call(uint32_t msgid, std::string_view peer, std::string_view handle, ByteView args,
                  std::optional<double> timeout);
  void on_response(RpcResponse response);
  bool write(const RpcMessage& message, Kind kind);
  // write() for a message `encode(out)` appends itself (connection.cpp).
  // `payload`, when given, follows what `encode` wrote as a buffer of its
  // own, moved rather than copied.
  template <class Encode>
  bool write_with(Kind kind, const Encode& encode, Bytes* payload = nullptr);
  // Args at least this large are delivered as a buffer of their own.
  static constexpr size_t kSeparatePayload = 16 * 1024;
  void flush();
  size_t queued_bytes() const;
  void respond(uint32_t msgid, Result<Bytes> result);
  void expire_calls(std::vector<uint64_t> msgids);
  void begin_drain(bool cancel_outstanding);
  void maybe_finish_drain();
  void close(std::string_view why, LogLevel level);
  void release();

  // Requests answered later: a token per request, so that a Daemon callback
  // arriving after the request was answered `cancelled` finds nothing.
  uint64_t next_token() { return ++last_token_; }
  void begin_async(uint64_t token, uint32_t msgid) {
    outstanding_.emplace(token, msgid);
    outstanding_msgids_.insert(msgid);
  }
  void finish_async(uint64_t token, Result<Bytes> result);
  // A callback for the Daemon that answers request `token` of this client.
  std::function<void(Result<Bytes>)> async_answer(uint64_t token);

  // ---- from the Daemon: handle.call, handle.send, peer events ----
  // The Handler a handle this client exposes is routed to.
  std::shared_ptr<Handler> make_handler();
  void deliver_call(IncomingCall call);
  void deliver_send(IncomingSend send);
  bool congested() const;
  void when_drained(std::function<void()> resume);
  void resume_senders();
  void on_peer_event(const PeerEvent& event);
  // Sends of this connection that a peer may report as not delivered: the
  // last kMaxRefusalWatch (peer, handle) targets (events.hpp, send.refused).
  void watch_send(const PublicKey& peer, const std::string& handle);
  void on_send_refused(const PublicKey& peer, const std::string& handle, const std::string& code);
  uint32_t next_outbound_msgid();
  std::optional<std::string> alias_of(const PublicKey& key) const;

  // ---- streamed sends (control/methods_handles.cpp) ----
  // One streamed send, numbered in the order read.
  struct StreamedSend {
    uint64_t seq = 0;
    PublicKey peer;
    std::string handle;
    Bytes args;
  };
  // Counts a streamed send read and returns its number.
  uint64_t number_streamed_send();
  void on_streamed_send(const control::SendView& v);  // read in place
  void on_streamed_send(RpcNotification n);            // any other form
  // Hands it to the session, or waits (keeping a copy, reading nothing
  // more) while the session's queue is half full.
  void stream_send(uint64_t seq, std::string_view peer_name, std::string_view handle, ByteView args);
  void stream_send_to(uint64_t seq, const PublicKey& peer, std::string_view handle, ByteView args);
  void resume_stream();
  // Counts a drop and adds it to the run being collected (one send.dropped
  // per run of consecutive drops alike); `seq` nullopt for one the peer
  // reported.
  void drop_streamed(std::optional<uint64_t> seq, const std::optional<PublicKey>& peer,
                     const std::optional<std::string>& handle, std::string_view reason,
                     std::string_view message);
  // Writes the run collected so far (before any other message, and at the
  // end of each loop iteration).
  void emit_drops();
  control::SendFlushResult flush_result(bool confirmed) const;
  void subscribe_refusals();

  // ---- methods (control/methods_*.cpp) ----
  template <class M>
  friend void serve(ControlClient& client, uint32_t msgid, typename M::Params params);
  template <class M>
  friend void run_route(ControlClient& client, uint32_t msgid, ByteView params);

  // A peer name (alias, full id, unique prefix) to its key; with
  // `trusted_only`, a key off the trust list is Errc::untrusted_peer.
  Result<PublicKey> resolve(std::string_view name, bool trusted_only) const;
  // resolve(name, true), remembering the last name while the trust list
  // stays the same (streamed sends and calls name one peer again and again).
  Result<PublicKey> resolve_cached(std::string_view name);
  // A per-peer prefix of what deliver_send/deliver_call write, made by
  // `make` for `peer` and its alias, kept while peer and trust list stay.
  struct DeliveryPrefix {
    Bytes bytes;
    PublicKey peer;
    uint64_t trust = 0;
  };
  const Bytes& delivery_prefix(DeliveryPrefix& cache, const PublicKey& peer,
                               Bytes (*make)(const PublicKey&, const std::optional<std::string>&));

  ControlContext& ctx_;
  Daemon& daemon_;
  Logger& log_;
  const uint64_t id_;  // also the OwnerId of the handles it exposes
  const uv::PeerCred cred_;
  const bool admin_;
  State state_ = State::open;
  uv::PipeStream stream_;
  RpcDecoder decoder_;
  Bytes inbox_;                  // the rest of a chunk whose decoding paused (the decoder keeps a view of it)
  bool reading_paused_ = false;  // over the backpressure bounds: inbox_ may hold unread requests
  size_t accounted_ = 0;         // this client's part of ctx_.queued_total
  uv::Timer drain_timer_;
  // Encoded messages not yet handed to the stream: small ones share the
  // last buffer, a large payload is a buffer of its own (write_with).
  std::vector<Bytes> out_;
  size_t out_bytes_ = 0;
  bool out_tail_shared_ = false;  // out_.back() may take more messages
  size_t shared_bytes_ = 0;       // of out_bytes_, in shared buffers
  size_t last_batch_bytes_ = 0;   // shared_bytes_ at the last flush
  uv::Timer flush_timer_;  // writes out_ in the loop's next iteration

  uint64_t last_token_ = 0;
  std::map<uint64_t, uint32_t> outstanding_;  // token -> the request's msgid
  std::multiset<uint32_t> outstanding_msgids_;  // the msgids of outstanding_

  uint32_t last_outbound_msgid_ = 0;
  std::unordered_map<uint32_t, OutboundCall> outbound_;
  Deadlines call_deadlines_;  // of outbound_, on one timer

  std::optional<Daemon::SubscriptionId> subscription_;
  std::bitset<control::kPeerEventKinds> events_;  // indexed by PeerEventKind
  std::optional<Daemon::SubscriptionId> refused_subscription_;
  std::deque<std::pair<PublicKey, std::string>> sent_to_;  // newest last
  bool warned_dropping_ = false;
  // Sessions paused while this client was congested (deliver_send).
  std::vector<std::function<void()>> drained_waiters_;

  // handle.send up to the handle (deliver_send), and handle.call after the
  // msgid up to the handle (deliver_call), for the peer that sent last.
  DeliveryPrefix send_prefix_;
  DeliveryPrefix call_prefix_;

  // Streamed sends.
  uint64_t stream_seq_ = 0;      // streamed sends read: the last one's number
  uint64_t stream_dropped_ = 0;  // of them, reported dropped
  std::optional<control::SendDropped> drop_run_;
  bool emitting_drops_ = false;
  std::optional<StreamedSend> stalled_;  // waits for its session's queue to drain
  uv::Timer resume_timer_;               // retries stalled_ from a fresh callback
  std::vector<PublicKey> stream_peers_;  // streamed to since the last send.flush
  // (peer, handle) targets of streamed sends, newest last (at most
  // kMaxRefusalWatch): a peer's refusal for one of them is a streamed drop.
  std::deque<std::pair<PublicKey, std::string>> stream_targets_;
  // The last peer name resolved for a streamed send or a call, while the
  // trust list is the same: resolving is a search of the trust list.
  struct {
    std::string name;
    PublicKey key;
    uint64_t trust = 0;  // Daemon::trust_generation() when resolved
  } last_peer_;
};

// Decodes the params of M and serves it; a params error is the answer.
template <class M>
void run_route(ControlClient& client, uint32_t msgid, ByteView params) {
  auto p = control::decode_params<typename M::Params>(params);
  if (!p) return client.respond(msgid, std::move(p).error());
  serve<M>(client, msgid, std::move(*p));
}

template <class M>
constexpr ControlRoute route() {
  return ControlRoute{M::kName, &run_route<M>};
}

}  // namespace peernet
