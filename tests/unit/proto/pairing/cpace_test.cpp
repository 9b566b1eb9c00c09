// CPACE-RISTR255-SHA512 against the published test vectors of the CFRG draft
// draft-irtf-cfrg-cpace-21 (appendix A for the string functions, appendix
// B.3 for ristretto255 with SHA-512), the invalid encodings of RFC 9496
// appendix A.2, and the properties the two-party API promises.
#include "proto/pairing/cpace.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace peernet::pairing {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }

Point point(std::string_view s) {
  Bytes b = hex(s);
  Point p{};
  EXPECT_EQ(b.size(), p.size());
  std::copy_n(b.begin(), std::min(b.size(), p.size()), p.begin());
  return p;
}

Scalar scalar(std::string_view s) { return Scalar::from(hex(s)).value(); }

template <class T>
std::optional<Errc> code(const Result<T>& r) {
  return r.ok() ? std::nullopt : std::optional<Errc>(r.error().code);
}

Bytes range_bytes(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i);
  return b;
}

// A deterministic generator (splitmix64), so runs are reproducible.
class TestRng : public Rng {
 public:
  explicit TestRng(uint64_t seed) : state_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      if (left_ == 0) {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        word_ = z ^ (z >> 31);
        left_ = 8;
      }
      b = static_cast<uint8_t>(word_);
      word_ >>= 8;
      --left_;
    }
  }

 private:
  uint64_t state_, word_ = 0;
  int left_ = 0;
};

// ---- draft-irtf-cfrg-cpace-21, appendix A: string functions ----

TEST(Cpace, PrependLenVectors) {
  // Appendix A.1.2.
  EXPECT_EQ(to_hex(prepend_len({})), "00");
  EXPECT_EQ(to_hex(prepend_len(as_bytes("1234"))), "0431323334");
  EXPECT_EQ(to_hex(prepend_len(range_bytes(127))), "7f" + to_hex(range_bytes(127)));
  EXPECT_EQ(to_hex(prepend_len(range_bytes(128))), "8001" + to_hex(range_bytes(128)));
  // LEB128 beyond the vectors: 300 = 0b10'0101100 -> ac 02; 16384 = 2^14
  // needs a third byte.
  EXPECT_EQ(to_hex(prepend_len(Bytes(300, 0))).substr(0, 4), "ac02");
  EXPECT_EQ(to_hex(prepend_len(Bytes(16384, 0))).substr(0, 6), "808001");
  EXPECT_EQ(prepend_len(Bytes(16384, 0)).size(), 16387u);
}

TEST(Cpace, LvCatVector) {
  // Appendix A.1.4.
  EXPECT_EQ(to_hex(lv_cat({as_bytes("1234"), as_bytes("5"), as_bytes(""), as_bytes("678")})),
            "043132333401350003363738");
  EXPECT_TRUE(lv_cat({}).empty());
}

TEST(Cpace, OrderedConcatenationVectors) {
  // Appendix A.3.3.
  auto b = [](std::initializer_list<uint8_t> v) { return Bytes(v); };
  EXPECT_FALSE(lexicographically_larger(b({0}), b({0, 0})));
  EXPECT_TRUE(lexicographically_larger(b({1}), b({0, 0})));
  EXPECT_TRUE(lexicographically_larger(b({0, 0}), b({0})));
  EXPECT_FALSE(lexicographically_larger(b({0, 0}), b({1})));
  EXPECT_FALSE(lexicographically_larger(b({0, 1}), b({1})));
  EXPECT_FALSE(lexicographically_larger(as_bytes("ABCD"), as_bytes("BCD")));
  EXPECT_EQ(to_hex(o_cat(as_bytes("ABCD"), as_bytes("BCD"))), "6f6342434441424344");
  EXPECT_EQ(to_hex(o_cat(as_bytes("BCD"), as_bytes("ABCDE"))), "6f634243444142434445");
}

