#include "proto/identity.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "../counting_rng.hpp"

namespace peernet {
namespace {

// RFC 7748 §6.1: Alice's private key and the public key it derives.
constexpr std::string_view kAlicePriv =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePub =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

using testing::CountingRng;

std::string key_line(std::string_view hex) { return "PEERNET-IDENTITY-1 " + std::string(hex) + "\n"; }

std::string error_of(std::string_view text) {
  auto r = decode_identity_file(text);
  if (r.ok()) return "(decoded)";
  EXPECT_EQ(r.error().code, Errc::bad_key);
  return r.error().message;
}

TEST(IdentityFile, EncodesTheDocumentedFormat) {
  auto kp = keypair_from_private(from_hex(kAlicePriv).value()).value();
  EXPECT_EQ(encode_identity_file(kp),
            "# peernetd identity: the private key of this peer. Keep it secret.\n"
            "PEERNET-IDENTITY-1 " + std::string(kAlicePriv) + "\n");
}

TEST(IdentityFile, DecodeDerivesThePublicKey) {
  auto kp = decode_identity_file(key_line(kAlicePriv));
  ASSERT_TRUE(kp.ok()) << kp.error().describe();
  EXPECT_EQ(to_hex(kp->priv.view()), kAlicePriv);
  EXPECT_EQ(to_hex(kp->pub.view()), kAlicePub);
}

TEST(IdentityFile, RoundTrips) {
  CountingRng rng(7);
  for (int i = 0; i < 20; ++i) {
    KeyPair kp = generate_keypair(rng);
    auto back = decode_identity_file(encode_identity_file(kp));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back->priv.bytes, kp.priv.bytes);
    EXPECT_EQ(back->pub, kp.pub);
  }
}

TEST(IdentityFile, ToleratesCommentsBlankLinesAndLayout) {
  std::string upper(kAlicePriv);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string variants[] = {
      "# a comment\n\n   \n" + key_line(kAlicePriv) + "# trailing comment\n\n",
      "PEERNET-IDENTITY-1 " + std::string(kAlicePriv),  // no final newline
      "# edited on Windows\r\nPEERNET-IDENTITY-1 " + std::string(kAlicePriv) + "\r\n",
      "  PEERNET-IDENTITY-1\t  " + upper + "  \t\n",
      "\t# indented comment\n" + key_line(kAlicePriv),
  };
  for (const auto& text : variants) {
    auto kp = decode_identity_file(text);
    ASSERT_TRUE(kp.ok()) << text << ": " << kp.error().describe();
    EXPECT_EQ(to_hex(kp->pub.view()), kAlicePub);
  }
}

TEST(IdentityFile, MalformedFilesNameTheLine) {
  const std::string key(kAlicePriv);
  // Wrong header: another version, and something else entirely.
  EXPECT_EQ(error_of("# c\nPEERNET-IDENTITY-2 " + key + "\n"),
            "line 2: unsupported identity file version 'PEERNET-IDENTITY-2'; this peernetd "
            "reads PEERNET-IDENTITY-1");
  EXPECT_EQ(error_of("-----BEGIN PRIVATE KEY-----\n"),
            "line 1: expected a comment or 'PEERNET-IDENTITY-1 <64 hex digits of the private key>'");
  EXPECT_EQ(error_of("PEERNET-IDENTITY-1x " + key + "\n"),
            "line 1: unsupported identity file version 'PEERNET-IDENTITY-1x'; this peernetd "
            "reads PEERNET-IDENTITY-1");
  EXPECT_EQ(error_of("PEERNET-IDENTITY-1" + key + "\n"),
            "line 1: unsupported identity file version (PEERNET-IDENTITY- followed by 65 "
            "characters); this peernetd reads PEERNET-IDENTITY-1");
  // Bad hex: column counted in the line as written.
  std::string bad_hex = key;
  bad_hex[10] = 'g';
  EXPECT_EQ(error_of("\n" + key_line(bad_hex)),
            "line 2: the private key must be hex digits; column 30 is not one");
  // Wrong lengths.
  EXPECT_EQ(error_of(key_line(key.substr(2))),
            "line 1: the private key must be 64 hex digits, got 62");
  EXPECT_EQ(error_of(key_line(key + "00")),
            "line 1: the private key must be 64 hex digits, got 66");
  EXPECT_EQ(error_of("PEERNET-IDENTITY-1\n"), "line 1: PEERNET-IDENTITY-1 is not followed by a key");
  EXPECT_EQ(error_of("PEERNET-IDENTITY-1 " + key + " extra\n"),
            "line 1: unexpected text after the key at column 85");
  // Two key lines, even identical ones.
  EXPECT_EQ(error_of("# c\n" + key_line(key) + "\n" + key_line(key)),
            "line 4: a second PEERNET-IDENTITY-1 line (the first is line 2); an identity file "
            "holds exactly one key");
  // No key at all.
  const std::string none =
      "no PEERNET-IDENTITY-1 line; expected 'PEERNET-IDENTITY-1 <64 hex digits of the private "
      "key>'";
  EXPECT_EQ(error_of(""), none);
  EXPECT_EQ(error_of("# only a comment\n\n"), none);
}

TEST(IdentityFile, MessagesNeverQuoteKeyMaterial) {
  const std::string key(kAlicePriv);
  for (const std::string& text : {key + "\n", key_line(key) + key_line(key), key_line(key + "0"),
                                  "PEERNET-IDENTITY-1 " + key + " " + key,
                                  // The space after the tag forgotten, or the version too.
                                  "PEERNET-IDENTITY-1" + key + "\n", "PEERNET-IDENTITY-" + key}) {
    std::string msg = error_of(text);
    EXPECT_EQ(msg.find(key.substr(0, 16)), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace peernet
