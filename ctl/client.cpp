// The typed requests (request<M> in client.hpp encodes and decodes from the
// method's description), a few shorthands, and serving. The connection
// mechanics are in connection.cpp.
#include "ctl/client.hpp"

#include "connection.hpp"

namespace peernet::ctl {

using namespace peernet::control;

struct Client::Impl {
  std::unique_ptr<Connection> conn;
  bool stopping = false;
  uint64_t streamed = 0;
};

HandlerAnswer reply(Bytes result) {
  HandlerAnswer a;
  a.result = std::move(result);
  return a;
}

HandlerAnswer reply_error(std::string code, std::string message) {
  HandlerAnswer a;
  a.error = ErrorBody{std::move(code), std::move(message)};
  return a;
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<Client> Client::connect(const std::string& path, ClientOptions options) {
  PEERNET_TRY(auto conn, Connection::open(path, options));
  auto impl = std::make_unique<Impl>();
  impl->conn = std::move(conn);
  return Client(std::move(impl));
}

const std::string& Client::path() const { return impl_->conn->path(); }
int Client::fd() const { return impl_->conn->fd(); }

Deadline Client::request_deadline() const {
  return Deadline::after(impl_->conn->options().request_timeout);
}

Result<Bytes> Client::request(std::string_view method, Bytes params, Deadline deadline) {
  return impl_->conn->request(method, std::move(params), deadline);
}

Result<HelloResult> Client::hello(std::string_view client_name) {
  HelloParams p;
  if (!client_name.empty()) p.client = std::string(client_name);
  return request<method::Hello>(p);
}

Status Client::expose(std::string_view handle, std::optional<std::vector<std::string>> allow) {
  ExposeParams p{std::string(handle), std::move(allow)};
  PEERNET_TRY_VOID(request<method::Expose>(p));
  return {};
}

Result<Bytes> Client::call(std::string_view peer, std::string_view handle, Bytes args,
                           std::optional<double> timeout) {
  // The daemon answers `timeout` itself when the call's time is up; our own
  // deadline only guards against a daemon that never answers.
  double wait = timeout.value_or(kMaxTimeout) + impl_->conn->options().call_grace;
  return request<method::Call>({std::string(peer), std::string(handle), std::move(args), timeout},
                               Deadline::after(wait));
}

Result<SendResult> Client::send(std::string_view peer, std::string_view handle, Bytes args) {
  return request<method::Send>({std::string(peer), std::string(handle), std::move(args)});
}

Result<uint64_t> Client::stream_send(std::string_view peer, std::string_view handle, Bytes args) {
  SendParams p{std::string(peer), std::string(handle), std::move(args)};
  PEERNET_TRY_VOID(impl_->conn->notify(RpcNotification{std::string(method::kSend), encode_params(p)}));
  return ++impl_->streamed;
}

Result<SendFlushResult> Client::flush_sends(std::optional<double> timeout) {
  double wait = timeout.value_or(kMaxTimeout) + impl_->conn->options().call_grace;
  return request<method::SendFlush>({timeout}, Deadline::after(wait));
}

std::vector<SendDropped> Client::take_dropped() { return impl_->conn->take_dropped(); }

Status Client::subscribe(std::optional<std::vector<PeerEventKind>> events) {
  PEERNET_TRY_VOID(request<method::Subscribe>({std::move(events)}));
  return {};
}

bool Client::has_incoming() const { return impl_->conn->has_incoming(); }

Result<std::optional<Incoming>> Client::next_incoming(Deadline deadline) {
  return impl_->conn->next_incoming(deadline);
}

Status Client::answer(uint32_t msgid, const HandlerAnswer& answer) {
  return impl_->conn->answer(msgid, answer);
}

void Client::stop() { impl_->stopping = true; }

Status Client::serve(const Handlers& handlers, Deadline until) {
  impl_->stopping = false;
  while (!impl_->stopping) {
    PEERNET_TRY(auto in, next_incoming(until));
    if (!in) return {};
    if (auto* c = std::get_if<IncomingCall>(&*in)) {
      HandlerAnswer a = handlers.on_call
                            ? handlers.on_call(c->call)
                            : reply_error("no_such_handle", "nothing serves \"" + c->call.handle + "\"");
      PEERNET_TRY_VOID(answer(c->msgid, a));
    } else if (auto* s = std::get_if<HandleSend>(&*in)) {
      if (handlers.on_send) handlers.on_send(*s);
    } else if (handlers.on_event) {
      handlers.on_event(std::get<PeerEvent>(*in));
    }
  }
  return {};
}

}  // namespace peernet::ctl
