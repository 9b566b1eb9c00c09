// Keeps guides/control-api.md honest: every example in it is produced here by
// the encoders, and the guide's blocks must match byte for byte.
//
// The guide tags its examples by name:
//
//     ```msgpack call-request          (readable notation, whitespace free)
//     [0, 7, "call", [{...}]]
//     ```
//     ```hex call-request              (the exact bytes, whitespace free)
//     94 00 07 a4 63 61 6c 6c ...
//     ```
//
// Usage:  control_doc_test GUIDE.md            run the checks (meson does)
//         control_doc_test --update GUIDE.md   rewrite the tagged blocks
#include <gtest/gtest.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <msgpack.hpp>

#include "control_test_util.hpp"
#include "proto/control/control.hpp"
#include "proto/peer_id.hpp"

namespace peernet::control {
namespace {

std::string g_guide_path;

// --- the examples -------------------------------------------------------------

const PublicKey kDaemon = test::key(0x21);  // the daemon answering
const PublicKey kLaptop = test::key(0x5a);  // a trusted peer, alias "laptop"
const PublicKey kPi = test::key(0x93);      // a trusted peer, alias "pi"
const PublicKey kStranger = test::key(0xc4);

Bytes wire(const RpcMessage& m) { return encode(m); }
Bytes obj(const mp::Entries& e) { return mp::map(e); }

std::vector<std::pair<std::string, Bytes>> examples() {
  const Bytes echo_args = obj({{"text", mp::s("hi")}});
  std::vector<std::pair<std::string, Bytes>> x;
  auto add = [&](std::string name, const RpcMessage& m) {
    x.emplace_back(std::move(name), wire(m));
  };

  add("hello-request", make_request(1, HelloParams{"peernetctl 0.1.0"}));
  add("hello-response",
      result_response(1, encode_result(HelloResult{1, "peernetd 0.1.0", kDaemon, true})));
  add("hello-unsupported",
      error_response(
          1,
          make_error(Errc::unsupported,
                     "hello: the client speaks control protocol version 2, the daemon speaks 1")));

  add("identity-request", make_request(2, IdentityParams{}));
  add("identity-response",
      result_response(2, encode_result(IdentityResult{kDaemon, fingerprint(kDaemon)})));

  add("status-request", make_request(3, StatusParams{}));
  add("status-response",
      result_response(3, encode_result(StatusResult{
                             kDaemon,
                             3600.5,
                             1,
                             1,
                             2,
                             1,
                             {{"calls_in", 12}, {"calls_out", 30}, {"sends_dropped", 1}}})));

  add("peers-request", make_request(4, PeersParams{false}));
  add("peers-response", result_response(4, encode_result(std::vector<PeerInfo>{
                                               PeerInfo{kLaptop,
                                                        "laptop",
                                                        PeerState::online,
                                                        true,
                                                        {"198.18.0.2:7469"},
                                                        1717171717.5,
                                                        0.8,
                                                        1717170000.0,
                                                        SessionInfo{true, "198.18.0.2:7469"},
                                                        fingerprint(kLaptop)},
                                               PeerInfo{kPi,
                                                        "pi",
                                                        PeerState::offline,
                                                        true,
                                                        {"pi.lan:7469"},
                                                        std::nullopt,
                                                        std::nullopt,
                                                        1717160000.0,
                                                        std::nullopt,
                                                        fingerprint(kPi),
                                                        "untrusted_peer"}})));

  add("trust.add-request",
      make_request(5, TrustAddParams{kPi, "pi", std::vector<std::string>{"pi.lan:7469"}}));
  add("trust.add-response", result_response(5, encode_result(IdResult{kPi})));
  add("trust.add-forbidden",
      error_response(5, make_error(Errc::forbidden,
                                   "trust.add: uid 1000 is not an admin (root, the daemon's "
                                   "uid, or a member of control.admin_group)")));

  add("trust.remove-request", make_request(6, TrustRemoveParams{"pi"}));
  add("trust.remove-response", result_response(6, encode_empty_result()));

  add("trust.list-request", make_request(7, TrustListParams{}));
  add("trust.list-response", result_response(7, encode_result(std::vector<TrustEntry>{
                                                    {kLaptop, "laptop", {"198.18.0.2:7469"}},
                                                    {kStranger, std::nullopt, {}}})));

  add("expose-request", make_request(8, ExposeParams{"echo", std::vector<std::string>{"laptop"}}));
  add("expose-response", result_response(8, encode_empty_result()));
  add("expose-taken",
      error_response(8, make_error(Errc::handle_taken,
                                   "handle \"echo\" is already exposed by another client")));

  add("unexpose-request", make_request(9, UnexposeParams{"echo"}));
  add("unexpose-response", result_response(9, encode_empty_result()));

  add("call-request", make_request(10, CallParams{"laptop", "echo", echo_args, 5.0}));
  add("call-response", result_response(10, echo_args));
  add("call-offline",
      error_response(10, make_error(Errc::peer_offline,
                                    "no session to peer(" + short_peer_id(kLaptop) + ")")));

  add("send-request", make_request(11, SendParams{"pi", "chat", mp::s("hello")}));
  add("send-response", result_response(11, encode_result(SendResult{})));
  add("send-dropped", result_response(11, encode_result(SendResult{
                                              false, Errc::peer_offline,
                                              "no session to peer(" + short_peer_id(kPi) + ")"})));

  add("send-stream", RpcNotification{std::string(method::kSend),
                                     encode_params(SendParams{"pi", "chat", mp::s("hello")})});
  add("send.flush-request", make_request(30, SendFlushParams{}));
  add("send.flush-response", result_response(30, encode_result(SendFlushResult{3, 3, true})));

  add("subscribe-request", make_request(12, SubscribeParams{std::vector<PeerEventKind>{
                                                PeerEventKind::up, PeerEventKind::down}}));
  add("subscribe-response", result_response(12, encode_empty_result()));

  add("connect-request", make_request(13, ConnectParams{"198.18.0.3:7469"}));
  add("connect-response", result_response(13, encode_result(IdResult{kPi})));

  add("pair.open-request", make_request(14, PairOpenParams{120.0, std::nullopt}));
  add("pair.open-response", result_response(14, encode_result(PairOpenResult{"417-k7hx2", 120.0, 5})));
  add("pair.wait-request", make_request(15, PairWaitParams{}));
  add("pair.wait-response", result_response(15, encode_result(PairedResult{kPi, "pi", fingerprint(kPi)})));
  add("pair.wait-timeout",
      error_response(15, make_error(Errc::timeout, "the pairing window closed with nobody paired")));
  add("pair.join-request", make_request(16, PairJoinParams{"417-k7hx2", std::nullopt, std::nullopt}));
  add("pair.join-response",
      result_response(16, encode_result(PairedResult{kDaemon, "nas", fingerprint(kDaemon)})));
  add("pair.join-failed",
      error_response(16, make_error(Errc::pairing_failed,
                                    "the code did not match on 198.18.0.3:7469 (a typo, or its window closed)")));

  add("peer.show-request", make_request(17, PeerShowParams{"laptop"}));
  {
    PeerShowResult r;
    r.id = kLaptop;
    r.fingerprint = fingerprint(kLaptop);
    r.name = "laptop";
    r.host = "peernetd-laptop-LJQW";
    r.state = PeerState::online;
    r.since = 1717170000.0;
    r.addrs = PeerAddresses{{"198.18.0.2:7469"}, {"198.18.0.12:7469"}, {"[fd00::2]:7469"}};
    r.session = SessionInfo{true, "198.18.0.2:7469"};
    r.rtt_ms = 0.42;
    r.last_seen = 1717171717.5;
    r.last_handshake = 1717170000.0;
    r.last_close_reason = "network_changed";
    r.last_close = 1717169990.0;
    r.counters = {{"bytes_in", 18250}, {"bytes_out", 20500}, {"call_errors", 1}, {"calls_in", 4},
                  {"calls_out", 30}, {"handshakes_failed", 2}, {"handshakes_ok", 3}, {"messages_in", 151},
                  {"messages_out", 160}, {"pings", 3}, {"sends_dropped", 1}, {"sends_in", 7},
                  {"sends_out", 12}, {"sends_refused", 1}};
    add("peer.show-response", result_response(17, encode_result(r)));
  }
  add("peer.ping-request", make_request(18, PeerPingParams{"laptop", 5.0}));
  add("peer.ping-response", result_response(18, encode_result(PeerPingResult{kLaptop, 0.42, "198.18.0.2:7469"})));
  add("metrics-request", make_request(19, MetricsParams{false}));
  add("metrics-response",
      result_response(19, encode_result(MetricsResult{
                              "# HELP peernet_calls_out_total Calls to peers handed to a session\n"
                              "# TYPE peernet_calls_out_total counter\n"
                              "peernet_calls_out_total 30\n",
                              "text/plain; version=0.0.4; charset=utf-8"})));
  add("doctor-request", make_request(20, DoctorParams{}));
  {
    DoctorResult r;
    r.pid = 4242;
    r.listen = {"0.0.0.0:7469"};
    r.listening = {"0.0.0.0:7469"};
    r.mdns = true;
    r.mdns_running = true;
    r.broadcast_port = 7470;
    r.interfaces = {{"eth0", true, std::nullopt, {"198.18.0.1"}, {}, true, false},
                    {"lo", false, "loopback", {"127.0.0.1"}, {"::1"}, false, false}};
    add("doctor-response", result_response(20, encode_result(r)));
  }

  add("bad-request",
      error_response(14, make_error(Errc::bad_request, "call: unknown key \"tiemout\"")));

  add("handle.call-request", make_request(1, HandleCall{kLaptop, "laptop", "echo", echo_args}));
  add("handle.call-response", result_response(1, echo_args));
  add("handle.call-error", error_response(1, ErrorBody{"not_found", "no such user"}));
  add("handle.send-notification", make_notification(HandleSend{kPi, "pi", "chat", mp::s("hello")}));

  add("send.refused-notification", make_notification(SendRefused{kPi, "pi", "inbox", "no_such_handle"}));
  add("send.dropped-notification",
      make_notification(SendDropped{kPi, "pi", "chat", "peer_offline",
                                    "no session to peer(" + short_peer_id(kPi) + ")", 1, 2}));
  add("send.dropped-refused",
      make_notification(SendDropped{kPi, "pi", "chat", "no_such_handle",
                                    "the peer has no handle \"chat\" for us", std::nullopt, 1}));

  add("peer.up-notification",
      make_notification(PeerEvent{PeerEventKind::up, kLaptop, "laptop", {}, {}, {}, fingerprint(kLaptop)}));
  add("peer.down-notification",
      make_notification(PeerEvent{
          PeerEventKind::down, kLaptop, "laptop", "timeout", "nothing received for 45 s", {}, fingerprint(kLaptop)}));
  add("peer.connecting-notification",
      make_notification(PeerEvent{
          PeerEventKind::connecting, kPi, "pi", {}, {}, std::vector<std::string>{"pi.lan:7469"}, fingerprint(kPi)}));
  add("peer.discovered-notification",
      make_notification(PeerEvent{PeerEventKind::discovered,
                                  kStranger,
                                  std::nullopt,
                                  {},
                                  {},
                                  std::vector<std::string>{"198.18.0.9:7469"},
                                  fingerprint(kStranger)}));
  add("peer.wants_to_pair-notification",
      make_notification(PeerEvent{PeerEventKind::wants_to_pair,
                                  kStranger,
                                  std::nullopt,
                                  {},
                                  {},
                                  std::vector<std::string>{"198.18.0.9:7469"},
                                  fingerprint(kStranger)}));
  return x;
}

// --- readable notation --------------------------------------------------------

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string number(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, end);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // keep floats visibly floats
  return s;
}

// JSON-like, with nil, bin(hex) and ext(type, hex). Containers that do not
// fit in `width` columns are broken one element per line (after `indent`).
std::string render(const msgpack::object& o, size_t indent, size_t width);

std::string render_flat(const msgpack::object& o) { return render(o, 0, SIZE_MAX); }

std::string render(const msgpack::object& o, size_t indent, size_t width) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return o.via.boolean ? "true" : "false";
    case msgpack::type::POSITIVE_INTEGER:
      return std::to_string(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return std::to_string(o.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return number(o.via.f64);
    case msgpack::type::STR:
      return quote(std::string_view(o.via.str.ptr, o.via.str.size));
    case msgpack::type::BIN:
      return "bin(" +
             to_hex(ByteView(reinterpret_cast<const uint8_t*>(o.via.bin.ptr), o.via.bin.size)) +
             ")";
    case msgpack::type::EXT:
      return "ext(" + std::to_string(o.via.ext.type()) + ", " +
             to_hex(ByteView(reinterpret_cast<const uint8_t*>(o.via.ext.data()), o.via.ext.size)) +
             ")";
    case msgpack::type::ARRAY:
    case msgpack::type::MAP:
      break;
  }
  const bool is_map = o.type == msgpack::type::MAP;
  const uint32_t n = is_map ? o.via.map.size : o.via.array.size;
  auto item = [&](uint32_t k, size_t in, size_t w) {
    if (!is_map) return render(o.via.array.ptr[k], in, w);
    std::string key = render_flat(o.via.map.ptr[k].key) + ": ";
    return key + render(o.via.map.ptr[k].val, in, w > key.size() ? w - key.size() : 0);
  };
  const std::string open = is_map ? "{" : "[", close = is_map ? "}" : "]";
  std::string flat = open;
  for (uint32_t k = 0; k < n; ++k) flat += (k ? ", " : "") + item(k, 0, SIZE_MAX);
  flat += close;
  if (indent + flat.size() <= width || n == 0) return flat;
  // An array whose elements are scalars but for the last hugs that last
  // one: [1, 4, nil, {  ...  }] reads better than one element per line.
  bool hug = !is_map;
  for (uint32_t k = 0; hug && k + 1 < n; ++k) {
    auto t = o.via.array.ptr[k].type;
    hug = t != msgpack::type::ARRAY && t != msgpack::type::MAP;
  }
  if (hug) {
    std::string out = open;
    for (uint32_t k = 0; k + 1 < n; ++k) out += render_flat(o.via.array.ptr[k]) + ", ";
    return out + render(o.via.array.ptr[n - 1], indent, width) + close;
  }
  std::string out = open + "\n";
  const std::string pad(indent + 2, ' ');
  for (uint32_t k = 0; k < n; ++k)
    out += pad + item(k, indent + 2, width) + (k + 1 < n ? ",\n" : "\n");
  return out + std::string(indent, ' ') + close;
}

std::string readable(const Bytes& b) {
  auto handle = msgpack::unpack(reinterpret_cast<const char*>(b.data()), b.size());
  return render(handle.get(), 0, 96);
}

std::string hex_lines(const Bytes& b) {
  std::string out;
  for (size_t k = 0; k < b.size(); ++k) {
    out += to_hex(ByteView(&b[k], 1));
    out += (k + 1 == b.size()) ? "" : (k % 24 == 23 ? "\n" : " ");
  }
  return out;
}

std::map<std::pair<std::string, std::string>, std::string> expected_blocks() {
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const auto& [name, bytes] : examples()) {
    out[{"msgpack", name}] = readable(bytes);
    out[{"hex", name}] = hex_lines(bytes);
  }
  return out;
}

