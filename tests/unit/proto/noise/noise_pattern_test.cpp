// Handshake patterns and protocol names (Noise spec rev 34 §7-§9).
#include "proto/noise/pattern.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace peernet::noise {
namespace {

template <class T>
std::optional<Errc> code(const Result<T>& r) {
  return r.ok() ? std::nullopt : std::optional<Errc>(r.error().code);
}

std::string render(const std::vector<Token>& tokens) {
  std::string s;
  for (Token t : tokens) {
    if (!s.empty()) s += ", ";
    s += to_string(t);
  }
  return s;
}

std::vector<std::string> render(const HandshakePattern& p) {
  std::vector<std::string> out;
  for (const auto& m : p.messages) out.push_back(render(m));
  return out;
}

using Lines = std::vector<std::string>;

TEST(NoisePattern, EveryTablePatternParses) {
  auto names = pattern_names();
  EXPECT_EQ(names.size(), 3u + 12u + 23u);  // one-way, fundamental, deferred
  for (auto name : names) {
    auto p = parse_pattern(name);
    ASSERT_TRUE(p.ok()) << name << ": " << p.error().describe();
    EXPECT_EQ(p->name, name);
    EXPECT_EQ(p->is_one_way(), name.size() == 1) << name;
    EXPECT_FALSE(p->has_psk());
    // Every party sends e once and s at most once, and the first message
    // of each side starts with e (§7.3 validity, as the tables satisfy).
    int e_count[2] = {0, 0}, s_count[2] = {0, 0};
    for (size_t i = 0; i < p->messages.size(); ++i) {
      int side = p->initiator_sends(i) ? 0 : 1;
      if (i < 2) {
        EXPECT_EQ(p->messages[i].front(), Token::e) << name;
      }
      for (Token t : p->messages[i]) {
        e_count[side] += t == Token::e;
        s_count[side] += t == Token::s;
      }
    }
    EXPECT_EQ(e_count[0], 1) << name;
    EXPECT_EQ(e_count[1], p->is_one_way() ? 0 : 1) << name;
    EXPECT_LE(s_count[0], 1) << name;
    EXPECT_LE(s_count[1], 1) << name;
  }
}

TEST(NoisePattern, XxIsTheSpecsXx) {
  auto p = parse_protocol_name("Noise_XX_25519_ChaChaPoly_SHA256");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(render(*p), (Lines{"e", "e, ee, s, es", "s, se"}));
  EXPECT_TRUE(p->initiator_premessage.empty());
  EXPECT_TRUE(p->responder_premessage.empty());
  EXPECT_TRUE(p->initiator_sends(0));
  EXPECT_FALSE(p->initiator_sends(1));
  EXPECT_TRUE(p->initiator_sends(2));
  EXPECT_FALSE(p->initiator_sends(3));  // transport continues alternating
}

TEST(NoisePattern, PreMessagesAndOneWay) {
  auto k = parse_pattern("K").value();
  EXPECT_EQ(k.initiator_premessage, std::vector<Token>{Token::s});
  EXPECT_EQ(k.responder_premessage, std::vector<Token>{Token::s});
  EXPECT_EQ(render(k), (Lines{"e, es, ss"}));
  EXPECT_TRUE(k.is_one_way());
  EXPECT_TRUE(k.initiator_sends(1));  // one-way: the initiator sends everything

  auto ik = parse_pattern("IK").value();
  EXPECT_TRUE(ik.initiator_premessage.empty());
  EXPECT_EQ(ik.responder_premessage, std::vector<Token>{Token::s});
  EXPECT_EQ(render(ik), (Lines{"e, es, s, ss", "e, ee, se"}));

  auto deferred = parse_pattern("X1X1").value();
  EXPECT_EQ(render(deferred), (Lines{"e", "e, ee, s", "es, s", "se"}));
}

TEST(NoisePattern, PskModifiers) {
  // §9.4: psk0 starts the first message; pskN ends message N.
  EXPECT_EQ(render(parse_pattern("NNpsk0").value()), (Lines{"psk, e", "e, ee"}));
  EXPECT_EQ(render(parse_pattern("NNpsk2").value()), (Lines{"e", "e, ee, psk"}));
  EXPECT_EQ(render(parse_pattern("NNpsk0+psk2").value()), (Lines{"psk, e", "e, ee, psk"}));
  auto xx = parse_protocol_name("Noise_XXpsk3_25519_ChaChaPoly_SHA256");
  ASSERT_TRUE(xx.ok());
  EXPECT_EQ(xx->name, "XXpsk3");
  EXPECT_EQ(render(*xx), (Lines{"e", "e, ee, s, es", "s, se, psk"}));
  EXPECT_EQ(xx->psk_count(), 1u);
  EXPECT_EQ(render(parse_pattern("Npsk0").value()), (Lines{"psk, e, es"}));
  EXPECT_EQ(render(parse_pattern("X1Kpsk4").value()).back(), "se, psk");
}

TEST(NoisePattern, RejectedNames) {
  // Other primitives and unknown patterns or modifiers: unsupported.
  EXPECT_EQ(code(parse_protocol_name("Noise_XX_448_ChaChaPoly_SHA256")), Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("Noise_XX_25519_AESGCM_SHA256")), Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("Noise_XX_25519_ChaChaPoly_BLAKE2s")), Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("Noise_XXfallback_25519_ChaChaPoly_SHA256")),
            Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("Noise_XXhfs_25519+Kyber1024_ChaChaPoly_SHA256")),
            Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("Noise_ZZ_25519_ChaChaPoly_SHA256")), Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("NoisePSK_XX_25519_ChaChaPoly_SHA256")), Errc::unsupported);
  EXPECT_EQ(code(parse_protocol_name("Noise_XX_25519_ChaChaPoly")), Errc::unsupported);
  EXPECT_EQ(code(parse_pattern("XXpsk")), Errc::unsupported);
  EXPECT_EQ(code(parse_pattern("XXpsk3+")), Errc::unsupported);
  // psk modifiers that do not fit the pattern.
  EXPECT_EQ(code(parse_pattern("XXpsk4")), Errc::bad_request);
  EXPECT_EQ(code(parse_pattern("NNpsk1+psk1")), Errc::bad_request);
}

}  // namespace
}  // namespace peernet::noise
