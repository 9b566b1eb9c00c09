// What the daemon sends a client unasked (guides/control-api.md,
// "Daemon to client").
//
//   request       handle.call  [{peer, peer_name, handle, args}]
//                 A peer called a handle this connection exposed. The client
//                 answers with a response: the result, or an error map (see
//                 control_response.hpp). The daemon relays the answer to the
//                 peer; no answer within the caller's timeout means the
//                 caller sees `timeout` (a late answer is ignored).
//   notification  handle.send  [{peer, peer_name, handle, args}]
//   notification  peer.up / peer.down / peer.connecting / peer.discovered
//                 [{id, name, reason?, message?, addrs?}], after subscribe.
//
// peer and id are peer id text; peer_name and name are the trusted alias,
// nil when the peer has none. args is the peer's msgpack object, as sent.
//
// A client decodes these leniently like results (control_results.hpp):
// unknown keys are skipped; errors are Errc::protocol_error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/control/methods.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"
#include "proto/control/rpc.hpp"

namespace peernet::control {

struct HandleCall {
  static constexpr std::string_view kMethod = method::kHandleCall;
  PublicKey peer;
  std::optional<std::string> peer_name;
  std::string handle;
  Bytes args;  // one msgpack object; empty encodes as nil
  friend bool operator==(const HandleCall&, const HandleCall&) = default;
};

struct HandleSend {
  static constexpr std::string_view kMethod = method::kHandleSend;
  PublicKey peer;
  std::optional<std::string> peer_name;
  std::string handle;
  Bytes args;  // one msgpack object; empty encodes as nil
  friend bool operator==(const HandleSend&, const HandleSend&) = default;
};

// The keys present depend on the kind:
//   peer.up          id, name
//   peer.down        id, name, reason (a close reason or Errc name, e.g.
//                    "timeout", "shutdown", "untrusted_peer"), message
//   peer.connecting  id, name, addrs (the addresses being tried)
//   peer.discovered  id, name, addrs (where it was seen); name is nil for
//                    an untrusted peer
struct PeerEvent {
  PeerEventKind kind = PeerEventKind::up;
  PublicKey id;
  std::optional<std::string> name;
  std::optional<std::string> reason;   // 1..64 bytes of [a-z0-9_]
  std::optional<std::string> message;  // human text
  std::optional<std::vector<std::string>> addrs;
  friend bool operator==(const PeerEvent&, const PeerEvent&) = default;
};

// Params arrays [ {…} ]. Preconditions: handle satisfies valid_handle_name()
// and reason valid_code() (proto/link/envelope.hpp).
Bytes encode_params(const HandleCall& c);
Bytes encode_params(const HandleSend& s);
Bytes encode_params(const PeerEvent& e);

Result<HandleCall> decode_handle_call_params(ByteView params);
Result<HandleSend> decode_handle_send_params(ByteView params);
// `method` is the notification's method; it gives the kind.
Result<PeerEvent> decode_peer_event_params(std::string_view method, ByteView params);

// Notifications ready to encode.
RpcNotification make_notification(const HandleSend& s);
RpcNotification make_notification(const PeerEvent& e);

// A client's entry point for notifications. An unknown method is
// Errc::unsupported (a client may ignore it: a later daemon may add some).
using Notification = std::variant<HandleSend, PeerEvent>;
Result<Notification> decode_notification(const RpcNotification& n);

}  // namespace peernet::control
