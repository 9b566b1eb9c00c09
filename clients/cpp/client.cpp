// libpeernet-client: the public API (include/peernet/client.hpp) over the
// internal blocking client (ctl/, ctl::Client), which is compiled into this
// library with hidden visibility, together with the protocol code it uses.
#include "peernet/client.hpp"

#include <exception>
#include <map>
#include <utility>
#include <variant>

#include "ctl/client.hpp"
#include "ctl/socket_path.hpp"
#include "json/json_msgpack.hpp"
#include "proto/control/control.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

[[noreturn]] void fail(const Error& e) {
  throw ClientError(std::string(to_string(e.code)), e.message);
}

template <class T>
T take(Result<T> r) {
  if (!r) fail(r.error());
  return std::move(r.value());
}

void check(const Status& s) {
  if (!s) fail(s.error());
}

Request to_request(const control::HandleCall& c) {
  return Request{peer_id_text(c.peer), c.peer_name, c.handle, c.args};
}

Request to_request(const control::HandleSend& s) {
  return Request{peer_id_text(s.peer), s.peer_name, s.handle, s.args};
}

Event to_event(const control::PeerEvent& e) {
  Event out;
  out.kind = std::string(to_string(e.kind));
  out.id = peer_id_text(e.id);
  out.name = e.name;
  out.reason = e.reason;
  out.message = e.message;
  out.addrs = e.addrs.value_or(std::vector<std::string>{});
  out.fingerprint = e.fingerprint;
  return out;
}

}  // namespace

ClientError::ClientError(std::string code, std::string message)
    : std::runtime_error(message.empty() ? code : code + ": " + message),
      code_(std::move(code)),
      message_(std::move(message)) {}
ClientError::~ClientError() = default;

Bytes msgpack_from_json(std::string_view json) { return take(json_text_to_msgpack(json)); }

std::string json_from_msgpack(const Bytes& msgpack) {
  return dump_json(take(peernet::msgpack_to_json(msgpack)));
}

std::string resolve_socket_path(std::string_view explicit_path) {
  std::optional<std::string> flag;
  if (!explicit_path.empty()) flag = std::string(explicit_path);
  return ctl::resolve_socket_path(std::move(flag));
}

const char* version() { return PEERNET_VERSION; }

// Hidden, although nested in an exported class: nothing of it is API.
struct __attribute__((visibility("hidden"))) Client::Impl {
  ctl::Client conn;
  std::map<std::string, std::pair<CallHandler, SendHandler>, std::less<>> handles;
  EventHandler on_event;
  bool stopping = false;

