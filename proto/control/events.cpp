#include "proto/control/events.hpp"

#include <array>

#include "fields.hpp"
#include "proto/link/envelope.hpp"

namespace peernet::control {
namespace {

using detail::Fields;
using detail::Side;
using detail::Writer;

constexpr std::array<std::string_view, 4> kDeliveryKeys = {"peer", "peer_name", "handle", "args"};
constexpr std::array<std::string_view, 5> kEventKeys = {"id", "name", "reason", "message", "addrs"};

constexpr size_t kMaxName = 4096;
constexpr size_t kMaxAddressList = 1024;

// handle.call and handle.send carry the same fields.
template <class D>
Bytes encode_delivery(const D& d) {
  Bytes out;
  Writer w = detail::params_writer(out, 4);
  w.key("peer").peer_id(d.peer);
  w.key("peer_name").opt_str(d.peer_name);
  w.key("handle").str(d.handle);
  w.key("args").raw(d.args);
  return out;
}

template <class D>
Result<D> decode_delivery(ByteView params) {
  PEERNET_TRY(Fields f, Fields::open_params(params, D::kMethod, Side::client, kDeliveryKeys));
  D d;
  PEERNET_TRY(d.peer, f.peer_id("peer"));
  PEERNET_TRY(d.peer_name, f.opt_str("peer_name", kMaxName));
  PEERNET_TRY(d.handle, f.str("handle", kMaxHandleName));
  PEERNET_TRY(ByteView args, f.any("args"));
  d.args.assign(args.begin(), args.end());
  return d;
}

}  // namespace

Bytes encode_params(const HandleCall& c) { return encode_delivery(c); }
Bytes encode_params(const HandleSend& s) { return encode_delivery(s); }

Result<HandleCall> decode_handle_call_params(ByteView params) {
  return decode_delivery<HandleCall>(params);
}
Result<HandleSend> decode_handle_send_params(ByteView params) {
  return decode_delivery<HandleSend>(params);
}

Bytes encode_params(const PeerEvent& e) {
  Bytes out;
  const uint32_t n = 2 + (e.reason ? 1 : 0) + (e.message ? 1 : 0) + (e.addrs ? 1 : 0);
  Writer w = detail::params_writer(out, n);
  w.key("id").peer_id(e.id);
  w.key("name").opt_str(e.name);
  if (e.reason) w.key("reason").str(*e.reason);
  if (e.message) w.key("message").str(*e.message);
  if (e.addrs) w.key("addrs").str_list(*e.addrs);
  return out;
}

Result<PeerEvent> decode_peer_event_params(std::string_view method, ByteView params) {
  auto kind = peer_event_from_string(method);
  if (!kind)
    return make_error(Errc::unsupported, "no event \"" + std::string(method.substr(0, 64)) + "\"");
  PEERNET_TRY(Fields f, Fields::open_params(params, method, Side::client, kEventKeys));
  PeerEvent e;
  e.kind = *kind;
  PEERNET_TRY(e.id, f.peer_id("id"));
  PEERNET_TRY(e.name, f.opt_str("name", kMaxName));
  PEERNET_TRY(e.reason, f.opt_str("reason", kMaxCode));
  PEERNET_TRY(e.message, f.opt_text("message", kDefaultMaxMessage));
  PEERNET_TRY(e.addrs, f.opt_str_list("addrs", kMaxAddressList, kMaxAddress));
  return e;
}

RpcNotification make_notification(const HandleSend& s) {
  return RpcNotification{std::string(HandleSend::kMethod), encode_params(s)};
}

RpcNotification make_notification(const PeerEvent& e) {
  return RpcNotification{std::string(to_string(e.kind)), encode_params(e)};
}

Result<Notification> decode_notification(const RpcNotification& n) {
  if (n.method == HandleSend::kMethod) {
    PEERNET_TRY(HandleSend s, decode_handle_send_params(n.params));
    return Notification(std::move(s));
  }
  PEERNET_TRY(PeerEvent e, decode_peer_event_params(n.method, n.params));
  return Notification(std::move(e));
}

}  // namespace peernet::control
