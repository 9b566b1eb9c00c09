#include "store/trust_store.hpp"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../../temp_dir.hpp"
#include "proto/peer_id.hpp"

namespace peernet {
namespace {

PublicKey key_of(uint8_t first, uint8_t last = 0) {
  PublicKey k;
  for (size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<uint8_t>(first * 31 + i);
  k.bytes.back() = last;
  return k;
}

TrustStore sample() {
  TrustStore s;
  EXPECT_TRUE(s.add_or_update({key_of(1), "laptop", {Endpoint{"198.18.0.2", 7469}, Endpoint{"fe80::2%eth0", 7469}}}).ok());
  EXPECT_TRUE(s.add_or_update({key_of(2), "", {}}).ok());
  EXPECT_TRUE(s.add_or_update({key_of(3), "pi.kitchen", {Endpoint{"pi.lan", 9}}}).ok());
  return s;
}

std::string error_of(std::string_view text) {
  auto s = TrustStore::parse(text, "trust.toml");
  EXPECT_FALSE(s.ok()) << text;
  if (s.ok()) return "";
  EXPECT_EQ(s.error().code, Errc::config_error);
  return s.error().message;
}

TEST(TrustStore, SerializeRoundTrips) {
  TrustStore s = sample();
  std::string text = s.serialize();
  EXPECT_NE(text.find("# managed by peernetctl pair/untrust; edits take effect on SIGHUP"), std::string::npos);
  EXPECT_NE(text.find("id = \"" + peer_id_text(key_of(1)) + "\""), std::string::npos);
  EXPECT_NE(text.find("addrs = [\"198.18.0.2:7469\", \"[fe80::2%eth0]:7469\"]"), std::string::npos);
  auto back = TrustStore::parse(text, "trust.toml");
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->peers(), s.peers());
  EXPECT_EQ(TrustStore{}.serialize().find("[[peer]]"), std::string::npos);
}

TEST(TrustStore, FindsByKey) {
  TrustStore s = sample();
  ASSERT_NE(s.find(key_of(3)), nullptr);
  EXPECT_EQ(s.find(key_of(3))->name, "pi.kitchen");
  EXPECT_EQ(s.find(key_of(9)), nullptr);
}

TEST(TrustStore, ResolvesByAliasIdAndPrefix) {
  TrustStore s = sample();
  EXPECT_EQ(*s.resolve("laptop"), key_of(1));
  EXPECT_EQ(*s.resolve(peer_id_text(key_of(2))), key_of(2));

  std::string compact = peer_id_compact(key_of(3));
  EXPECT_EQ(*s.resolve(compact.substr(0, 6)), key_of(3));
  // Case and dashes do not matter.
  std::string lower = compact.substr(0, 3) + "-" + compact.substr(3, 3);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_EQ(*s.resolve(lower), key_of(3));

  // A full id resolves even when not trusted; the caller decides.
  EXPECT_EQ(*s.resolve(peer_id_text(key_of(9))), key_of(9));
}

TEST(TrustStore, ResolveErrors) {
  TrustStore s = sample();
  auto none = s.resolve("desktop");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::no_such_peer);
  auto short_prefix = s.resolve(peer_id_compact(key_of(1)).substr(0, 3));
  ASSERT_FALSE(short_prefix.ok());
  EXPECT_EQ(short_prefix.error().code, Errc::no_such_peer);
  EXPECT_NE(short_prefix.error().message.find("at least 4"), std::string::npos);
  EXPECT_EQ(s.resolve("").error().code, Errc::no_such_peer);

  // A full-length id with a typo is reported as such.
  std::string id = peer_id_text(key_of(1));
  id[0] = id[0] == 'A' ? 'B' : 'A';
  auto typo = s.resolve(id);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, Errc::bad_peer_id);
}

TEST(TrustStore, AmbiguousPrefixListsTheCandidates) {
  TrustStore s;
  // Same bytes but the last: the ids share a long prefix.
  PublicKey a = key_of(5, 1), b = key_of(5, 2);
  ASSERT_TRUE(s.add_or_update({a, "one", {}}).ok());
  ASSERT_TRUE(s.add_or_update({b, "", {}}).ok());
  std::string ca = peer_id_compact(a), cb = peer_id_compact(b);
  size_t differ = 0;
  while (ca[differ] == cb[differ]) ++differ;
  ASSERT_GE(differ, 4u);

  auto r = s.resolve(ca.substr(0, 4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::ambiguous_peer);
  EXPECT_NE(r.error().message.find(peer_tag(a) + " \"one\""), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(peer_tag(b)), std::string::npos);
  // One more character than they share picks one.
  EXPECT_EQ(*s.resolve(cb.substr(0, differ + 1)), b);
}

TEST(TrustStore, AliasTakesPrecedenceOverPrefix) {
  TrustStore s;
  PublicKey a = key_of(6), b = key_of(7);
  std::string prefix_of_b = peer_id_compact(b).substr(0, 5);
  ASSERT_TRUE(s.add_or_update({a, prefix_of_b, {}}).ok());
  ASSERT_TRUE(s.add_or_update({b, "", {}}).ok());
  EXPECT_EQ(*s.resolve(prefix_of_b), a);
}

TEST(TrustStore, AddUpdateRemove) {
  TrustStore s = sample();
  // Another peer cannot take an alias.
  auto taken = s.add_or_update({key_of(2), "laptop", {}});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, Errc::exists);
  // The same peer may change its own entry.
  ASSERT_TRUE(s.add_or_update({key_of(1), "laptop2", {}}).ok());
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.find(key_of(1))->name, "laptop2");
  EXPECT_TRUE(s.find(key_of(1))->addrs.empty());
  EXPECT_EQ(s.add_or_update({key_of(4), "-x", {}}).error().code, Errc::bad_request);
  EXPECT_EQ(s.add_or_update({key_of(4), "", {Endpoint{"h", 0}}}).error().code, Errc::bad_request);

  EXPECT_TRUE(s.remove(key_of(2)));
  EXPECT_FALSE(s.remove(key_of(2)));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.peers()[1].key, key_of(3));  // Order is kept.
}

