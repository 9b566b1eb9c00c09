#include "proto/pairing/exchange.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "proto/pairing/code.hpp"

namespace peernet::pairing {
namespace {

class SeededRng final : public Rng {
 public:
  explicit SeededRng(uint32_t seed) : gen_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(gen_() >> 24);
  }

 private:
  std::mt19937 gen_;
};

PublicKey key(uint8_t fill) {
  PublicKey k;
  k.bytes.fill(fill);
  return k;
}

struct Outcome {
  std::optional<std::string> joiner_got, host_got;
  Error joiner_error{Errc::internal, ""}, host_error{Errc::internal, ""};
  bool joiner_failed = false, host_failed = false;
  bool host_sent_confirmation = false;
};

// Plays both sides against each other, carrying each envelope through its
// encoding as the wire would; `tamper` may change what the joiner sends.
Outcome play(const std::string& joiner_code, const std::string& host_code, Bytes joiner_hash, Bytes host_hash,
         std::function<void(Pair&)> tamper = {}) {
  SeededRng rj(1), rh(2);
  ExchangeParams pj{Side::joiner, joiner_code, joiner_hash, key(0xaa), key(0xbb), "laptop"};
  ExchangeParams ph{Side::host, host_code, host_hash, key(0xaa), key(0xbb), "pi"};
  Pair j1, h2;
  auto joiner = Exchange::start(pj, rj, j1);
  auto host = Exchange::start(ph, rh, h2);
  EXPECT_TRUE(joiner.ok() && host.ok());
  EXPECT_EQ(j1.step, 1);
  EXPECT_EQ(h2.step, 2);
  auto wire = [](const Pair& p) {
    auto e = decode_envelope(encode(Envelope(p)));
    EXPECT_TRUE(e.ok());
    return std::get<Pair>(*e);
  };
  Outcome run;
  if (tamper) tamper(j1);
  auto h_after_1 = host->on_message(wire(j1));
  if (!h_after_1) {
    run.host_failed = true;
    run.host_error = h_after_1.error();
    return run;
  }
  EXPECT_FALSE(h_after_1->send);  // the host confirms only after the joiner
  auto j_after_2 = joiner->on_message(wire(h2));
  if (!j_after_2) {
    run.joiner_failed = true;
    run.joiner_error = j_after_2.error();
    return run;
  }
  EXPECT_TRUE(j_after_2->send);
  Pair j3 = *j_after_2->send;
  EXPECT_EQ(j3.step, 3);
  EXPECT_EQ(j3.name, "laptop");
  if (tamper) tamper(j3);
  auto h_after_3 = host->on_message(wire(j3));
  if (!h_after_3) {
    run.host_failed = true;
    run.host_error = h_after_3.error();
    return run;
  }
  run.host_got = h_after_3->paired_with;
  EXPECT_TRUE(h_after_3->send);
  run.host_sent_confirmation = true;
  auto j_after_4 = joiner->on_message(wire(*h_after_3->send));
  if (!j_after_4) {
    run.joiner_failed = true;
    run.joiner_error = j_after_4.error();
    return run;
  }
  run.joiner_got = j_after_4->paired_with;
  EXPECT_TRUE(joiner->done());
  EXPECT_TRUE(host->done());
  return run;
}

Bytes hash(uint8_t fill) { return Bytes(32, fill); }

TEST(PairingExchange, TheSameCodeOnTheSameSessionPairs) {
  Outcome r = play("417-k7hx2", "417-k7hx2", hash(7), hash(7));
  EXPECT_EQ(r.host_got, "laptop");
  EXPECT_EQ(r.joiner_got, "pi");
}

TEST(PairingExchange, AWrongCodeFailsAtTheHostWhichSendsNoConfirmation) {
  Outcome r = play("417-k7hx3", "417-k7hx2", hash(7), hash(7));
  EXPECT_TRUE(r.host_failed);
  EXPECT_EQ(r.host_error.code, Errc::pairing_failed);
  EXPECT_FALSE(r.host_sent_confirmation);
  EXPECT_FALSE(r.host_got);
}

TEST(PairingExchange, TheCodeIsBoundToTheSession) {
  // A man in the middle has two Noise sessions: two handshake hashes.
  Outcome r = play("417-k7hx2", "417-k7hx2", hash(7), hash(8));
  EXPECT_TRUE(r.host_failed);
  EXPECT_EQ(r.host_error.code, Errc::pairing_failed);
}

TEST(PairingExchange, AnIdentityElementIsRefused) {
  Outcome r = play("417-k7hx2", "417-k7hx2", hash(7), hash(7), [](Pair& p) {
    if (p.step == 1) p.data.assign(32, 0);
  });
  EXPECT_TRUE(r.host_failed);
  EXPECT_EQ(r.host_error.code, Errc::bad_key);
}

TEST(PairingExchange, StepsOutOfOrderAreProtocolErrors) {
  SeededRng rng(3);
  Pair first;
  auto host = Exchange::start({Side::host, "417-k7hx2", hash(1), key(1), key(2), "pi"}, rng, first);
  ASSERT_TRUE(host.ok());
  auto r = host->on_message(Pair{3, Bytes(32, 1), "x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::protocol_error);
  // The exchange is over after a failure.
  auto again = host->on_message(Pair{1, Bytes(32, 1), ""});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::invalid_state);
}

TEST(PairingExchange, HostNamesAreSanitized) {
  EXPECT_EQ(sanitize_peer_name("pi\n\x1b[31m"), "pi[31m");
  std::string long_name(70, 'a');
  long_name.replace(63, 2, "\xc3\xa9");  // a 2-byte character across the 64-byte cut
  std::string cut = sanitize_peer_name(long_name);
  EXPECT_EQ(cut.size(), 63u);
  EXPECT_EQ(cut, std::string(63, 'a'));
}

}  // namespace
}  // namespace peernet::pairing
