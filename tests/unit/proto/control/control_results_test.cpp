// Results of client requests: the daemon's encoders and the client's
// decoders, which skip unknown keys and check everything else.
#include "proto/control/codec.hpp"

#include <gtest/gtest.h>

#include "control_test_util.hpp"
#include "proto/control/methods.hpp"
#include "proto/peer_id.hpp"

namespace peernet::control {
namespace {

using test::code_of;
using test::key;
using test::message_of;

PeerInfo online_peer() {
  return PeerInfo{key(1),
                  "laptop",
                  PeerState::online,
                  true,
                  {"198.18.0.2:7469"},
                  1717171717.25,
                  0.42,
                  1717171700.0,
                  SessionInfo{true, "198.18.0.2:7469"}};
}
PeerInfo discovered_peer() {
  return PeerInfo{key(2),       std::nullopt, PeerState::offline, false,       {},
                  std::nullopt, std::nullopt, std::nullopt,       std::nullopt};
}

TEST(ControlResults, RoundTripEveryShape) {
  HelloResult hello{1, "peernetd 0.1.0", key(9), true};
  EXPECT_EQ(decode_result<control::method::Hello>(encode_result(hello)).value(), hello);

  IdentityResult identity{key(9), fingerprint(key(9))};
  EXPECT_EQ(decode_result<control::method::Identity>(encode_result(identity)).value(), identity);

  StatusResult status{
      key(9), 12.5, 2, 1, 3, 4, {{"calls_in", 7}, {"sends_dropped", 0}, {"bytes_out", 1ull << 40}}};
  EXPECT_EQ(decode_result<control::method::Status>(encode_result(status)).value(), status);
  StatusResult bare{key(9), 0, 0, 0, 0, 0, {}};
  EXPECT_EQ(decode_result<control::method::Status>(encode_result(bare)).value(), bare);

  std::vector<PeerInfo> peers = {online_peer(), discovered_peer(),
                                 PeerInfo{key(3),
                                          "pi",
                                          PeerState::connecting,
                                          true,
                                          {"pi.lan:7469"},
                                          5.0,
                                          std::nullopt,
                                          6.0,
                                          std::nullopt}};
  EXPECT_EQ(decode_result<control::method::Peers>(encode_result(peers)).value(), peers);
  EXPECT_EQ(decode_result<control::method::Peers>(encode_result(std::vector<PeerInfo>{})).value(),
            std::vector<PeerInfo>{});

  std::vector<TrustEntry> trust = {{key(1), "laptop", {"198.18.0.2:7469"}},
                                   {key(2), std::nullopt, {}}};
  EXPECT_EQ(decode_result<control::method::TrustList>(encode_result(trust)).value(), trust);

  IdResult id{key(5)};
  EXPECT_EQ(decode_result<control::method::TrustAdd>(encode_result(id)).value(), id);
  EXPECT_EQ(decode_result<control::method::Connect>(encode_result(id)).value(), id);

  for (const SendResult& s :
       {SendResult{}, SendResult{false, Errc::peer_offline, "no session to peer(X)"},
        SendResult{false, Errc::busy, ""}, SendResult{false, Errc::payload_too_large, "big"}})
    EXPECT_EQ(decode_result<control::method::Send>(encode_result(s)).value(), s) << s.message;

  EXPECT_TRUE(decode_result<control::method::Expose>(encode_empty_result()).ok());
}

TEST(ControlResults, ExactEncodings) {
  EXPECT_EQ(to_hex(encode_empty_result()), "80");
  EXPECT_EQ(to_hex(encode_result(SendResult{})), "81a964656c697665726564c3");
  // A drop spells its reason with the Errc name.
  EXPECT_EQ(to_hex(encode_result(SendResult{false, Errc::busy, "q"})),
            "83a964656c697665726564c2a6726561736f6ea462757379a76d657373616765a171");
  // The public key is bin 32 (0xc4 0x20).
  Bytes identity = encode_result(IdentityResult{key(0), "x"});
  std::string h = to_hex(identity);
  EXPECT_NE(h.find("aa7075626c69635f6b6579c420" + to_hex(key(0).view())), std::string::npos) << h;
  // Times are float 64 even when whole.
  Bytes status = encode_result(StatusResult{key(0), 3.0, 0, 0, 0, 0, {}});
  EXPECT_NE(to_hex(status).find("a8757074696d655f73cb4008000000000000"), std::string::npos);
}

TEST(ControlResults, SendResultFromStatus) {
  EXPECT_EQ(SendResult::from(Status{}), SendResult{});
  SendResult dropped = SendResult::from(make_error(Errc::peer_offline, "gone"));
  EXPECT_EQ(dropped, (SendResult{false, Errc::peer_offline, "gone"}));
  EXPECT_TRUE(is_drop_reason(Errc::peer_offline));
  EXPECT_TRUE(is_drop_reason(Errc::busy));
  EXPECT_TRUE(is_drop_reason(Errc::payload_too_large));
  EXPECT_FALSE(is_drop_reason(Errc::bad_request));
  EXPECT_FALSE(is_drop_reason(Errc::no_such_peer));
}

TEST(ControlResults, UnknownKeysAreSkipped) {
  // A later daemon may add result keys; a version-1 client ignores them.
  Bytes r =
      mp::map({{"id", mp::s(peer_id_text(key(1)))}, {"future", mp::arr({mp::u(1), mp::map({})})}});
  auto id = decode_result<control::method::Connect>(r);
  ASSERT_TRUE(id.ok()) << message_of(id);
  EXPECT_EQ(id->id, key(1));
  EXPECT_TRUE(decode_result<control::method::Subscribe>(mp::map({{"x", mp::u(1)}})).ok());
  // Absent optional values are nullopt, like nil.
  Bytes peer = mp::arr({mp::map({{"id", mp::s(peer_id_text(key(2)))},
                                 {"state", mp::s("offline")},
                                 {"trusted", mp::b(false)},
                                 {"addrs", mp::arr({})}})});
  auto peers = decode_result<control::method::Peers>(peer);
  ASSERT_TRUE(peers.ok()) << message_of(peers);
  EXPECT_EQ(peers->at(0), discovered_peer());
}

TEST(ControlResults, MalformedResultsAreProtocolErrors) {
  const std::string id = peer_id_text(key(1));
  std::vector<std::pair<std::string, Status>> cases;
  auto add = [&](std::string name, auto result) {
    cases.emplace_back(std::move(name), result.ok() ? Status{} : Status(std::move(result).error()));
  };
  add("hello not a map", decode_result<control::method::Hello>(mp::arr({})));
  add("hello missing admin",
      decode_result<control::method::Hello>(
          mp::map({{"version", mp::u(1)}, {"daemon", mp::s("d")}, {"id", mp::s(id)}})));
  add("hello bad id", decode_result<control::method::Hello>(mp::map({{"version", mp::u(1)},
                                                   {"daemon", mp::s("d")},
                                                   {"id", mp::s("ABCD")},
                                                   {"admin", mp::b(false)}})));
  add("identity key mismatch",
      decode_result<control::method::Identity>(mp::map({{"id", mp::s(id)},
                                      {"fingerprint", mp::s("f")},
                                      {"public_key", mp::bin(key(2).view())}})));
  add("identity key as str",
      decode_result<control::method::Identity>(
          mp::map({{"id", mp::s(id)}, {"fingerprint", mp::s("f")}, {"public_key", mp::s("k")}})));
  add("status counter negative",
      decode_result<control::method::Status>(mp::map({{"id", mp::s(id)},
                                    {"uptime_s", mp::f64(1)},
                                    {"sessions", mp::u(0)},
                                    {"peers_online", mp::u(0)},
                                    {"peers_total", mp::u(0)},
                                    {"handles", mp::u(0)},
                                    {"counters", mp::map({{"x", mp::i(-1)}})}})));
  add("status counter dup",
      decode_result<control::method::Status>(mp::map({{"id", mp::s(id)},
                                    {"uptime_s", mp::f64(1)},
                                    {"sessions", mp::u(0)},
                                    {"peers_online", mp::u(0)},
                                    {"peers_total", mp::u(0)},
                                    {"handles", mp::u(0)},
                                    {"counters", mp::map({{"x", mp::u(1)}, {"x", mp::u(2)}})}})));
  add("peers unknown state", decode_result<control::method::Peers>(mp::arr({mp::map({{"id", mp::s(id)},
                                                                   {"state", mp::s("asleep")},
                                                                   {"trusted", mp::b(true)},
                                                                   {"addrs", mp::arr({})}})})));
  add("peers not a list", decode_result<control::method::Peers>(mp::map({})));
  add("peers session not a map",
      decode_result<control::method::Peers>(mp::arr({mp::map({{"id", mp::s(id)},
                                            {"state", mp::s("online")},
                                            {"trusted", mp::b(true)},
                                            {"addrs", mp::arr({})},
                                            {"session", mp::s("x")}})})));
  add("trust entry id missing",
      decode_result<control::method::TrustList>(mp::arr({mp::map({{"addrs", mp::arr({})}})})));
  add("send unknown reason",
      decode_result<control::method::Send>(mp::map(
          {{"delivered", mp::b(false)}, {"reason", mp::s("nope")}, {"message", mp::s("")}})));
  add("send reason missing", decode_result<control::method::Send>(mp::map({{"delivered", mp::b(false)}})));
  add("send delivered str", decode_result<control::method::Send>(mp::map({{"delivered", mp::s("yes")}})));
  add("empty result not a map", decode_result<control::method::Expose>(mp::nil()));
  add("duplicate key",
      decode_result<control::method::Connect>(mp::map({{"id", mp::s(id)}, {"id", mp::s(id)}})));
  for (const auto& [name, status] : cases) {
    ASSERT_FALSE(status.ok()) << name;
    EXPECT_EQ(status.error().code, Errc::protocol_error) << name << ": " << status.error().message;
  }
  // Messages name the method and the key.
  auto r = decode_result<control::method::Peers>(mp::arr({mp::map({{"id", mp::s(id)},
                                                 {"state", mp::s("asleep")},
                                                 {"trusted", mp::b(true)},
                                                 {"addrs", mp::arr({})}})}));
  EXPECT_EQ(message_of(r), "peers[0]: \"state\": unknown state \"asleep\"");
  auto s = decode_result<control::method::Peers>(mp::arr(
      {mp::map({{"id", mp::s(id)},
                {"state", mp::s("online")},
                {"trusted", mp::b(true)},
                {"addrs", mp::arr({})},
                {"session", mp::map({{"initiator", mp::u(1)}, {"remote", mp::s("a")}})}})}));
  EXPECT_EQ(message_of(s),
            "peers[0]: \"session\": \"initiator\": expected a boolean, found an integer");
}

}  // namespace
}  // namespace peernet::control
