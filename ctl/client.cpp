// The typed methods: each encodes its params with proto/control's encoder,
// makes one request and decodes the result with proto/control's decoder.
// The connection mechanics are in connection.cpp.
#include "ctl/client.hpp"

#include "connection.hpp"

namespace peernet::ctl {

using namespace peernet::control;

struct Client::Impl {
  std::unique_ptr<Connection> conn;
  bool stopping = false;

  Deadline request_deadline() const { return Deadline::after(conn->options().request_timeout); }

  template <class P>
  Result<Bytes> round_trip(const P& params) {
    return conn->request(P::kMethod, encode_params(params), request_deadline());
  }
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

Result<HelloResult> Client::hello(std::string_view client_name) {
  HelloParams p;
  if (!client_name.empty()) p.client = std::string(client_name);
  PEERNET_TRY(Bytes r, impl_->round_trip(p));
  return decode_hello_result(r);
}

Result<IdentityResult> Client::identity() {
  PEERNET_TRY(Bytes r, impl_->round_trip(IdentityParams{}));
  return decode_identity_result(r);
}

Result<StatusResult> Client::status() {
  PEERNET_TRY(Bytes r, impl_->round_trip(StatusParams{}));
  return decode_status_result(r);
}

Result<std::vector<PeerInfo>> Client::peers(bool all) {
  PeersParams p;
  p.all = all;
  PEERNET_TRY(Bytes r, impl_->round_trip(p));
  return decode_peers_result(r);
}

Result<IdResult> Client::trust_add(const TrustAddParams& params) {
  PEERNET_TRY(Bytes r, impl_->round_trip(params));
  return decode_id_result(r, method::kTrustAdd);
}

Status Client::trust_remove(std::string_view peer) {
  PEERNET_TRY(Bytes r, impl_->round_trip(TrustRemoveParams{std::string(peer)}));
  return decode_empty_result(r, method::kTrustRemove);
}

Result<std::vector<TrustEntry>> Client::trust_list() {
  PEERNET_TRY(Bytes r, impl_->round_trip(TrustListParams{}));
  return decode_trust_list_result(r);
}

Status Client::expose(std::string_view handle, std::optional<std::vector<std::string>> allow) {
  PEERNET_TRY(Bytes r, impl_->round_trip(ExposeParams{std::string(handle), std::move(allow)}));
  return decode_empty_result(r, method::kExpose);
}

Status Client::unexpose(std::string_view handle) {
  PEERNET_TRY(Bytes r, impl_->round_trip(UnexposeParams{std::string(handle)}));
  return decode_empty_result(r, method::kUnexpose);
}

Result<Bytes> Client::call(std::string_view peer, std::string_view handle, Bytes args,
                           std::optional<double> timeout) {
  CallParams p{std::string(peer), std::string(handle), std::move(args), timeout};
  // The daemon answers `timeout` itself when the call's time is up; our own
  // deadline only guards against a daemon that never answers.
  const auto& opt = impl_->conn->options();
  double wait = timeout.value_or(kMaxTimeout) + opt.call_grace;
  return impl_->conn->request(method::kCall, encode_params(p), Deadline::after(wait));
}

Result<SendResult> Client::send(std::string_view peer, std::string_view handle, Bytes args) {
  PEERNET_TRY(Bytes r,
              impl_->round_trip(SendParams{std::string(peer), std::string(handle), std::move(args)}));
  return decode_send_result(r);
}

Status Client::subscribe(std::optional<std::vector<PeerEventKind>> events) {
  PEERNET_TRY(Bytes r, impl_->round_trip(SubscribeParams{std::move(events)}));
  return decode_empty_result(r, method::kSubscribe);
}

Result<IdResult> Client::connect_addr(std::string_view addr) {
  PEERNET_TRY(Bytes r, impl_->round_trip(ConnectParams{std::string(addr)}));
  return decode_id_result(r, method::kConnect);
}

Result<Bytes> Client::request(std::string_view method, Bytes params, Deadline deadline) {
  return impl_->conn->request(method, std::move(params), deadline);
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