TEST(Cpace, TranscriptVectors) {
  // Appendix A.3.5 (initiator-responder) and A.3.7 (ordered).
  EXPECT_EQ(to_hex(transcript_ir(as_bytes("123"), as_bytes("PartyA"), as_bytes("234"),
                                 as_bytes("PartyB"))),
            "03313233065061727479410332333406506172747942");
  EXPECT_EQ(to_hex(transcript_ir(as_bytes("3456"), as_bytes("PartyA"), as_bytes("2345"),
                                 as_bytes("PartyB"))),
            "043334353606506172747941043233343506506172747942");
  EXPECT_EQ(to_hex(transcript_oc(as_bytes("123"), as_bytes("PartyA"), as_bytes("234"),
                                 as_bytes("PartyB"))),
            "6f6303323334065061727479420331323306506172747941");
  EXPECT_EQ(to_hex(transcript_oc(as_bytes("3456"), as_bytes("PartyA"), as_bytes("2345"),
                                 as_bytes("PartyB"))),
            "6f63043334353606506172747941043233343506506172747942");
}

// ---- draft-irtf-cfrg-cpace-21, appendix B.3: ristretto255 and SHA-512 ----

// B.3.1 inputs.
const Bytes kPrs = Bytes{'P', 'a', 's', 's', 'w', 'o', 'r', 'd'};
const Bytes kCi = hex("0b415f696e69746961746f720b425f726573706f6e646572");
const Bytes kSid = hex("7e4b4791d6a8ef019b936c79fb7f2c57");
const Bytes kAda = Bytes{'A', 'D', 'a'};
const Bytes kAdb = Bytes{'A', 'D', 'b'};
// B.3.2 - B.3.8.
constexpr std::string_view kG = "222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56";
constexpr std::string_view kYa = "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08";
constexpr std::string_view kYaPub =
    "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157";
constexpr std::string_view kYb = "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d";
constexpr std::string_view kYbPub =
    "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258";
constexpr std::string_view kK = "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f";
constexpr std::string_view kIskIr =
    "b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd"
    "2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447";

TEST(Cpace, GeneratorStringVector) {
  // B.3.1: ZPAD length 100, 170 bytes in all.
  Bytes gen = generator_string(as_bytes(kDsi), kPrs, kCi, kSid, kHashBlockLen);
  EXPECT_EQ(to_hex(gen),
            "11435061636552697374726574746f3235350850617373776f726464" + std::string(200, '0') +
                "180b415f696e69746961746f720b425f726573706f6e646572107e4b4791d6a8ef019b936c79"
                "fb7f2c57");
  EXPECT_EQ(gen.size(), 170u);
  std::array<uint8_t, 64> h{};
  crypto_hash_sha512(h.data(), gen.data(), gen.size());
  EXPECT_EQ(to_hex(h),
            "da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288b6663af0"
            "6bf645c93cd1c51512307199c80e84908916d983b34af77205f90851a657ee27");
  // A code too long for the first block gets no padding at all.
  EXPECT_EQ(generator_string(as_bytes(kDsi), Bytes(200, 'x'), {}, {}, kHashBlockLen).size(),
            1 + 17 + 2 + 200 + 1 + 1 + 1);
}

TEST(Cpace, GeneratorVector) {
  auto g = calculate_generator(kPrs, kCi, kSid);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(to_hex(*g), kG);
}

TEST(Cpace, MessagesAndSharedPointVectors) {
  // B.3.2, B.3.3 and B.3.4.
  Point g = point(kG);
  auto ya = scalar_mult(scalar(kYa), g);
  auto yb = scalar_mult(scalar(kYb), g);
  ASSERT_TRUE(ya.ok() && yb.ok());
  EXPECT_EQ(to_hex(*ya), kYaPub);
  EXPECT_EQ(to_hex(*yb), kYbPub);
  auto ka = scalar_mult_vfy(scalar(kYa), *yb);
  auto kb = scalar_mult_vfy(scalar(kYb), *ya);
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(to_hex(*ka), kK);
  EXPECT_EQ(to_hex(*kb), kK);
}

