#include "proto/control/params.hpp"

#include <array>
#include <cstdio>

#include "fields.hpp"
#include "proto/link/envelope.hpp"

namespace peernet::control {
namespace {

using detail::Fields;
using detail::Keys;
using detail::Side;
using detail::Writer;

// The keys each method takes, in the order the encoders write them.
constexpr std::array<std::string_view, 2> kHelloKeys = {"version", "client"};
constexpr std::array<std::string_view, 0> kNoKeys = {};
constexpr std::array<std::string_view, 1> kPeersKeys = {"all"};
constexpr std::array<std::string_view, 3> kTrustAddKeys = {"id", "name", "addrs"};
constexpr std::array<std::string_view, 1> kPeerKeys = {"peer"};
constexpr std::array<std::string_view, 2> kExposeKeys = {"handle", "allow"};
constexpr std::array<std::string_view, 1> kHandleKeys = {"handle"};
constexpr std::array<std::string_view, 4> kCallKeys = {"peer", "handle", "args", "timeout"};
constexpr std::array<std::string_view, 3> kSendKeys = {"peer", "handle", "args"};
constexpr std::array<std::string_view, 1> kSubscribeKeys = {"events"};
constexpr std::array<std::string_view, 1> kConnectKeys = {"addr"};

Result<Fields> open(ByteView params, std::string_view method, Keys keys) {
  return Fields::open_params(params, method, Side::daemon, keys);
}

Result<std::string> handle_name(const Fields& f) {
  PEERNET_TRY(std::string h, f.str("handle", kMaxHandleName));
  if (!valid_handle_name(h))
    return f.error("handle", "\"" + h + "\" is not 1..128 bytes of [A-Za-z0-9_.:/-]");
  return h;
}

Bytes copy_of(ByteView v) { return Bytes(v.begin(), v.end()); }

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// Methods without params still take their one (empty) map.
Bytes empty_params() {
  Bytes out;
  detail::params_writer(out, 0);
  return out;
}

template <class P>
Result<P> decode_empty(ByteView params) {
  PEERNET_TRY_VOID(open(params, P::kMethod, kNoKeys));
  return P{};
}

}  // namespace

// --- hello, identity, status, peers -----------------------------------------

Bytes encode_params(const HelloParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, p.client ? 2 : 1);
  w.key("version").uint(kVersion);
  if (p.client) w.key("client").str(*p.client);
  return out;
}

Result<HelloParams> decode_hello_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kHello, kHelloKeys));
  // The version first: another version may mean other keys.
  PEERNET_TRY(uint64_t version, f.uint("version"));
  if (version != kVersion)
    return make_error(Errc::unsupported, "hello: the client speaks control protocol version " +
                                             std::to_string(version) + ", the daemon speaks 1");
  HelloParams p;
  PEERNET_TRY(p.client, f.opt_str("client", kMaxClientName));
  return p;
}

Bytes encode_params(const IdentityParams&) { return empty_params(); }
Result<IdentityParams> decode_identity_params(ByteView params) {
  return decode_empty<IdentityParams>(params);
}

Bytes encode_params(const StatusParams&) { return empty_params(); }
Result<StatusParams> decode_status_params(ByteView params) {
  return decode_empty<StatusParams>(params);
}

Bytes encode_params(const PeersParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, 1);
  w.key("all").boolean(p.all);
  return out;
}

Result<PeersParams> decode_peers_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kPeers, kPeersKeys));
  PEERNET_TRY(auto all, f.opt_boolean("all"));
  return PeersParams{all.value_or(false)};
}

// --- trust -------------------------------------------------------------------

Bytes encode_params(const TrustAddParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, 1 + (p.name ? 1 : 0) + (p.addrs ? 1 : 0));
  w.key("id").peer_id(p.id);
  if (p.name) w.key("name").str(*p.name);
  if (p.addrs) {
    w.key("addrs");
    w.str_list(*p.addrs);
  }
  return out;
}

Result<TrustAddParams> decode_trust_add_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kTrustAdd, kTrustAddKeys));
  TrustAddParams p;
  PEERNET_TRY(p.id, f.peer_id("id"));
  PEERNET_TRY(p.name, f.opt_str("name", kMaxAlias));
  PEERNET_TRY(p.addrs, f.opt_str_list("addrs", kMaxAddresses, kMaxAddress));
  return p;
}

Bytes encode_params(const TrustRemoveParams& p) {
  Bytes out;
  detail::params_writer(out, 1).key("peer").str(p.peer);
  return out;
}

Result<TrustRemoveParams> decode_trust_remove_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kTrustRemove, kPeerKeys));
  TrustRemoveParams p;
  PEERNET_TRY(p.peer, f.str("peer", kMaxPeerName));
  return p;
}

Bytes encode_params(const TrustListParams&) { return empty_params(); }
Result<TrustListParams> decode_trust_list_params(ByteView params) {
  return decode_empty<TrustListParams>(params);
}

// --- handles -----------------------------------------------------------------

Bytes encode_params(const ExposeParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, p.allow ? 2 : 1);
  w.key("handle").str(p.handle);
  if (p.allow) {
    w.key("allow");
    w.str_list(*p.allow);
  }
  return out;
}

Result<ExposeParams> decode_expose_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kExpose, kExposeKeys));
  ExposeParams p;
  PEERNET_TRY(p.handle, handle_name(f));
  PEERNET_TRY(p.allow, f.opt_str_list("allow", kMaxAllow, kMaxPeerName));
  if (p.allow && p.allow->empty())
    return f.error("allow",
                   "an empty list would allow nobody; omit \"allow\" to allow every trusted peer");
  return p;
}

