#include "proto/identity.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "proto/secret_file.hpp"
#include "../temp_dir.hpp"

namespace peernet {
namespace {

// RFC 7748 §6.1: Alice's private key and the public key it derives.
constexpr std::string_view kAlicePriv =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePub =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

// A deterministic generator: byte i of the stream is seed + i.
class CountingRng : public Rng {
 public:
  explicit CountingRng(uint8_t seed) : next_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  uint8_t next_;
};

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
                                  "PEERNET-IDENTITY-1 " + key + " " + key}) {
    std::string msg = error_of(text);
    EXPECT_EQ(msg.find(key.substr(0, 16)), std::string::npos) << msg;
  }
}

// Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
class IdentityStore : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()) << dir_.error(); }
  std::string path(const std::string& name) const { return dir_.path(name); }
  static std::string contents(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  peernet::testing::TempDir dir_{"identity"};
};

TEST_F(IdentityStore, CreatesThenLoadsTheSameKeys) {
  const std::string p = path("identity");
  CountingRng rng(1);
  bool created = false;
  auto first = load_or_create_identity(p, rng, &created);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_TRUE(created);

  // The key is the generator's, with its public half derived.
  CountingRng same(1);
  KeyPair expected = generate_keypair(same);
  EXPECT_EQ(first->priv.bytes, expected.priv.bytes);
  EXPECT_EQ(first->pub, expected.pub);

  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(contents(p), encode_identity_file(expected));

  auto loaded = load_identity(p);
  ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
  EXPECT_EQ(loaded->priv.bytes, expected.priv.bytes);
  EXPECT_EQ(loaded->pub, expected.pub);

  // A second start loads; it neither draws randomness nor rewrites the file.
  CountingRng other(99);
  auto again = load_or_create_identity(p, other, &created);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_FALSE(created);
  EXPECT_EQ(again->pub, expected.pub);
  struct stat st2 {};
  ASSERT_EQ(::stat(p.c_str(), &st2), 0);
  EXPECT_EQ(st2.st_ino, st.st_ino);
}

TEST_F(IdentityStore, MissingDirectoryIsAClearError) {
  CountingRng rng(1);
  bool created = true;
  const std::string p = path("state/identity");
  auto r = load_or_create_identity(p, rng, &created);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_error);
  EXPECT_EQ(r.error().message, "creating a new identity failed: cannot write " + p +
                                   ": directory " + path("state") + " does not exist");
  EXPECT_FALSE(created);
  EXPECT_FALSE(std::filesystem::exists(path("state")));
}

TEST_F(IdentityStore, RefusesAGroupReadableFileAndKeepsIt) {
  const std::string p = path("identity");
  CountingRng rng(1);
  ASSERT_TRUE(load_or_create_identity(p, rng).ok());
  const std::string before = contents(p);
  ASSERT_EQ(::chmod(p.c_str(), 0640), 0);

  auto r = load_identity(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::insecure_file);
  EXPECT_EQ(r.error().message,
            p + " is readable or writable by group/others (mode 0640); run: chmod 600 " + p);

  // An unreadable identity must never be replaced by a fresh one: that
  // would silently change this peer's address.
  bool created = true;
  auto again = load_or_create_identity(p, rng, &created);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::insecure_file);
  EXPECT_FALSE(created);
  EXPECT_EQ(contents(p), before);
}

TEST_F(IdentityStore, MalformedFileNamesPathAndLineAndIsKept) {
  const std::string p = path("identity");
  const std::string text = "# mine\nPEERNET-IDENTITY-1 abcd\n";
  ASSERT_TRUE(write_file_atomic(p, as_bytes(text)).ok());
  auto r = load_identity(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::bad_key);
  EXPECT_EQ(r.error().message, p + ": line 2: the private key must be 64 hex digits, got 4");

  CountingRng rng(1);
  auto again = load_or_create_identity(p, rng);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::bad_key);
  EXPECT_EQ(contents(p), text);
}

}  // namespace
}  // namespace peernet