TEST(Cpace, IskVectors) {
  Bytes ya = hex(kYaPub), yb = hex(kYbPub);
  // B.3.5, initiator-responder.
  Bytes ir = transcript_ir(ya, kAda, yb, kAdb);
  EXPECT_EQ(to_hex(ir),
            "20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157034144612"
            "03ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f725803414462");
  EXPECT_EQ(to_hex(as_bytes(kDsiIsk)), "435061636552697374726574746f3235355f49534b");
  EXPECT_EQ(to_hex(derive_isk(kSid, point(kK), ir).view()), kIskIr);
  // B.3.6, the ordered (symmetric) transcript.
  Bytes oc = transcript_oc(ya, kAda, yb, kAdb);
  EXPECT_EQ(to_hex(oc),
            "6f6320d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b915703414461"
            "203ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f725803414462");
  EXPECT_EQ(to_hex(derive_isk(kSid, point(kK), oc).view()),
            "544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969d0e5debb"
            "2244675c0b43397cbb68d342b01fc0f98fc961469a25134de9f0f813c1a57476");
  // B.3.7, the optional session id output.
  EXPECT_EQ(to_hex(sid_output(ir)),
            "bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60b2a27c21"
            "9813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b8611dcdfab880c47");
  EXPECT_EQ(to_hex(sid_output(oc)),
            "10d5941d4933497fe31b9188d690b84465e2a2d158332a7267284a071a8d0876"
            "fc5c8c329dc735d59a9f8ef6623ee23924704a2f929dd631ca981227ee82fff2");
}

TEST(Cpace, TwoPartiesReproduceTheVectors) {
  // The whole run of B.3 through the two-party API, both sides.
  auto a = Cpace::start_with_scalar(Role::initiator, kPrs, kCi, kSid, kAda, scalar(kYa));
  auto b = Cpace::start_with_scalar(Role::responder, kPrs, kCi, kSid, kAdb, scalar(kYb));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(to_hex(a->message), kYaPub);
  EXPECT_EQ(to_hex(b->message), kYbPub);
  EXPECT_EQ(a->state.message(), a->message);
  auto isk_a = a->state.finish(b->message, kAdb);
  auto isk_b = b->state.finish(a->message, kAda);
  ASSERT_TRUE(isk_a.ok() && isk_b.ok());
  EXPECT_EQ(to_hex(isk_a->view()), kIskIr);
  EXPECT_EQ(to_hex(isk_b->view()), kIskIr);
}

TEST(Cpace, ValidScalarMultVector) {
  // B.3.10.
  Scalar s = scalar("7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05");
  Point x = point("2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c");
  constexpr std::string_view want =
      "7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e";
  auto m = scalar_mult(s, x);
  auto v = scalar_mult_vfy(s, x);
  ASSERT_TRUE(m.ok() && v.ok());
  EXPECT_EQ(to_hex(*m), want);
  EXPECT_EQ(to_hex(*v), want);
}

TEST(Cpace, InvalidScalarMultVfyVectors) {
  // B.3.11: where the draft's scalar_mult_vfy returns G.I, ours refuses.
  Scalar s = scalar("7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05");
  EXPECT_EQ(code(scalar_mult_vfy(
                s, hex("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"))),
            Errc::bad_key);
  EXPECT_EQ(code(scalar_mult_vfy(s, Bytes(32, 0))), Errc::bad_key);
}

