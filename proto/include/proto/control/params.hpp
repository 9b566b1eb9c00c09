// Params of the requests a client sends to the daemon
// (guides/control-api.md, "Methods").
//
// Each struct is one method's named parameters. A client builds a request
// with make_request(msgid, params) (control_methods.hpp); the daemon
// decodes the params with decode_request_params (or the per-method decoder)
// and gets a typed struct.
//
// Decoding is strict, since the daemon must not guess what a client meant.
// Every failure is Errc::bad_request with a message that names the method and
// the key, except as noted:
//   - params is an array holding exactly one map, with nothing after it;
//   - keys are strings; a key the method does not take, or a key twice, is
//     refused ("call: unknown key \"tiemout\"");
//   - required keys are present; an optional key may be absent or nil;
//   - values have their type ("call: \"timeout\": expected a number, found a
//     string"), strings their length (1..the kMax* bound in
//     control_methods.hpp), handles valid_handle_name() (proto/link/envelope.hpp);
//   - timeout is a number > 0 and <= 3600 (an integer is fine);
//   - args is any one msgpack object within MsgpackLimits, kept as its
//     exact bytes;
//   - hello: a version other than 1 is Errc::unsupported;
//   - trust.add: an id with a typo is Errc::bad_peer_id.
// Peer names (peer, allow entries) are resolved by the daemon, which answers
// no_such_peer or ambiguous_peer; alias and address syntax is the trust
// store's and the endpoint parser's.
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

struct HelloParams {
  static constexpr std::string_view kMethod = method::kHello;
  std::optional<std::string> client;  // free text for logs: "peernetctl 0.1.0"
  friend bool operator==(const HelloParams&, const HelloParams&) = default;
};
struct IdentityParams {
  static constexpr std::string_view kMethod = method::kIdentity;
  friend bool operator==(const IdentityParams&, const IdentityParams&) = default;
};
struct StatusParams {
  static constexpr std::string_view kMethod = method::kStatus;
  friend bool operator==(const StatusParams&, const StatusParams&) = default;
};
struct PeersParams {
  static constexpr std::string_view kMethod = method::kPeers;
  bool all = false;  // also list discovered peers that are not trusted
  friend bool operator==(const PeersParams&, const PeersParams&) = default;
};
struct TrustAddParams {
  static constexpr std::string_view kMethod = method::kTrustAdd;
  PublicKey id;
  std::optional<std::string> name;                // nullopt: keep (new peer: none)
  std::optional<std::vector<std::string>> addrs;  // nullopt: keep (new peer: none)
  friend bool operator==(const TrustAddParams&, const TrustAddParams&) = default;
};
struct TrustRemoveParams {
  static constexpr std::string_view kMethod = method::kTrustRemove;
  std::string peer;
  friend bool operator==(const TrustRemoveParams&, const TrustRemoveParams&) = default;
};
struct TrustListParams {
  static constexpr std::string_view kMethod = method::kTrustList;
  friend bool operator==(const TrustListParams&, const TrustListParams&) = default;
};
struct ExposeParams {
  static constexpr std::string_view kMethod = method::kExpose;
  std::string handle;
  // Peer names allowed to call and send; nullopt: every trusted peer. An
  // empty list is refused (it would expose a handle nobody may use).
  std::optional<std::vector<std::string>> allow;
  friend bool operator==(const ExposeParams&, const ExposeParams&) = default;
};
struct UnexposeParams {
  static constexpr std::string_view kMethod = method::kUnexpose;
  std::string handle;
  friend bool operator==(const UnexposeParams&, const UnexposeParams&) = default;
};
struct CallParams {
  static constexpr std::string_view kMethod = method::kCall;
  std::string peer;
  std::string handle;
  Bytes args;                     // one msgpack object; empty encodes as nil
  std::optional<double> timeout;  // seconds; nullopt: the daemon's session.call_timeout
  friend bool operator==(const CallParams&, const CallParams&) = default;
};
struct SendParams {
  static constexpr std::string_view kMethod = method::kSend;
  std::string peer;
  std::string handle;
  Bytes args;  // one msgpack object; empty encodes as nil
  friend bool operator==(const SendParams&, const SendParams&) = default;
};
struct SubscribeParams {
  static constexpr std::string_view kMethod = method::kSubscribe;
  // Replaces this connection's subscription. nullopt: every event; an empty
  // list: none. Repeated names count once.
  std::optional<std::vector<PeerEventKind>> events;
  friend bool operator==(const SubscribeParams&, const SubscribeParams&) = default;
};
struct ConnectParams {
  static constexpr std::string_view kMethod = method::kConnect;
  std::string addr;  // "host:port"
  friend bool operator==(const ConnectParams&, const ConnectParams&) = default;
};

inline constexpr size_t kMaxSubscribeEvents = 16;

// The params array [ {…} ] of each method. Preconditions: the values satisfy
// the decoding rules above (the encoders do not check).
Bytes encode_params(const HelloParams& p);
Bytes encode_params(const IdentityParams& p);
Bytes encode_params(const StatusParams& p);
Bytes encode_params(const PeersParams& p);
Bytes encode_params(const TrustAddParams& p);
Bytes encode_params(const TrustRemoveParams& p);
Bytes encode_params(const TrustListParams& p);
Bytes encode_params(const ExposeParams& p);
Bytes encode_params(const UnexposeParams& p);
Bytes encode_params(const CallParams& p);
Bytes encode_params(const SendParams& p);
Bytes encode_params(const SubscribeParams& p);
Bytes encode_params(const ConnectParams& p);

Result<HelloParams> decode_hello_params(ByteView params);
Result<IdentityParams> decode_identity_params(ByteView params);
Result<StatusParams> decode_status_params(ByteView params);
Result<PeersParams> decode_peers_params(ByteView params);
Result<TrustAddParams> decode_trust_add_params(ByteView params);
Result<TrustRemoveParams> decode_trust_remove_params(ByteView params);
Result<TrustListParams> decode_trust_list_params(ByteView params);
Result<ExposeParams> decode_expose_params(ByteView params);
Result<UnexposeParams> decode_unexpose_params(ByteView params);
Result<CallParams> decode_call_params(ByteView params);
Result<SendParams> decode_send_params(ByteView params);
Result<SubscribeParams> decode_subscribe_params(ByteView params);
Result<ConnectParams> decode_connect_params(ByteView params);

// Any client request's params, in the method table's order.
using RequestParams =
    std::variant<HelloParams, IdentityParams, StatusParams, PeersParams, TrustAddParams,
                 TrustRemoveParams, TrustListParams, ExposeParams, UnexposeParams, CallParams,
                 SendParams, SubscribeParams, ConnectParams>;

// The server's single entry point: decodes `params` for `method`. An unknown
// method is Errc::unsupported ("no method \"x\""); see find_method() for its
// admin flag.
Result<RequestParams> decode_request_params(std::string_view method, ByteView params);

}  // namespace peernet::control
