// Every method's params and result, encoded and decoded from its
// description (daemon_methods.hpp, handle_methods.hpp, session_methods.hpp,
// events.hpp): nothing here is written per method.
//
// Decoding params is strict, since the daemon must not guess what a client
// meant. Every failure is Errc::bad_request with a message that names the
// method and the key, except as noted:
//   - params is an array holding exactly one map, with nothing after it;
//   - keys are strings; a key the method does not take, or a key twice, is
//     refused ("call: unknown key \"tiemout\"");
//   - required keys are present; an optional key may be absent or nil;
//   - values have their kind's type ("call: \"timeout\": expected a number,
//     found a string") and bounds (schema.hpp);
//   - call: timeout is a number > 0 and <= 3600 (an integer is fine);
//   - expose: allow, when given, is not empty;
//   - hello: a version other than 1 is Errc::unsupported;
//   - trust.add: an id with a typo is Errc::bad_peer_id.
// Peer names (peer, allow entries) are resolved by the daemon, which answers
// no_such_peer or ambiguous_peer; alias and address syntax is the trust
// store's and the endpoint parser's.
//
// A client decodes results and what the daemon sends leniently where that
// lets the daemon grow: keys it does not know are skipped (so version 1 may
// add result keys), and an absent or nil optional value is nullopt. Anything
// else is Errc::protocol_error naming the key, since the daemon broke the
// protocol.
#pragma once

#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/control/daemon_methods.hpp"
#include "proto/control/events.hpp"
#include "proto/control/handle_methods.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/operator_methods.hpp"
#include "proto/control/pair_methods.hpp"
#include "proto/control/rpc.hpp"
#include "proto/control/schema.hpp"
#include "proto/control/session_methods.hpp"
#include "proto/result.hpp"

namespace peernet::control {

// Every method a client sends, then every method the daemon sends, each in
// the method table's order.
using ClientMethods =
    decltype(std::tuple_cat(DaemonMethods{}, HandleMethods{}, SessionMethods{}, PairMethods{}, OperatorMethods{}));
using AllMethods = decltype(std::tuple_cat(ClientMethods{}, ClientBoundMethods{}));

namespace detail {
template <class Tuple>
struct ParamsVariant;
template <class... M>
struct ParamsVariant<std::tuple<M...>> {
  using type = std::variant<typename M::Params...>;
};
template <class T>
struct IsList : std::false_type {};
template <class T>
struct IsList<std::vector<T>> : std::true_type {};
}  // namespace detail

// Any client request's params, in the method table's order.
using RequestParams = detail::ParamsVariant<ClientMethods>::type;

// The server's single entry point: decodes `params` for `method`. An unknown
// method is Errc::unsupported ("no method \"x\""); see find_method() for its
// admin flag.
Result<RequestParams> decode_request_params(std::string_view method, ByteView params);

// A method's params as their receiver reads them: the daemon strictly for
// a client's request, a client leniently for what the daemon sends.
template <class P>
Result<P> decode_params(ByteView params) {
  using M = typename P::Method;
  return decode_params_as<P>(params, M::kName,
                             M::kDirection == Direction::to_daemon ? Side::daemon : Side::client);
}

// A request carrying `params`. Precondition: the values satisfy the
// decoding rules (the encoders do not check).
template <class P>
RpcRequest make_request(uint32_t msgid, const P& params) {
  return RpcRequest{msgid, std::string(P::Method::kName), encode_params(params)};
}

// A result as the daemon sends it: a described struct, or a list of them.
template <class R>
Bytes encode_result(const R& result) {
  return encode_map(result);
}
// {}: trust.remove, expose, unexpose, subscribe.
inline Bytes encode_empty_result() { return encode_result(Empty{}); }

// M's result as a client reads it; errors name M ("status: …", "peers[2]: …").
template <class M>
Result<typename M::Result> decode_result(ByteView result) {
  using R = typename M::Result;
  if constexpr (std::is_same_v<R, Bytes>)
    return Bytes(result.begin(), result.end());
  else if constexpr (detail::IsList<R>::value)
    return decode_map_list<typename R::value_type>(result, M::kName);
  else
    return decode_map<R>(result, M::kName);
}

}  // namespace peernet::control