// --- the guide ----------------------------------------------------------------

struct Block {
  std::string kind, name, body;
  size_t body_begin = 0, body_end = 0;  // offsets of the body in the file
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fenced blocks whose info string is "msgpack NAME" or "hex NAME". A body
// runs from the line after the opening fence to the start of the closing
// fence's line (its last newline included, so an empty body is empty).
std::vector<Block> tagged_blocks(const std::string& text) {
  std::vector<Block> blocks;
  size_t pos = 0;
  while ((pos = text.find("```", pos)) != std::string::npos) {
    const size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) break;
    const std::string info = text.substr(pos + 3, eol - pos - 3);
    size_t close = eol + 1;
    while (close < text.size() && text.compare(close, 3, "```") != 0) {
      size_t next = text.find('\n', close);
      close = next == std::string::npos ? text.size() : next + 1;
    }
    if (close >= text.size()) break;
    const size_t space = info.find(' ');
    const std::string kind = info.substr(0, space);
    if ((kind == "msgpack" || kind == "hex") && space != std::string::npos)
      blocks.push_back(Block{kind, info.substr(space + 1), text.substr(eol + 1, close - eol - 1),
                             eol + 1, close});
    pos = close + 3;
  }
  return blocks;
}

std::string without_space(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') out += c;
  return out;
}

