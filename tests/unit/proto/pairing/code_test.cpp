#include "proto/pairing/code.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

namespace peernet::pairing {
namespace {

// Replays a fixed byte sequence, so the draws are known.
class ScriptedRng final : public Rng {
 public:
  explicit ScriptedRng(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      b = bytes_.at(pos_ % bytes_.size());
      ++pos_;
    }
  }
  size_t used() const { return pos_; }

 private:
  std::vector<uint8_t> bytes_;
  size_t pos_ = 0;
};

// A deterministic, well-mixed stream (a fixed seed: the test never flakes).
class CountingRng final : public Rng {
 public:
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(gen_() >> 24);
  }

 private:
  std::mt19937 gen_{20261206};
};

TEST(PairingCode, GeneratesTheDocumentedShape) {
  CountingRng rng;
  for (int i = 0; i < 200; ++i) {
    Code c = generate_code(rng);
    ASSERT_EQ(c.nameplate.size(), kNameplateDigits);
    ASSERT_TRUE(valid_nameplate(c.nameplate));
    ASSERT_EQ(c.secret.size(), kSecretChars);
    auto back = parse_code(c.text());
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(*back, c);
  }
}

TEST(PairingCode, RejectsBytesThatWouldBiasTheDraw) {
  // 250..255 are above the largest multiple of 10 below 256: skipped for a
  // digit; 7 % 10 = 7 is taken.
  ScriptedRng rng({255, 250, 7, 0, 0, 0, 0, 0, 0, 0});
  Code c = generate_code(rng);
  EXPECT_EQ(c.nameplate[0], '7');
  EXPECT_EQ(c.text(), "700-00000");
}

TEST(PairingCode, SecretCharactersAreUniform) {
  CountingRng rng;
  std::map<char, int> seen;
  for (int i = 0; i < 4000; ++i)
    for (char ch : generate_code(rng).secret) ++seen[ch];
  EXPECT_EQ(seen.size(), 32u);  // every letter of the alphabet appears
  for (auto [ch, n] : seen) {
    EXPECT_GT(n, 500) << ch;  // 20000 draws / 32 = 625 expected, sd ~25
    EXPECT_LT(n, 750) << ch;
  }
}

TEST(PairingCode, ParsingForgivesWhatPeopleType) {
  for (const char* typed : {"417-k7hx2", "417-K7HX2", " 417 - k7hx2 ", "417k7hx2", "417-k7-hx2"}) {
    auto c = parse_code(typed);
    ASSERT_TRUE(c.ok()) << typed << ": " << c.error().describe();
    EXPECT_EQ(c->text(), "417-k7hx2") << typed;
  }
  // o reads as 0, i and l as 1.
  auto c = parse_code("417-oilab");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->secret, "011ab");
}

TEST(PairingCode, ParsingSaysWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (auto [text, says] : std::vector<Case>{
           {"417-k7hx", "the secret has 4 characters, expected 5"},
           {"417-k7hx22", "the secret has 6 characters, expected 5"},
           {"41-k7hx2", "must be 3 digits"},
           {"4a7-k7hx2", "must be 3 digits"},
           {"417-k7hu2", "'u' is not a letter of the code"},
           {"", "must be 3 digits"},
       }) {
    auto c = parse_code(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().code, Errc::bad_request);
    EXPECT_NE(c.error().message.find(says), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace peernet::pairing
