// Known answers for the Noise crypto functions (spec rev 34 §4, §12).
#include "proto/noise/crypto.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace peernet::noise {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }

// The error code of a failed result, nullopt on success.
template <class T>
std::optional<Errc> code(const Result<T>& r) {
  return r.ok() ? std::nullopt : std::optional<Errc>(r.error().code);
}

TEST(NoiseCrypto, Sha256KnownAnswer) {
  // FIPS 180-2 appendix B.1.
  auto d = hash({as_bytes("abc")});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(to_hex(*d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // HASH over several parts is HASH of their concatenation (MixHash).
  auto parts = hash({as_bytes("a"), as_bytes(""), as_bytes("bc")});
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(*parts, *d);
}

TEST(NoiseCrypto, HmacSha256Rfc4231) {
  // RFC 4231 §4.2 (test case 1) and §4.3 (test case 2).
  auto tc1 = hmac_hash(Bytes(20, 0x0b), as_bytes("Hi There"));
  ASSERT_TRUE(tc1.ok());
  EXPECT_EQ(to_hex(*tc1), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  auto tc2 = hmac_hash(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"));
  ASSERT_TRUE(tc2.ok());
  EXPECT_EQ(to_hex(*tc2), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(NoiseCrypto, HkdfMatchesRfc5869) {
  // Noise's HKDF is RFC 5869 HKDF with salt = chaining_key and empty info
  // (§4.3). RFC 5869 test case 3 has an empty salt, which HMAC pads to the
  // same key as 32 zero bytes; its 42-byte OKM is output1 || output2[0..10).
  Digest ck{};
  std::array<Digest, 2> two;
  ASSERT_TRUE(hkdf(ck, Bytes(22, 0x0b), two).ok());
  std::string okm = to_hex(two[0]) + to_hex(two[1]);
  EXPECT_EQ(okm.substr(0, 84),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");

  // Three outputs: the first two are unchanged and the third is T(3) of
  // the same expansion (computed with Python's hmac module).
  std::array<Digest, 3> three;
  ASSERT_TRUE(hkdf(ck, Bytes(22, 0x0b), three).ok());
  EXPECT_EQ(three[0], two[0]);
  EXPECT_EQ(three[1], two[1]);
  EXPECT_EQ(to_hex(three[2]), "36def6dc129c29271a0eb7ab14bd2ca88259f8a3a92ac2ec0e3e4fa046a4b90b");

  std::array<Digest, 4> four;
  EXPECT_FALSE(hkdf(ck, {}, four).ok());
}

// RFC 8439 Appendix A.5. Its nonce, 00000000 0102030405060708, is already
// in Noise's form (§12.3: 32 zero bits, then n little-endian), so n is
// 0x0807060504030201. (The §2.8.2 example's nonce starts 07000000, which no
// Noise counter produces.)
constexpr uint64_t kA5Nonce = 0x0807060504030201;
const char* kA5Key = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
const char* kA5Ad = "f33388860000000000004e91";
const char* kA5Plaintext =
    "Internet-Drafts are draft documents valid for a maximum of six months and may be "
    "updated, replaced, or obsoleted by other documents at any time. It is inappropriate to "
    "use Internet-Drafts as reference material or to cite them other than as "
    "/\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
const char* kA5Ciphertext =
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e38"
    "2d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f9"
    "82b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d"
    "46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04"
    "b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049"
    "e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b";
const char* kA5Tag = "eead9d67890cbb22392336fea1851f38";

TEST(NoiseCrypto, ChaChaPolyRfc8439A5) {
  Bytes sealed = hex(std::string(kA5Ciphertext) + kA5Tag);
  auto ct = encrypt(hex(kA5Key), kA5Nonce, hex(kA5Ad), as_bytes(kA5Plaintext));
  ASSERT_TRUE(ct.ok()) << ct.error().describe();
  EXPECT_EQ(to_hex(*ct), to_hex(sealed));

  auto pt = decrypt(hex(kA5Key), kA5Nonce, hex(kA5Ad), sealed);
  ASSERT_TRUE(pt.ok()) << pt.error().describe();
  EXPECT_EQ(as_chars(*pt), kA5Plaintext);
}

TEST(NoiseCrypto, ChaChaPolyRejectsTamperingAndWipesOutput) {
  Bytes sealed = hex(std::string(kA5Ciphertext) + kA5Tag);
  ChaChaPoly aead;
  ASSERT_TRUE(aead.set_key(hex(kA5Key)).ok());
  Bytes out(sealed.size() - kTagLen, 0xee);

  Bytes flipped = sealed;
  flipped[7] ^= 0x01;
  auto r = aead.decrypt(kA5Nonce, hex(kA5Ad), flipped, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::decrypt_failed);
  EXPECT_EQ(out, Bytes(out.size(), 0));  // no unauthenticated plaintext left

  // Wrong nonce, wrong ad, and a truncated message all fail to authenticate.
  EXPECT_EQ(code(aead.decrypt(kA5Nonce + 1, hex(kA5Ad), sealed, out)), Errc::decrypt_failed);
  EXPECT_EQ(code(aead.decrypt(kA5Nonce, {}, sealed, out)), Errc::decrypt_failed);
  EXPECT_EQ(code(aead.decrypt(kA5Nonce, hex(kA5Ad), ByteView(sealed).first(15), out)),
            Errc::decrypt_failed);

  // The context is reusable after a failure.
  auto ok = aead.decrypt(kA5Nonce, hex(kA5Ad), sealed, out);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(as_chars(ByteView(out).first(*ok)), kA5Plaintext);
}

TEST(NoiseCrypto, ChaChaPolyInPlace) {
  ChaChaPoly aead;
  ASSERT_TRUE(aead.set_key(hex(kA5Key)).ok());
  std::string text = kA5Plaintext;
  Bytes buf(text.size() + kTagLen);
  std::copy(text.begin(), text.end(), buf.begin());

  auto n = aead.encrypt(kA5Nonce, hex(kA5Ad), ByteView(buf).first(text.size()), buf);
  ASSERT_TRUE(n.ok()) << n.error().describe();
  EXPECT_EQ(to_hex(buf), std::string(kA5Ciphertext) + kA5Tag);

  auto m = aead.decrypt(kA5Nonce, hex(kA5Ad), buf, buf);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  EXPECT_EQ(as_chars(ByteView(buf).first(*m)), text);
}

TEST(NoiseCrypto, ChaChaPolyRefusesMisuse) {
  ChaChaPoly aead;
  Bytes buf(64);
  EXPECT_EQ(code(aead.encrypt(0, {}, ByteView(buf).first(8), buf)), Errc::invalid_state);
  EXPECT_EQ(code(aead.set_key(Bytes(31))), Errc::bad_key);
  ASSERT_TRUE(aead.set_key(Bytes(32, 1)).ok());
  // Output too small for plaintext + tag.
  Bytes small(8 + kTagLen - 1);
  EXPECT_EQ(code(aead.encrypt(0, {}, ByteView(buf).first(8), small)), Errc::internal);
  // Shifted overlap between input and output.
  EXPECT_EQ(code(aead.encrypt(0, {}, ByteView(buf).first(8), MutableByteView(buf).subspan(4))),
            Errc::internal);
}

}  // namespace
}  // namespace peernet::noise
