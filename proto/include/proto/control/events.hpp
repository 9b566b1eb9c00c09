// What the daemon sends a client unasked (guides/control-api.md,
// "Daemon to client").
//
//   request       handle.call  [{peer, peer_name, handle, args}]
//                 A peer called a handle this connection exposed. The client
//                 answers with a response: the result, or an error map (see
//                 response.hpp). The daemon relays the answer to the
//                 peer; no answer within the caller's timeout means the
//                 caller sees `timeout` (a late answer is ignored).
//   notification  handle.send  [{peer, peer_name, handle, args}]
//   notification  peer.up / peer.down / peer.connecting / peer.discovered /
//                 peer.wants_to_pair
//                 [{id, name, reason?, message?, addrs?}], after subscribe.
//
// peer and id are peer id text; peer_name and name are the trusted alias,
// nil when the peer has none. args is the peer's msgpack object, as sent.
//
// A client decodes these leniently like results (codec.hpp):
// unknown keys are skipped; errors are Errc::protocol_error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/rpc.hpp"
#include "proto/control/schema.hpp"
#include "proto/keys.hpp"
#include "proto/link/envelope.hpp"
#include "proto/result.hpp"

namespace peernet::control {

namespace method {
struct HandleCall;
struct HandleSend;
struct SendRefused;
struct SendDropped;
}  // namespace method

inline constexpr size_t kMaxPeerNameText = 4096;  // peer_name and name: an alias

struct HandleCall {
  using Method = method::HandleCall;
  PublicKey peer;
  std::optional<std::string> peer_name;
  std::string handle;
  Bytes args;  // one msgpack object; empty encodes as nil
  static constexpr auto kFields = std::tuple{
      field("peer", &HandleCall::peer, PeerIdText{}),
      field("peer_name", &HandleCall::peer_name, nullable(Str{kMaxPeerNameText})),
      field("handle", &HandleCall::handle, Str{kMaxHandleName}),
      field("args", &HandleCall::args, Raw{}),
  };
  friend bool operator==(const HandleCall&, const HandleCall&) = default;
};

struct HandleSend {
  using Method = method::HandleSend;
  PublicKey peer;
  std::optional<std::string> peer_name;
  std::string handle;
  Bytes args;  // one msgpack object; empty encodes as nil
  static constexpr auto kFields = std::tuple{
      field("peer", &HandleSend::peer, PeerIdText{}),
      field("peer_name", &HandleSend::peer_name, nullable(Str{kMaxPeerNameText})),
      field("handle", &HandleSend::handle, Str{kMaxHandleName}),
      field("args", &HandleSend::args, Raw{}),
  };
  friend bool operator==(const HandleSend&, const HandleSend&) = default;
};

// A peer reported that a send of this connection was not delivered: it has
// no handle of that name for us (protocol.md §5.1; a handle it exposes to
// other peers only is reported the same way). Sent to each connection that
// sent to that peer and handle (its last kMaxRefusalWatch targets).
struct SendRefused {
  using Method = method::SendRefused;
  PublicKey peer;
  std::optional<std::string> peer_name;
  std::string handle;
  std::string code;  // "no_such_handle"
  static constexpr auto kFields = std::tuple{
      field("peer", &SendRefused::peer, PeerIdText{}),
      field("peer_name", &SendRefused::peer_name, nullable(Str{kMaxPeerNameText})),
      field("handle", &SendRefused::handle, Str{kMaxHandleName}),
      field("code", &SendRefused::code, Str{kMaxCode}),
  };
  friend bool operator==(const SendRefused&, const SendRefused&) = default;
};
inline constexpr size_t kMaxRefusalWatch = 64;

// Streamed sends of this connection (the `send` notification) that were not
// delivered. The daemon numbers a connection's streamed sends 1, 2, 3, … in
// the order it reads them; `first` and `count` name a run of them dropped
// for one reason (consecutive drops to one target for one reason share a
// notification). `first` is nil for a drop the peer reported
// (no_such_handle): it does not say which send it was, so the run is only
// a count. peer and handle are nil when the send did not name a trusted
// peer or a valid handle.
struct SendDropped {
  using Method = method::SendDropped;
  std::optional<PublicKey> peer;
  std::optional<std::string> peer_name;
  std::optional<std::string> handle;
  std::string reason;   // a code: peer_offline, payload_too_large, no_such_handle, …
  std::string message;  // human text
  std::optional<uint64_t> first;
  uint64_t count = 1;
  static constexpr auto kFields = std::tuple{
      field("peer", &SendDropped::peer, nullable(PeerIdText{})),
      field("peer_name", &SendDropped::peer_name, nullable(Str{kMaxPeerNameText})),
      field("handle", &SendDropped::handle, nullable(Str{kMaxHandleName})),
      field("reason", &SendDropped::reason, Str{kMaxCode}),
      field("message", &SendDropped::message, Text{kDefaultMaxMessage}),
      field("first", &SendDropped::first, nullable(Uint{})),
      field("count", &SendDropped::count, Uint{}),
  };
  friend bool operator==(const SendDropped&, const SendDropped&) = default;
};

// The keys present depend on the kind:
//   peer.up          id, name
//   peer.down        id, name, reason (a close reason or Errc name, e.g.
//                    "timeout", "shutdown", "untrusted_peer"), message
//   peer.connecting  id, name, addrs (the addresses being tried)
//   peer.discovered  id, name, addrs (where it was seen); name is nil for
//                    an untrusted peer
//   peer.wants_to_pair  id, name (nil), addrs (where it dialled from, with the
//                    port it listens on): an untrusted peer was refused
struct PeerEvent {
  PeerEventKind kind = PeerEventKind::up;  // the method, not a key
  PublicKey id;
  std::optional<std::string> name;
  std::optional<std::string> reason;   // 1..64 bytes of [a-z0-9_]
  std::optional<std::string> message;  // human text
  std::optional<std::vector<std::string>> addrs;
  // id's fingerprint (proto/peer_id.hpp), to compare out of band.
  std::optional<std::string> fingerprint = std::nullopt;
  static constexpr auto kFields = std::tuple{
      field("id", &PeerEvent::id, PeerIdText{}),
      field("name", &PeerEvent::name, nullable(Str{kMaxPeerNameText})),
      field("reason", &PeerEvent::reason, omitted(Str{kMaxCode})),
      field("message", &PeerEvent::message, omitted(Text{kDefaultMaxMessage})),
      field("addrs", &PeerEvent::addrs, omitted(StrList{1024, kMaxAddress})),
      field("fingerprint", &PeerEvent::fingerprint, omitted(Str{64})),
  };
  friend bool operator==(const PeerEvent&, const PeerEvent&) = default;
};

// `method` is the notification's method; it gives the kind.
Result<PeerEvent> decode_peer_event_params(std::string_view method, ByteView params);

// Notifications ready to encode.
RpcNotification make_notification(const HandleSend& s);
RpcNotification make_notification(const PeerEvent& e);
RpcNotification make_notification(const SendRefused& r);
RpcNotification make_notification(const SendDropped& d);

// handle.send written straight into an output buffer, for a daemon that
// delivers many: handle_send_prefix() (once per peer and alias) then
// append_handle_send() per send. The bytes are exactly those of
// encode(make_notification(HandleSend{peer, peer_name, handle, args})).
// `handle` is a valid handle name (at most 128 bytes).
Bytes handle_send_prefix(const PublicKey& peer, const std::optional<std::string>& peer_name);
void append_handle_send(Bytes& out, ByteView prefix, std::string_view handle, ByteView args);
// All of it but the args (non-empty), which the caller writes right after:
// a large payload can then travel as a buffer of its own.
void append_handle_send_head(Bytes& out, ByteView prefix, std::string_view handle);
// The same for handle.call requests: exactly the bytes of
// encode(make_request(msgid, HandleCall{peer, peer_name, handle, args})).
Bytes handle_call_prefix(const PublicKey& peer, const std::optional<std::string>& peer_name);
void append_handle_call(Bytes& out, uint32_t msgid, ByteView prefix, std::string_view handle, ByteView args);

// A client's entry point for notifications. An unknown method is
// Errc::unsupported (a client may ignore it: a later daemon may add some);
// so is send.refused, which this library's clients do not collect.
using Notification = std::variant<HandleSend, PeerEvent, SendDropped>;
Result<Notification> decode_notification(const RpcNotification& n);

namespace method {

// The client answers with the handler's result (or an error map, response.hpp).
struct HandleCall : DaemonRequest<control::HandleCall, Bytes> {
  static constexpr std::string_view kName = "handle.call";
  static constexpr std::string_view kHelp = "a peer called a handle this connection exposed";
};
struct HandleSend : DaemonNotification<control::HandleSend> {
  static constexpr std::string_view kName = "handle.send";
  static constexpr std::string_view kHelp = "a peer sent to a handle this connection exposed";
};
struct SendRefused : DaemonNotification<control::SendRefused> {
  static constexpr std::string_view kName = "send.refused";
  static constexpr std::string_view kHelp = "a peer reported a send of this connection as not delivered";
};
struct SendDropped : DaemonNotification<control::SendDropped> {
  static constexpr std::string_view kName = "send.dropped";
  static constexpr std::string_view kHelp = "streamed sends of this connection were not delivered";
};
struct PeerUp : DaemonNotification<PeerEvent> {
  static constexpr std::string_view kName = to_string(PeerEventKind::up);
  static constexpr std::string_view kHelp = "a session to a peer is established";
};
struct PeerDown : DaemonNotification<PeerEvent> {
  static constexpr std::string_view kName = to_string(PeerEventKind::down);
  static constexpr std::string_view kHelp = "a peer's last session closed";
};
struct PeerConnecting : DaemonNotification<PeerEvent> {
  static constexpr std::string_view kName = to_string(PeerEventKind::connecting);
  static constexpr std::string_view kHelp = "the daemon is dialling a peer";
};
struct PeerDiscovered : DaemonNotification<PeerEvent> {
  static constexpr std::string_view kName = to_string(PeerEventKind::discovered);
  static constexpr std::string_view kHelp = "a peer was found on the network";
};
struct PeerWantsToPair : DaemonNotification<PeerEvent> {
  static constexpr std::string_view kName = to_string(PeerEventKind::wants_to_pair);
  static constexpr std::string_view kHelp = "an untrusted peer dialled this daemon and was refused";
};

inline constexpr std::string_view kHandleCall = HandleCall::kName;
inline constexpr std::string_view kHandleSend = HandleSend::kName;
inline constexpr std::string_view kSendRefused = SendRefused::kName;
inline constexpr std::string_view kSendDropped = SendDropped::kName;
inline constexpr std::string_view kPeerUp = PeerUp::kName;
inline constexpr std::string_view kPeerDown = PeerDown::kName;
inline constexpr std::string_view kPeerConnecting = PeerConnecting::kName;
inline constexpr std::string_view kPeerDiscovered = PeerDiscovered::kName;
inline constexpr std::string_view kPeerWantsToPair = PeerWantsToPair::kName;

}  // namespace method

// What the daemon sends a client, in the method table's order.
using ClientBoundMethods = std::tuple<method::HandleCall, method::HandleSend, method::PeerUp,
                                      method::PeerDown, method::PeerConnecting,
                                      method::PeerDiscovered, method::PeerWantsToPair,
                                      method::SendRefused, method::SendDropped>;

}  // namespace peernet::control