Bytes encode_params(const UnexposeParams& p) {
  Bytes out;
  detail::params_writer(out, 1).key("handle").str(p.handle);
  return out;
}

Result<UnexposeParams> decode_unexpose_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kUnexpose, kHandleKeys));
  UnexposeParams p;
  PEERNET_TRY(p.handle, handle_name(f));
  return p;
}

// --- call, send --------------------------------------------------------------

Bytes encode_params(const CallParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, p.timeout ? 4 : 3);
  w.key("peer").str(p.peer);
  w.key("handle").str(p.handle);
  w.key("args").raw(p.args);
  if (p.timeout) w.key("timeout").real(*p.timeout);
  return out;
}

Result<CallParams> decode_call_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kCall, kCallKeys));
  CallParams p;
  PEERNET_TRY(p.peer, f.str("peer", kMaxPeerName));
  PEERNET_TRY(p.handle, handle_name(f));
  PEERNET_TRY(ByteView args, f.any("args"));
  p.args = copy_of(args);
  PEERNET_TRY(p.timeout, f.opt_number("timeout"));
  if (p.timeout && !(*p.timeout > 0 && *p.timeout <= kMaxTimeout))
    return f.error("timeout", format_seconds(*p.timeout) + " seconds is not in (0, 3600]");
  return p;
}

Bytes encode_params(const SendParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, 3);
  w.key("peer").str(p.peer);
  w.key("handle").str(p.handle);
  w.key("args").raw(p.args);
  return out;
}

Result<SendParams> decode_send_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kSend, kSendKeys));
  SendParams p;
  PEERNET_TRY(p.peer, f.str("peer", kMaxPeerName));
  PEERNET_TRY(p.handle, handle_name(f));
  PEERNET_TRY(ByteView args, f.any("args"));
  p.args = copy_of(args);
  return p;
}

// --- subscribe, connect ------------------------------------------------------

Bytes encode_params(const SubscribeParams& p) {
  Bytes out;
  Writer w = detail::params_writer(out, p.events ? 1 : 0);
  if (p.events) {
    w.key("events").array(static_cast<uint32_t>(p.events->size()));
    for (PeerEventKind e : *p.events) w.str(to_string(e));
  }
  return out;
}

Result<SubscribeParams> decode_subscribe_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kSubscribe, kSubscribeKeys));
  // The longest event name bounds each entry.
  PEERNET_TRY(auto names, f.opt_str_list("events", kMaxSubscribeEvents, 64));
  SubscribeParams p;
  if (!names) return p;
  p.events.emplace();
  for (size_t i = 0; i < names->size(); ++i) {
    auto kind = peer_event_from_string((*names)[i]);
    if (!kind)
      return f.error("events", "unknown event \"" + (*names)[i] +
                                   "\" (peer.up, peer.down, peer.connecting, peer.discovered)");
    p.events->push_back(*kind);
  }
  return p;
}

Bytes encode_params(const ConnectParams& p) {
  Bytes out;
  detail::params_writer(out, 1).key("addr").str(p.addr);
  return out;
}

Result<ConnectParams> decode_connect_params(ByteView params) {
  PEERNET_TRY(Fields f, open(params, method::kConnect, kConnectKeys));
  ConnectParams p;
  PEERNET_TRY(p.addr, f.str("addr", kMaxAddress));
  return p;
}

// --- dispatch ----------------------------------------------------------------

namespace {

template <class P>
Result<RequestParams> as_request(Result<P> r) {
  if (!r.ok()) return std::move(r).error();
  return RequestParams(std::move(r).value());
}

using Decoder = Result<RequestParams> (*)(ByteView);

struct Entry {
  std::string_view method;
  Decoder decode;
};

// One row per client method; a test checks it against methods().
constexpr std::array<Entry, 13> kDecoders = {{
    {method::kHello, [](ByteView b) { return as_request(decode_hello_params(b)); }},
    {method::kIdentity, [](ByteView b) { return as_request(decode_identity_params(b)); }},
    {method::kStatus, [](ByteView b) { return as_request(decode_status_params(b)); }},
    {method::kPeers, [](ByteView b) { return as_request(decode_peers_params(b)); }},
    {method::kTrustAdd, [](ByteView b) { return as_request(decode_trust_add_params(b)); }},
    {method::kTrustRemove, [](ByteView b) { return as_request(decode_trust_remove_params(b)); }},
    {method::kTrustList, [](ByteView b) { return as_request(decode_trust_list_params(b)); }},
    {method::kExpose, [](ByteView b) { return as_request(decode_expose_params(b)); }},
    {method::kUnexpose, [](ByteView b) { return as_request(decode_unexpose_params(b)); }},
    {method::kCall, [](ByteView b) { return as_request(decode_call_params(b)); }},
    {method::kSend, [](ByteView b) { return as_request(decode_send_params(b)); }},
    {method::kSubscribe, [](ByteView b) { return as_request(decode_subscribe_params(b)); }},
    {method::kConnect, [](ByteView b) { return as_request(decode_connect_params(b)); }},
}};

}  // namespace

Result<RequestParams> decode_request_params(std::string_view method, ByteView params) {
  for (const auto& e : kDecoders)
    if (e.method == method) return e.decode(params);
  std::string shown(method.substr(0, 64));
  return make_error(Errc::unsupported, "no method \"" + shown + "\"");
}

}  // namespace peernet::control
