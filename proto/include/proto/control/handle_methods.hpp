// The control methods about handles: expose and unexpose (handles of this
// connection, which go away with it), call and send (to handles on peers).
// guides/control-api.md, "Methods"; daemon_methods.hpp says how a method is
// described.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/schema.hpp"
#include "proto/link/envelope.hpp"
#include "proto/result.hpp"

namespace peernet::control {

namespace method {
struct Expose;
struct Unexpose;
struct Call;
struct Send;
struct SendFlush;
}  // namespace method

// ---- expose, unexpose -----------------------------------------------------------

struct ExposeParams {
  using Method = method::Expose;
  std::string handle;
  // Peer names allowed to call and send; nullopt: every trusted peer. An
  // empty list is refused (it would expose a handle nobody may use).
  std::optional<std::vector<std::string>> allow;
  static constexpr auto kFields = std::tuple{
      field("handle", &ExposeParams::handle, HandleName{}),
      field("allow", &ExposeParams::allow, omitted(StrList{kMaxAllow, kMaxPeerName})),
  };
  static Status check(const ExposeParams& p, const Fields& f) {
    if (p.allow && p.allow->empty())
      return f.error("allow", "an empty list would allow nobody; "
                              "omit \"allow\" to allow every trusted peer");
    return {};
  }
  friend bool operator==(const ExposeParams&, const ExposeParams&) = default;
};

struct UnexposeParams {
  using Method = method::Unexpose;
  std::string handle;
  static constexpr auto kFields =
      std::tuple{field("handle", &UnexposeParams::handle, HandleName{})};
  friend bool operator==(const UnexposeParams&, const UnexposeParams&) = default;
};

// ---- call, send -----------------------------------------------------------------

struct CallParams {
  using Method = method::Call;
  std::string peer;
  std::string handle;
  Bytes args;                     // one msgpack object; empty encodes as nil
  std::optional<double> timeout;  // seconds; nullopt: the daemon's session.call_timeout
  static constexpr auto kFields = std::tuple{
      field("peer", &CallParams::peer, Str{kMaxPeerName}),
      field("handle", &CallParams::handle, HandleName{}),
      field("args", &CallParams::args, Raw{}),
      field("timeout", &CallParams::timeout, omitted(Number{})),
  };
  // 0 < timeout <= kMaxTimeout. Out of line (methods.cpp), since its
  // message formats numbers with proto/units.hpp, which this header keeps
  // out of every file that includes it.
  static Status check(const CallParams& p, const Fields& f);
  friend bool operator==(const CallParams&, const CallParams&) = default;
};

struct SendParams {
  using Method = method::Send;
  std::string peer;
  std::string handle;
  Bytes args;  // one msgpack object; empty encodes as nil
  static constexpr auto kFields = std::tuple{
      field("peer", &SendParams::peer, Str{kMaxPeerName}),
      field("handle", &SendParams::handle, HandleName{}),
      field("args", &SendParams::args, Raw{}),
  };
  friend bool operator==(const SendParams&, const SendParams&) = default;
};

// A dropped send is a result, not an error, so that a script can tell
// "dropped" (the request was fine) from "wrong request".
//   delivered: {"delivered": true}
//   dropped:   {"delivered": false, "reason": "peer_offline", "message": "…"}
struct SendResult {
  bool delivered = true;
  Errc reason = Errc::peer_offline;  // when !delivered
  std::string message;               // when !delivered
  // From Daemon::send's status. Precondition: ok, or an error that
  // is_drop_reason() accepts (any other error is answered as an error).
  static SendResult from(const Status& status) {
    if (status.ok()) return SendResult{};
    return SendResult{false, status.error().code, status.error().message};
  }
  static bool dropped(const SendResult& r) { return !r.delivered; }
  static constexpr auto kFields = std::tuple{
      field("delivered", &SendResult::delivered, Bool{}),
      field("reason", &SendResult::reason,
            Named<Errc>{to_string, errc_from_string, kMaxCode, "reason"})
          .only_if(dropped),
      field("message", &SendResult::message, Text{kDefaultMaxMessage}).only_if(dropped),
  };
  friend bool operator==(const SendResult&, const SendResult&) = default;
};
// send.flush: waits until every peer this connection streamed sends to
// since its last flush has read them (a ping round trip on the session
// behind them), so that each refusal those peers reported has reached the
// client as send.dropped before the answer. timeout: seconds for those
// round trips; nullopt: the daemon's session.call_timeout.
struct SendFlushParams {
  using Method = method::SendFlush;
  std::optional<double> timeout;
  static constexpr auto kFields = std::tuple{
      field("timeout", &SendFlushParams::timeout, omitted(Number{})),
  };
  static Status check(const SendFlushParams& p, const Fields& f);
  friend bool operator==(const SendFlushParams&, const SendFlushParams&) = default;
};

// Counts since the connection opened: streamed sends read (numbered 1..sent)
// and those reported dropped (the sum of the send.dropped counts written
// before this answer). confirmed: every peer answered its round trip; false
// when one went offline or did not answer in time, so that sends handed to
// its session may or may not have arrived (walkie-talkie: they were sent).
struct SendFlushResult {
  uint64_t sent = 0;
  uint64_t dropped = 0;
  bool confirmed = true;
  static constexpr auto kFields = std::tuple{
      field("sent", &SendFlushResult::sent, Uint{}),
      field("dropped", &SendFlushResult::dropped, Uint{}),
      field("confirmed", &SendFlushResult::confirmed, Bool{}),
  };
  friend bool operator==(const SendFlushResult&, const SendFlushResult&) = default;
};

// A streamed send read in place: `[2, "send", [{"peer": str, "handle": str,
// "args": any}]]`, its three keys in any order. The views point into the
// message. Everything SendParams' decoder checks is checked here, the args
// once with `limits` less the levels and objects around them, exactly as
// the general path counts them. nullopt for any other message, and for a
// streamed send this reader does not take (a key missing, unknown or
// repeated, a wrong type, a bad value): the general decoder then decodes it
// and says what is wrong.
struct SendView {
  std::string_view peer;
  std::string_view handle;
  ByteView args;
};
std::optional<SendView> read_streamed_send(ByteView message, const MsgpackLimits& limits);
// The same at the start of `input`, which may hold more after it: `length`
// is then the streamed send's size. Only a message wholly in `input` is read.
std::optional<SendView> read_streamed_send_at(ByteView input, const MsgpackLimits& limits, size_t& length);

// A call request read in place the same way: `[0, msgid, "call", [{"peer",
// "handle", "args", "timeout"?}]]`; nullopt for anything else or anything
// the general decoder might refuse (then it decodes the request).
struct CallView {
  uint32_t msgid = 0;
  std::string_view peer;
  std::string_view handle;
  ByteView args;
  std::optional<double> timeout;
};
std::optional<CallView> read_call_request(ByteView message, const MsgpackLimits& limits);

// peer_offline, busy, payload_too_large: the reasons a send is dropped.
inline bool is_drop_reason(Errc code) {
  return code == Errc::peer_offline || code == Errc::busy || code == Errc::payload_too_large;
}

// ---- the descriptions -----------------------------------------------------------

namespace method {

struct Expose : ClientRequest<ExposeParams, Empty> {
  static constexpr std::string_view kName = "expose";
  static constexpr std::string_view kHelp =
      "make a handle callable by peers, while this connection lasts";
};
struct Unexpose : ClientRequest<UnexposeParams, Empty> {
  static constexpr std::string_view kName = "unexpose";
  static constexpr std::string_view kHelp = "withdraw a handle this connection exposed";
};
// The result is the remote handler's, relayed as its msgpack bytes.
struct Call : ClientRequest<CallParams, Bytes> {
  static constexpr std::string_view kName = "call";
  static constexpr std::string_view kHelp = "call a peer's handle and wait for its answer";
};
struct Send : ClientRequest<SendParams, SendResult> {
  static constexpr std::string_view kName = "send";
  static constexpr std::string_view kHelp =
      "fire-and-forget to a peer's handle; says whether it left or why it was dropped";
};

// The request form above answers each send; the same params sent as a
// notification ([2, "send", [{…}]]) stream: no answer each, drops reported
// by send.dropped (events.hpp), counts by send.flush.
struct SendFlush : ClientRequest<SendFlushParams, SendFlushResult> {
  static constexpr std::string_view kName = "send.flush";
  static constexpr std::string_view kHelp =
      "wait until the peers read this connection's streamed sends; counts sent and dropped";
};

inline constexpr std::string_view kExpose = Expose::kName;
inline constexpr std::string_view kUnexpose = Unexpose::kName;
inline constexpr std::string_view kCall = Call::kName;
inline constexpr std::string_view kSend = Send::kName;
inline constexpr std::string_view kSendFlush = SendFlush::kName;

}  // namespace method

using HandleMethods =
    std::tuple<method::Expose, method::Unexpose, method::Call, method::Send, method::SendFlush>;

}  // namespace peernet::control