  // Runs one incoming message's handler; a call is answered exactly once.
  void dispatch(ctl::Incoming& in) {
    if (auto* c = std::get_if<ctl::IncomingCall>(&in)) {
      control::HandlerAnswer a;
      auto it = handles.find(c->call.handle);
      if (it == handles.end() || !it->second.first) {
        a = ctl::reply_error("no_such_handle", "nothing serves \"" + c->call.handle + "\"");
      } else {
        try {
          Answer answer = it->second.first(to_request(c->call));
          a = answer.error_code ? ctl::reply_error(*answer.error_code, answer.error_message)
                                : ctl::reply(std::move(answer.value));
        } catch (const ClientError& e) {
          a = ctl::reply_error(e.code(), e.message());
        } catch (const std::exception& e) {
          a = ctl::reply_error("handler_failed", e.what());
        } catch (...) {
          a = ctl::reply_error("handler_failed", "the handler threw");
        }
      }
      check(conn.answer(c->msgid, a));
    } else if (auto* s = std::get_if<control::HandleSend>(&in)) {
      auto it = handles.find(s->handle);
      if (it != handles.end() && it->second.second) it->second.second(to_request(*s));
    } else if (on_event) {
      on_event(to_event(std::get<control::PeerEvent>(in)));
    }
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Client Client::connect(std::string_view path, Options options) {
  ctl::ClientOptions o;
  o.request_timeout = options.request_timeout;
  o.call_grace = options.call_grace;
  auto conn = take(ctl::Client::connect(resolve_socket_path(path), o));
  return Client(std::make_unique<Impl>(Impl{std::move(conn), {}, {}, false}));
}

const std::string& Client::path() const { return impl_->conn.path(); }

Identity Client::identity() {
  auto r = take(impl_->conn.request<control::method::Identity>({}));
  return Identity{peer_id_text(r.id), r.fingerprint, Bytes(r.id.bytes.begin(), r.id.bytes.end())};
}

std::vector<PeerInfo> Client::peers(bool all) {
  auto r = take(impl_->conn.request<control::method::Peers>({.all = all}));
  std::vector<PeerInfo> out;
  out.reserve(r.size());
  for (auto& p : r) {
    out.push_back(PeerInfo{peer_id_text(p.id), p.name, std::string(to_string(p.state)), p.trusted,
                           p.addrs, p.rtt_ms, p.fingerprint});
  }
  return out;
}

std::vector<TrustEntry> Client::trust_list() {
  auto r = take(impl_->conn.request<control::method::TrustList>({}));
  std::vector<TrustEntry> out;
  out.reserve(r.size());
  for (auto& t : r) out.push_back(TrustEntry{peer_id_text(t.id), t.name, t.addrs});
  return out;
}

std::string Client::trust_add(std::string_view id, std::optional<std::string> name,
                              std::optional<std::vector<std::string>> addrs) {
  control::TrustAddParams p;
  p.id = take(parse_peer_id(id));
  p.name = std::move(name);
  p.addrs = std::move(addrs);
  return peer_id_text(take(impl_->conn.request<control::method::TrustAdd>(p)).id);
}

void Client::trust_remove(std::string_view peer) {
  take(impl_->conn.request<control::method::TrustRemove>({std::string(peer)}));
}

Bytes Client::call(std::string_view peer, std::string_view handle, const Bytes& args,
                   std::optional<double> timeout_s) {
  return take(impl_->conn.call(peer, handle, args, timeout_s));
}

SendResult Client::send(std::string_view peer, std::string_view handle, const Bytes& args) {
  auto r = take(impl_->conn.send(peer, handle, args));
  SendResult out;
  out.delivered = r.delivered;
  if (!r.delivered) {
    out.reason = std::string(to_string(r.reason));
    out.message = r.message;
  }
  return out;
}

void Client::expose(std::string_view handle, CallHandler on_call, SendHandler on_send,
                    std::vector<std::string> allow) {
  std::optional<std::vector<std::string>> a;
  if (!allow.empty()) a = std::move(allow);
  check(impl_->conn.expose(handle, std::move(a)));
  impl_->handles.insert_or_assign(std::string(handle),
                                  std::pair{std::move(on_call), std::move(on_send)});
}

void Client::unexpose(std::string_view handle) {
  take(impl_->conn.request<control::method::Unexpose>({std::string(handle)}));
  if (auto it = impl_->handles.find(handle); it != impl_->handles.end()) impl_->handles.erase(it);
}

void Client::subscribe(EventHandler on_event, std::vector<std::string> kinds) {
  std::optional<std::vector<control::PeerEventKind>> k;
  if (!kinds.empty()) {
    k.emplace();
    for (const auto& name : kinds) {
      auto kind = peer_event_from_string(name);
      if (!kind) throw ClientError("bad_request", "subscribe: unknown event \"" + name + "\"");
      k->push_back(*kind);
    }
  }
  impl_->on_event = std::move(on_event);
  check(impl_->conn.subscribe(std::move(k)));
}

int Client::fd() const { return impl_->conn.fd(); }

bool Client::pending() const { return impl_->conn.has_incoming(); }

int Client::process(double wait_s) {
  int handled = 0;
  ctl::Deadline first = wait_s > 0 ? ctl::Deadline::after(wait_s) : ctl::Deadline::now();
  for (;;) {
    auto in = take(impl_->conn.next_incoming(handled == 0 ? first : ctl::Deadline::now()));
    if (!in) return handled;
    impl_->dispatch(*in);
    ++handled;
  }
}

void Client::serve(double seconds) {
  impl_->stopping = false;
  ctl::Deadline until = seconds < 0 ? ctl::Deadline::never() : ctl::Deadline::after(seconds);
  while (!impl_->stopping) {
    auto in = take(impl_->conn.next_incoming(until));
    if (!in) return;
    impl_->dispatch(*in);
  }
}

void Client::stop() { impl_->stopping = true; }

}  // namespace peernet
