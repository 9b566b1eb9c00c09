#include "proto/keys.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

// RFC 7748 §6.1 test vector.
TEST(Keys, Rfc7748DiffieHellman) {
  auto a = keypair_from_private(
      from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a").value());
  auto b = keypair_from_private(
      from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb").value());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(to_hex(a->pub.view()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(b->pub.view()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto s1 = x25519(a->priv, b->pub), s2 = x25519(b->priv, a->pub);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(to_hex(*s1), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(*s1, *s2);
}

TEST(Keys, LowOrderPointRejected) {
  auto a = keypair_from_private(Bytes(32, 0x42)).value();
  PublicKey zero{};
  auto s = x25519(a.priv, zero);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::bad_key);
}

TEST(Keys, WrongLengthsRejected) {
  EXPECT_FALSE(keypair_from_private(Bytes(31)).ok());
  EXPECT_FALSE(PublicKey::from(Bytes(33)).ok());
}

}  // namespace
}  // namespace peernet