TEST(ControlGuide, EveryExampleIsInTheGuideAndMatchesTheEncoders) {
  const std::string text = read_file(g_guide_path);
  ASSERT_FALSE(text.empty()) << "cannot read " << g_guide_path;
  auto expected = expected_blocks();
  std::map<std::pair<std::string, std::string>, int> seen;
  for (const auto& b : tagged_blocks(text)) {
    auto it = expected.find({b.kind, b.name});
    if (it == expected.end()) {
      ADD_FAILURE() << "the guide has a " << b.kind << " block \"" << b.name
                    << "\" that no example produces";
      continue;
    }
    ++seen[{b.kind, b.name}];
    EXPECT_EQ(without_space(b.body), without_space(it->second))
        << b.kind << " " << b.name << " should read:\n"
        << it->second;
  }
  for (const auto& [key, body] : expected)
    EXPECT_EQ(seen[key], 1) << "the guide needs exactly one " << key.first << " block \""
                            << key.second << "\"";
}

TEST(ControlGuide, EveryMethodHasASection) {
  const std::string text = read_file(g_guide_path);
  for (const auto& m : methods())
    EXPECT_NE(text.find("\n### `" + std::string(m.name) + "`"), std::string::npos) << m.name;
}

TEST(ControlGuide, EveryErrorCodeIsInTheTable) {
  const std::string text = read_file(g_guide_path);
  for (int k = 0; k <= static_cast<int>(Errc::handler_failed); ++k) {
    std::string name(to_string(static_cast<Errc>(k)));
    EXPECT_NE(text.find("\n| `" + name + "` |"), std::string::npos) << name;
  }
}