TEST(Cpace, Rfc9496InvalidEncodingsAreRefused) {
  // RFC 9496 appendix A.2, in its order: non-canonical field encodings,
  // negative field elements, non-square x^2, negative x*y, and s = -1.
  const char* bad[] = {
      "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
      "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
      "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
      "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
      "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
      "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
      "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
      "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
      "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
      "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
      "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
      "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
      "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
      "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
      "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
      "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
      "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
      "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
      "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
      "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
      "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
      "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  Scalar s = scalar(kYa);
  for (const char* h : bad) EXPECT_EQ(code(scalar_mult_vfy(s, hex(h))), Errc::bad_key) << h;
  // A valid element with bit 255 set is a value >= p, so RFC 9496's decode
  // fails (libsodium 1.0.18 alone would accept it as a second encoding of
  // the element). The same for zero, the identity's canonical encoding.
  Bytes high = hex(kYbPub);
  high[31] |= 0x80;
  EXPECT_EQ(code(scalar_mult_vfy(s, high)), Errc::bad_key);
  Bytes zero_high(32, 0);
  zero_high[31] = 0x80;
  EXPECT_EQ(code(scalar_mult_vfy(s, zero_high)), Errc::bad_key);
}

TEST(Cpace, WrongLengthsAreRefused) {
  Scalar s = scalar(kYa);
  Bytes yb = hex(kYbPub);
  for (size_t n : {0, 1, 31, 33, 64}) {
    Bytes m(n, 0);
    std::copy_n(yb.begin(), std::min(n, yb.size()), m.begin());
    EXPECT_EQ(code(scalar_mult_vfy(s, m)), Errc::bad_key) << n;
  }
  EXPECT_EQ(code(Scalar::from(Bytes(31, 1))), Errc::bad_key);
  EXPECT_EQ(code(Scalar::from(Bytes(33, 1))), Errc::bad_key);
}

TEST(Cpace, ScalarsAreTakenModuloTheOrder) {
  // ya + l (l = 2^252 + 27742317777372353535851937790883648493, little
  // endian below) must act as ya; zero and l itself are refused because
  // they give the identity.
  Bytes l = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  Bytes ya = hex(kYa), sum(32);
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    unsigned v = ya[i] + l[i] + carry;
    sum[i] = static_cast<uint8_t>(v);
    carry = v >> 8;
  }
  ASSERT_EQ(carry, 0u);
  auto m = scalar_mult(Scalar::from(sum).value(), point(kG));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(to_hex(*m), kYaPub);
  EXPECT_EQ(code(scalar_mult(Scalar::from(Bytes(32, 0)).value(), point(kG))), Errc::bad_key);
  EXPECT_EQ(code(scalar_mult(Scalar::from(l).value(), point(kG))), Errc::bad_key);
}

TEST(Cpace, SampleScalarUsesTheRngAndClearsTheTopBits) {
  // An Rng that yields zeros first: the all-zero draw is replaced.
  class ZerosThenOnes : public Rng {
   public:
    int calls = 0;
    void fill(std::span<uint8_t> out) override {
      std::fill(out.begin(), out.end(), calls++ == 0 ? 0x00 : 0xff);
    }
  } rng;
  Scalar y = sample_scalar(rng);
  EXPECT_EQ(rng.calls, 2);
  EXPECT_EQ(y.bytes[31], 0x0f);
  EXPECT_EQ(y.bytes[0], 0xff);
  TestRng r1(7), r2(7);
  EXPECT_EQ(sample_scalar(r1).bytes, sample_scalar(r2).bytes);
}

// ---- Two parties ----

struct Outcome {
  Result<Isk> a, b;
};

// One run with the given views of each side.
Outcome run(ByteView prs_a, ByteView prs_b, ByteView ci_a, ByteView ci_b, ByteView sid_a,
        ByteView sid_b, uint64_t seed = 1) {
  TestRng rng(seed);
  auto a = Cpace::start(Role::initiator, prs_a, ci_a, sid_a, kAda, rng);
  auto b = Cpace::start(Role::responder, prs_b, ci_b, sid_b, kAdb, rng);
  EXPECT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->message, b->message);
  return Outcome{a->state.finish(b->message, kAdb), b->state.finish(a->message, kAda)};
}

TEST(Cpace, BothSidesDeriveTheSameIsk) {
  for (uint64_t seed : {1, 2, 3}) {
    Outcome r = run(kPrs, kPrs, kCi, kCi, kSid, kSid, seed);
    ASSERT_TRUE(r.a.ok() && r.b.ok());
    EXPECT_EQ(r.a->bytes, r.b->bytes);
  }
  // Empty CI and sid are allowed (the draft's defaults).
  Outcome r = run(kPrs, kPrs, {}, {}, {}, {});
  ASSERT_TRUE(r.a.ok() && r.b.ok());
  EXPECT_EQ(r.a->bytes, r.b->bytes);
}

