#include "proto/control/events.hpp"

#include <algorithm>

#include "proto/peer_id.hpp"

#include "proto/control/codec.hpp"

namespace peernet::control {

Result<PeerEvent> decode_peer_event_params(std::string_view method, ByteView params) {
  auto kind = peer_event_from_string(method);
  if (!kind)
    return make_error(Errc::unsupported, "no event \"" + std::string(method.substr(0, 64)) + "\"");
  PEERNET_TRY(PeerEvent e, decode_params_as<PeerEvent>(params, method, Side::client));
  e.kind = *kind;
  return e;
}

RpcNotification make_notification(const HandleSend& s) {
  return RpcNotification{std::string(HandleSend::Method::kName), encode_params(s)};
}

RpcNotification make_notification(const PeerEvent& e) {
  return RpcNotification{std::string(to_string(e.kind)), encode_params(e)};
}

RpcNotification make_notification(const SendRefused& r) {
  return RpcNotification{std::string(SendRefused::Method::kName), encode_params(r)};
}

namespace {

// From the method name to the "handle" key of {peer, peer_name, handle,
// args}: what handle.send and handle.call share for one peer.
void write_delivery_prefix(MsgpackWriter& w, std::string_view method, const PublicKey& peer,
                           const std::optional<std::string>& peer_name) {
  static_assert(std::tuple_size_v<decltype(HandleSend::kFields)> == 4 &&
                std::tuple_size_v<decltype(HandleCall::kFields)> == 4);
  w.str(method);
  w.array(1);
  w.map(4);
  w.str("peer");
  w.str(peer_id_text(peer));
  w.str("peer_name");
  if (peer_name)
    w.str(*peer_name);
  else
    w.nil();
  w.str("handle");
}

// The prefix, the handle and the "args" key, written at `p`, which has
// room for delivery_head_size() bytes; returns the end. A handle name is at
// most 128 bytes, so its str header is fixstr or str 8.
constexpr uint8_t kArgsKey[] = {0xa4, 'a', 'r', 'g', 's'};

size_t delivery_head_size(ByteView prefix, std::string_view handle) {
  return prefix.size() + (handle.size() <= 31 ? 1 : 2) + handle.size() + sizeof kArgsKey;
}

uint8_t* write_delivery_head(uint8_t* p, ByteView prefix, std::string_view handle) {
  p = std::copy(prefix.begin(), prefix.end(), p);
  if (handle.size() <= 31) {
    *p++ = static_cast<uint8_t>(0xa0 | handle.size());
  } else {
    *p++ = 0xd9;
    *p++ = static_cast<uint8_t>(handle.size());
  }
  p = std::copy(handle.begin(), handle.end(), p);
  return std::copy(std::begin(kArgsKey), std::end(kArgsKey), p);
}

// The head and the args (nil when empty), with one resize and plain
// copies: this runs once per delivered send or call.
void write_delivery_rest(Bytes& out, ByteView prefix, std::string_view handle, ByteView args) {
  const size_t at = out.size();
  out.resize(at + delivery_head_size(prefix, handle) + (args.empty() ? 1 : args.size()));
  uint8_t* p = write_delivery_head(out.data() + at, prefix, handle);
  if (args.empty())
    *p = 0xc0;
  else
    std::copy(args.begin(), args.end(), p);
}

}  // namespace

Bytes handle_send_prefix(const PublicKey& peer, const std::optional<std::string>& peer_name) {
  Bytes out;
  MsgpackWriter w(out);
  w.array(3);
  w.uint(static_cast<uint64_t>(RpcType::notification));
  write_delivery_prefix(w, HandleSend::Method::kName, peer, peer_name);
  return out;
}

void append_handle_send(Bytes& out, ByteView prefix, std::string_view handle, ByteView args) {
  write_delivery_rest(out, prefix, handle, args);
}

void append_handle_send_head(Bytes& out, ByteView prefix, std::string_view handle) {
  const size_t at = out.size();
  out.resize(at + delivery_head_size(prefix, handle));
  write_delivery_head(out.data() + at, prefix, handle);
}

Bytes handle_call_prefix(const PublicKey& peer, const std::optional<std::string>& peer_name) {
  Bytes out;
  MsgpackWriter w(out);
  write_delivery_prefix(w, HandleCall::Method::kName, peer, peer_name);
  return out;
}

void append_handle_call(Bytes& out, uint32_t msgid, ByteView prefix, std::string_view handle, ByteView args) {
  MsgpackWriter w(out);
  w.array(4);
  w.uint(static_cast<uint64_t>(RpcType::request));
  w.uint(msgid);
  write_delivery_rest(out, prefix, handle, args);
}

RpcNotification make_notification(const SendDropped& d) {
  return RpcNotification{std::string(SendDropped::Method::kName), encode_params(d)};
}

Result<Notification> decode_notification(const RpcNotification& n) {
  if (n.method == SendDropped::Method::kName) {
    PEERNET_TRY(SendDropped d, decode_params<SendDropped>(n.params));
    return Notification(std::move(d));
  }
  if (n.method == HandleSend::Method::kName) {
    PEERNET_TRY(HandleSend s, decode_params<HandleSend>(n.params));
    return Notification(std::move(s));
  }
  if (n.method == SendRefused::Method::kName)
    return make_error(Errc::unsupported, "send.refused is not collected by this client");
  PEERNET_TRY(PeerEvent e, decode_peer_event_params(n.method, n.params));
  return Notification(std::move(e));
}

}  // namespace peernet::control
