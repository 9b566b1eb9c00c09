// CipherState (Noise spec rev 34 §5.1, §11.3).
#include "proto/noise/cipher_state.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace peernet::noise {
namespace {

template <class T>
std::optional<Errc> code(const Result<T>& r) {
  return r.ok() ? std::nullopt : std::optional<Errc>(r.error().code);
}

const Bytes kKey(32, 0x42);
const Bytes kAd = {1, 2, 3};

// A pair of cipher states with the same key, as two peers hold after Split.
struct Pair {
  CipherState tx, rx;
  Pair() {
    EXPECT_TRUE(tx.initialize_key(kKey).ok());
    EXPECT_TRUE(rx.initialize_key(kKey).ok());
  }
};

TEST(NoiseCipherState, WithoutKeyDataPassesThrough) {
  CipherState cs;
  EXPECT_FALSE(cs.has_key());
  auto ct = cs.encrypt_with_ad(kAd, as_bytes("hello"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(as_chars(*ct), "hello");
  EXPECT_EQ(cs.nonce(), 0u);
  auto pt = cs.decrypt_with_ad(kAd, as_bytes("hello"));
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(as_chars(*pt), "hello");
  EXPECT_EQ(code(cs.rekey()), Errc::invalid_state);
}

TEST(NoiseCipherState, MatchesEncryptWithTheCounterNonce) {
  // EncryptWithAd is ENCRYPT(k, n++, ad, plaintext).
  CipherState cs;
  ASSERT_TRUE(cs.initialize_key(kKey).ok());
  cs.set_nonce(7);
  auto ct = cs.encrypt_with_ad(kAd, as_bytes("payload"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(*ct, encrypt(kKey, 7, kAd, as_bytes("payload")).value());
  EXPECT_EQ(cs.nonce(), 8u);
  EXPECT_EQ(ct->size(), 7 + kTagLen);
}

TEST(NoiseCipherState, RoundTripAdvancesBothNonces) {
  Pair p;
  for (int i = 0; i < 3; ++i) {
    auto ct = p.tx.encrypt_with_ad(kAd, as_bytes("msg"));
    ASSERT_TRUE(ct.ok());
    auto pt = p.rx.decrypt_with_ad(kAd, *ct);
    ASSERT_TRUE(pt.ok());
    EXPECT_EQ(as_chars(*pt), "msg");
  }
  EXPECT_EQ(p.tx.nonce(), 3u);
  EXPECT_EQ(p.rx.nonce(), 3u);
}

TEST(NoiseCipherState, CallerBufferInPlace) {
  Pair p;
  Bytes buf(5 + kTagLen);
  std::copy_n(as_bytes("hello").begin(), 5, buf.begin());
  auto n = p.tx.encrypt_with_ad(kAd, ByteView(buf).first(5), buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5 + kTagLen);
  auto m = p.rx.decrypt_with_ad(kAd, buf, buf);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(as_chars(ByteView(buf).first(*m)), "hello");

  // An output buffer without room for the tag is refused, nonce untouched.
  Bytes small(5 + kTagLen - 1);
  EXPECT_EQ(code(p.tx.encrypt_with_ad(kAd, as_bytes("hello"), small)), Errc::internal);
  EXPECT_EQ(p.tx.nonce(), 1u);
}

TEST(NoiseCipherState, FailedDecryptDoesNotAdvanceTheNonce) {
  Pair p;
  auto ct = p.tx.encrypt_with_ad(kAd, as_bytes("first")).value();
  Bytes bad = ct;
  bad.back() ^= 0x80;
  EXPECT_EQ(code(p.rx.decrypt_with_ad(kAd, bad)), Errc::decrypt_failed);
  EXPECT_EQ(code(p.rx.decrypt_with_ad(kAd, ByteView(ct).first(10))), Errc::decrypt_failed);
  EXPECT_EQ(code(p.rx.decrypt_with_ad({}, ct)), Errc::decrypt_failed);
  EXPECT_EQ(p.rx.nonce(), 0u);
  // The genuine message still decrypts at nonce 0.
  auto pt = p.rx.decrypt_with_ad(kAd, ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(as_chars(*pt), "first");
  EXPECT_EQ(p.rx.nonce(), 1u);
}

TEST(NoiseCipherState, NonceExhaustion) {
  // 2^64-1 is reserved (§5.1): 2^64-2 is the last usable nonce.
  Pair p;
  p.tx.set_nonce(kMaxNonce - 1);
  p.rx.set_nonce(kMaxNonce - 1);
  auto ct = p.tx.encrypt_with_ad(kAd, as_bytes("last"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(p.tx.nonce(), kMaxNonce);
  ASSERT_TRUE(p.rx.decrypt_with_ad(kAd, *ct).ok());
  EXPECT_EQ(p.rx.nonce(), kMaxNonce);

  // Nothing more, in either direction, and the nonce never wraps.
  EXPECT_EQ(code(p.tx.encrypt_with_ad(kAd, as_bytes("more"))), Errc::nonce_exhausted);
  EXPECT_EQ(code(p.rx.decrypt_with_ad(kAd, *ct)), Errc::nonce_exhausted);
  EXPECT_EQ(p.tx.nonce(), kMaxNonce);

  CipherState fresh;
  ASSERT_TRUE(fresh.initialize_key(kKey).ok());
  fresh.set_nonce(kMaxNonce);
  EXPECT_EQ(code(fresh.encrypt_with_ad({}, {})), Errc::nonce_exhausted);
}

TEST(NoiseCipherState, RekeyIsTheSpecFunction) {
  // REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes).
  Bytes expected_key = encrypt(kKey, kMaxNonce, {}, Bytes(32, 0)).value();
  expected_key.resize(32);
  ASSERT_NE(expected_key, kKey);

  CipherState cs;
  ASSERT_TRUE(cs.initialize_key(kKey).ok());
  cs.set_nonce(5);
  ASSERT_TRUE(cs.rekey().ok());
  EXPECT_EQ(cs.nonce(), 5u);  // Rekey leaves n alone
  auto ct = cs.encrypt_with_ad(kAd, as_bytes("after rekey"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(*ct, encrypt(expected_key, 5, kAd, as_bytes("after rekey")).value());
}

TEST(NoiseCipherState, RekeyKeepsBothSidesInSync) {
  Pair p;
  auto before = p.tx.encrypt_with_ad(kAd, as_bytes("m0")).value();
  ASSERT_TRUE(p.rx.decrypt_with_ad(kAd, before).ok());

  ASSERT_TRUE(p.tx.rekey().ok());
  auto after = p.tx.encrypt_with_ad(kAd, as_bytes("m1")).value();
  // The receiver has not rekeyed yet: the new key does not authenticate.
  EXPECT_EQ(code(p.rx.decrypt_with_ad(kAd, after)), Errc::decrypt_failed);
  ASSERT_TRUE(p.rx.rekey().ok());
  auto pt = p.rx.decrypt_with_ad(kAd, after);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(as_chars(*pt), "m1");

  // A second rekey derives yet another key, still in step.
  ASSERT_TRUE(p.tx.rekey().ok());
  ASSERT_TRUE(p.rx.rekey().ok());
  auto m2 = p.tx.encrypt_with_ad(kAd, as_bytes("m2")).value();
  EXPECT_TRUE(p.rx.decrypt_with_ad(kAd, m2).ok());
}

TEST(NoiseCipherState, MoveAndClone) {
  CipherState a;
  ASSERT_TRUE(a.initialize_key(kKey).ok());
  a.set_nonce(3);
  auto copy = a.clone();
  ASSERT_TRUE(copy.ok());
  CipherState b = std::move(a);
  EXPECT_FALSE(a.has_key());  // NOLINT(bugprone-use-after-move): moved-from is keyless
  EXPECT_EQ(a.nonce(), 0u);   // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.has_key());
  EXPECT_EQ(b.nonce(), 3u);
  // The clone is independent and produces the same ciphertext.
  auto x = b.encrypt_with_ad(kAd, as_bytes("z")).value();
  auto y = copy->encrypt_with_ad(kAd, as_bytes("z")).value();
  EXPECT_EQ(x, y);
  EXPECT_EQ(code(a.initialize_key(Bytes(16))), Errc::bad_key);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace peernet::noise
