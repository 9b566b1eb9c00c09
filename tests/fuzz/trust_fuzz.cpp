// Fuzz target: the trust file (TrustStore::parse). An accepted file
// serializes to text that parses to the same peers; anything else is
// Errc::config_error.
#include <string>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/peer_id.hpp"
#include "require.hpp"
#include "store/trust_store.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  PublicKey a, b;
  a.bytes.fill(0x11);
  b.bytes.fill(0x22);
  std::vector<std::string> texts = {
      "[[peer]]\nid = \"" + peer_id_text(a) + "\"\nname = \"laptop\"\naddrs = [\"198.18.0.1:7469\", \"[fd00::1]:7469\"]\n",
      "[[peer]]\nid = \"" + peer_id_text(a) + "\"\n[[peer]]\nid = \"" + peer_id_text(b) + "\"\nname = \"pi\"\n",
      "[[peer]]\nid = \"" + peer_id_text(a) + "\"\n[[peer]]\nid = \"" + peer_id_compact(a) + "\"\n",
      "[[peer]]\nid = 5\nextra = true\n",
      "",
  };
  std::vector<Bytes> seeds;
  for (const auto& t : texts) seeds.emplace_back(t.begin(), t.end());
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto store = TrustStore::parse(std::string_view(reinterpret_cast<const char*>(data), size), "trust.toml");
  if (!store.ok()) {
    require(store.error().code == Errc::config_error, "unexpected error code");
    return 0;
  }
  auto again = TrustStore::parse(store->serialize(), "trust.toml");
  require(again.ok(), "the serialized trust file does not parse");
  require(again->peers() == store->peers(), "round trip changed the trusted peers");
  return 0;
}
