#include "store/identity_file.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../../counting_rng.hpp"
#include "../../temp_dir.hpp"
#include "store/secret_file.hpp"

namespace peernet {
namespace {

using testing::CountingRng;

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