TEST(ControlGuide, ExamplesDecode) {
  // Every example is a valid RPC message whose params decode on the side
  // that receives them, so the guide shows only messages that work.
  for (const auto& [name, bytes] : examples()) {
    auto m = decode_rpc(bytes);
    ASSERT_TRUE(m.ok()) << name;
    if (auto* q = std::get_if<RpcRequest>(&*m)) {
      if (q->method == method::kHandleCall) {
        EXPECT_TRUE(decode_params<control::HandleCall>(q->params).ok()) << name;
      } else {
        auto p = decode_request_params(q->method, q->params);
        EXPECT_TRUE(p.ok()) << name << ": " << (p.ok() ? "" : p.error().message);
      }
    } else if (auto* n = std::get_if<RpcNotification>(&*m)) {
      // send.refused is not among the notifications ctl's client collects
      // (events.hpp); a client that wants it decodes its params.
      if (n->method == method::kSendRefused)
        EXPECT_TRUE(decode_params<control::SendRefused>(n->params).ok()) << name;
      else if (n->method == method::kSend)  // the streamed send, from a client
        EXPECT_TRUE(decode_params<control::SendParams>(n->params).ok()) << name;
      else
        EXPECT_TRUE(decode_notification(*n).ok()) << name;
    }
  }
}

int update(const std::string& path) {
  std::string text = read_file(path);
  if (text.empty()) return 1;
  auto expected = expected_blocks();
  auto blocks = tagged_blocks(text);
  // Back to front, so earlier offsets stay valid.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    auto e = expected.find({it->kind, it->name});
    if (e == expected.end()) continue;
    text.replace(it->body_begin, it->body_end - it->body_begin, e->second + "\n");
  }
  std::ofstream(path, std::ios::binary) << text;
  return 0;
}

}  // namespace
}  // namespace peernet::control

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc == 3 && std::strcmp(argv[1], "--update") == 0) return peernet::control::update(argv[2]);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s [--update] GUIDE.md\n", argv[0]);
    return 2;
  }
  peernet::control::g_guide_path = argv[1];
  return RUN_ALL_TESTS();
}