TEST(Cpace, DifferentInputsGiveDifferentIsks) {
  auto differ = [](const Outcome& r) {
    ASSERT_TRUE(r.a.ok() && r.b.ok());
    EXPECT_NE(r.a->bytes, r.b->bytes);
  };
  differ(run(as_bytes("123-456"), as_bytes("123-457"), kCi, kCi, kSid, kSid));
  Bytes ci2 = kCi;
  ci2.back() ^= 1;
  differ(run(kPrs, kPrs, kCi, ci2, kSid, kSid));
  Bytes sid2 = kSid;
  sid2[0] ^= 1;
  differ(run(kPrs, kPrs, kCi, kCi, kSid, sid2));
}

TEST(Cpace, AssociatedDataIsAuthenticated) {
  TestRng rng(5);
  auto a = Cpace::start(Role::initiator, kPrs, kCi, kSid, kAda, rng);
  auto b = Cpace::start(Role::responder, kPrs, kCi, kSid, kAdb, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  auto isk_a = a->state.finish(b->message, as_bytes("ADB"));  // altered in transit
  auto isk_b = b->state.finish(a->message, kAda);
  ASSERT_TRUE(isk_a.ok() && isk_b.ok());
  EXPECT_NE(isk_a->bytes, isk_b->bytes);
}

TEST(Cpace, TamperedMessagesAreRefused) {
  TestRng rng(9);
  std::vector<Bytes> tampered = {
      Bytes(32, 0),                                                              // identity
      hex("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"),  // B.3.11
      Bytes(32, 0xff),                                                           // garbage
      Bytes(31, 7),                                                              // too short
      Bytes(33, 7),                                                              // too long
      {},                                                                        // empty
  };
  for (const Bytes& m : tampered) {
    auto a = Cpace::start(Role::initiator, kPrs, kCi, kSid, kAda, rng);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(code(a->state.finish(m, kAdb)), Errc::bad_key) << to_hex(m);
    // The run is over: no second attempt with a better message.
    EXPECT_TRUE(a->state.finished());
    auto b = Cpace::start(Role::responder, kPrs, kCi, kSid, kAdb, rng);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(code(a->state.finish(b->message, kAdb)), Errc::invalid_state);
  }
  // A flipped bit either fails to decode or yields a different key.
  auto a = Cpace::start(Role::initiator, kPrs, kCi, kSid, kAda, rng);
  auto b = Cpace::start(Role::responder, kPrs, kCi, kSid, kAdb, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  Bytes flipped(b->message.begin(), b->message.end());
  flipped[3] ^= 0x10;
  auto isk_a = a->state.finish(flipped, kAdb);
  auto isk_b = b->state.finish(a->message, kAda);
  ASSERT_TRUE(isk_b.ok());
  if (isk_a.ok()) {
    EXPECT_NE(isk_a->bytes, isk_b->bytes);
  } else {
    EXPECT_EQ(isk_a.error().code, Errc::bad_key);
  }
}

TEST(Cpace, FinishesOnceAndMovesLeaveNothingBehind) {
  TestRng rng(11);
  auto a = Cpace::start(Role::initiator, kPrs, kCi, kSid, kAda, rng);
  auto b = Cpace::start(Role::responder, kPrs, kCi, kSid, kAdb, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  Cpace moved = std::move(a->state);
  EXPECT_TRUE(a->state.finished());
  EXPECT_EQ(code(a->state.finish(b->message, kAdb)), Errc::invalid_state);
  EXPECT_EQ(moved.role(), Role::initiator);
  auto isk = moved.finish(b->message, kAdb);
  ASSERT_TRUE(isk.ok());
  EXPECT_EQ(code(moved.finish(b->message, kAdb)), Errc::invalid_state);
  auto isk_b = b->state.finish(moved.message(), kAda);
  ASSERT_TRUE(isk_b.ok());
  EXPECT_EQ(isk->bytes, isk_b->bytes);
}

}  // namespace
}  // namespace peernet::pairing
