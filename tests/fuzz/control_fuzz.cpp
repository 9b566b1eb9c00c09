// Fuzz target: the control protocol's decoders (proto/control_*.hpp).
//
// The input is one msgpack-RPC message. Its params go through the decoder
// of the side that receives them (the daemon's strict params decoders, the
// client's event decoders); a response goes through the handler-answer and
// client readers; the input as a whole also goes through every result
// decoder. Whatever decodes must encode and decode again to the same value,
// and nothing may crash or trip an assertion.
#include <vector>

#include "proto/control/control.hpp"
#include "require.hpp"

using namespace peernet;
using namespace peernet::control;

namespace {

// decode(encode(x)) == x for whatever M's result decoder accepted.
template <class M>
void stable(ByteView b) {
  auto r = decode_result<M>(b);
  if (!r.ok()) return;
  auto again = decode_result<M>(encode_result(*r));
  require(again.ok() && *again == *r, "result round trip changed the value");
}

void results(ByteView b) {
  stable<method::Hello>(b);
  stable<method::Identity>(b);
  stable<method::Status>(b);
  stable<method::Peers>(b);
  stable<method::TrustList>(b);
  stable<method::Connect>(b);
  stable<method::Send>(b);
  (void)decode_result<method::Expose>(b);
  for (auto decode : {decode_client_error, decode_daemon_error}) {
    auto e = decode(b);
    if (!e.ok()) continue;
    auto again = decode(encode_error(*e));
    require(again.ok() && *again == *e, "error map round trip changed the value");
  }
}

void request(const RpcRequest& q) {
  if (q.method == method::kHandleCall) {
    auto c = decode_params<control::HandleCall>(q.params);
    if (!c.ok()) return;
    auto again = decode_params<control::HandleCall>(encode_params(*c));
    require(again.ok() && *again == *c, "handle.call round trip changed the value");
    return;
  }
  auto p = decode_request_params(q.method, q.params);
  if (!p.ok()) return;
  require(find_method(q.method, Direction::to_daemon) != nullptr,
          "decoded a method the table lacks");
  Bytes encoded = std::visit([](const auto& x) { return encode_params(x); }, *p);
  auto again = decode_request_params(q.method, encoded);
  require(again.ok() && *again == *p, "params round trip changed the value");
}

void notification(const RpcNotification& n) {
  auto d = decode_notification(n);
  if (!d.ok()) return;
  RpcNotification back = std::visit([](const auto& x) { return make_notification(x); }, *d);
  require(back.method == n.method, "notification method changed");
  auto again = decode_notification(back);
  require(again.ok() && *again == *d, "notification round trip changed the value");
}

void response(const RpcResponse& s) {
  auto answer = decode_handler_answer(s);
  if (answer.ok() && answer->error) {
    auto again = decode_handler_answer(error_response(s.msgid, *answer->error));
    require(again.ok() && *again == *answer, "handler answer round trip changed the value");
  }
  (void)response_result(s);
  results(s.result);
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  const PublicKey a = PublicKey{{1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}};
  const Bytes args{0x82, 0xa1, 'x', 0x01, 0xa1, 'y', 0xc0};
  std::vector<RpcMessage> m = {
      make_request(1, HelloParams{"fuzz"}),
      make_request(2, PeersParams{true}),
      make_request(3, TrustAddParams{a, "pi", std::vector<std::string>{"198.18.0.2:7469"}}),
      make_request(4, ExposeParams{"echo", std::vector<std::string>{"pi"}}),
      make_request(5, CallParams{"pi", "echo", args, 2.5}),
      make_request(6, SendParams{"pi", "echo", args}),
      make_request(7, SubscribeParams{std::vector<PeerEventKind>{PeerEventKind::up}}),
      make_request(8, ConnectParams{"[::1]:7469"}),
      make_request(9, HandleCall{a, "pi", "echo", args}),
      make_notification(HandleSend{a, std::nullopt, "chat", args}),
      make_notification(PeerEvent{PeerEventKind::down, a, "pi", "timeout", "quiet", std::nullopt}),
      result_response(1, encode_result(HelloResult{1, "peernetd", a, false})),
      result_response(2, encode_result(std::vector<PeerInfo>{PeerInfo{a,
                                                                      "pi",
                                                                      PeerState::online,
                                                                      true,
                                                                      {"h:1"},
                                                                      1.5,
                                                                      2.5,
                                                                      3.5,
                                                                      SessionInfo{true, "h:1"}}})),
      result_response(3, encode_result(StatusResult{a, 1, 2, 3, 4, 5, {{"calls_in", 6}}})),
      result_response(4, encode_result(IdentityResult{a, "f"})),
      result_response(5, encode_result(SendResult{false, Errc::busy, "full"})),
      error_response(6, ErrorBody{"not_found", "who?"}),
  };
  std::vector<Bytes> seeds;
  for (const auto& x : m) seeds.push_back(encode(x));
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  results(input);
  auto m = decode_rpc(input);
  if (!m.ok()) return 0;
  if (auto* q = std::get_if<RpcRequest>(&*m)) request(*q);
  if (auto* n = std::get_if<RpcNotification>(&*m)) notification(*n);
  if (auto* s = std::get_if<RpcResponse>(&*m)) response(*s);
  return 0;
}