TEST(TrustStore, AliasSyntax) {
  EXPECT_TRUE(is_valid_alias("a"));
  EXPECT_TRUE(is_valid_alias("Pi_kitchen-2.lan"));
  EXPECT_TRUE(is_valid_alias(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_alias(""));
  EXPECT_FALSE(is_valid_alias(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_alias("-rf"));
  EXPECT_FALSE(is_valid_alias("a b"));
  EXPECT_FALSE(is_valid_alias("é"));
}

TEST(TrustStore, DuplicatesAreErrorsWithTheirLine) {
  std::string id = peer_id_text(key_of(1));
  EXPECT_EQ(error_of("[[peer]]\nid = \"" + id + "\"\n\n[[peer]]\nid = \"" + id + "\"\n"),
            "trust.toml:5:6: key \"peer.id\": listed twice: " + peer_tag(key_of(1)));
  std::string other = peer_id_text(key_of(2));
  EXPECT_NE(error_of("[[peer]]\nid = \"" + id + "\"\nname = \"x\"\n[[peer]]\nid = \"" + other + "\"\nname = \"x\"\n")
                .find("trust.toml:6:8: key \"peer.name\": alias \"x\" already names"),
            std::string::npos);
}

TEST(TrustStore, GarbageIsRefused) {
  std::string id = peer_id_text(key_of(1));
  EXPECT_EQ(error_of("[[peer]\n").rfind("trust.toml:1:", 0), 0u);
  EXPECT_NE(error_of("peer = 5\n").find("expected [[peer]] tables"), std::string::npos);
  EXPECT_NE(error_of("[peer]\nid = \"x\"\n").find("expected [[peer]] tables"), std::string::npos);
  EXPECT_NE(error_of("[[peers]]\n").find("unknown key"), std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nname = \"x\"\n").find("needs an id"), std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nid = \"not-an-id\"\n").find("trust.toml:2:6: key \"peer.id\""), std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nid = 5\n").find("expected a string"), std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nid = \"" + id + "\"\nname = \"bad name\"\n").find("alias"), std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nid = \"" + id + "\"\naddrs = [\"nohost\"]\n").find("missing port"),
            std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nid = \"" + id + "\"\naddrs = \"h:1\"\n").find("expected an array"),
            std::string::npos);
  EXPECT_NE(error_of("[[peer]]\nid = \"" + id + "\"\ncolour = \"red\"\n").find("trust.toml:3:1: key \"peer.colour\""),
            std::string::npos);
}

class TrustFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok()) << tmp_.error();
    dir_ = tmp_.path();
    path_ = dir_ + "/trust.toml";
  }
  std::vector<std::string> entries() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  peernet::testing::TempDir tmp_{"trust-test"};
  std::string dir_, path_;
};

TEST_F(TrustFileTest, MissingFileIsEmpty) {
  auto s = TrustStore::load(path_);
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->size(), 0u);
}

TEST_F(TrustFileTest, SaveIsAtomicAndPrivate) {
  // An old, looser file is replaced as a whole by a new 0600 one.
  std::ofstream(path_) << "old contents\n";
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  TrustStore s = sample();
  ASSERT_TRUE(s.save(path_).ok());
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(entries(), std::vector<std::string>{"trust.toml"});  // No temporary left behind.
  auto back = TrustStore::load(path_);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->peers(), s.peers());
}

TEST_F(TrustFileTest, ReadableByOthersIsRefused) {
  ASSERT_TRUE(sample().save(path_).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto s = TrustStore::load(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::insecure_file);
}

TEST_F(TrustFileTest, GarbageFileNamesItsPath) {
  std::ofstream(path_) << "\x01\x02 not toml";
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  auto s = TrustStore::load(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::config_error);
  EXPECT_EQ(s.error().message.rfind(path_ + ":1:", 0), 0u) << s.error().message;
}

}  // namespace
}  // namespace peernet

namespace peernet {
namespace {

// A trust list holding the daemon's own key is refused at load, at the line
// of that entry's id.
TEST_F(TrustFileTest, OwnKeyIsRefusedWithItsLine) {
  TrustStore s = sample();
  ASSERT_TRUE(s.save(path_).ok());
  std::string text = s.serialize();
  size_t at = text.find(peer_id_text(key_of(2)));
  ASSERT_NE(at, std::string::npos);
  long line = std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 1;
  PublicKey own = key_of(2);
  auto refused = TrustStore::load(path_, &own);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::config_error);
  EXPECT_EQ(refused.error().message.rfind(path_ + ":" + std::to_string(line) + ":", 0), 0u)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("own key"), std::string::npos) << refused.error().message;
  // Without the daemon's key to compare with, the same file loads.
  EXPECT_TRUE(TrustStore::load(path_).ok());
}

}  // namespace
}  // namespace peernet
