// Fuzz target: parse_peer_id. An accepted text names one key, whose
// grouped and compact texts parse back to it; anything else is
// Errc::bad_peer_id.
#include <string>
#include <vector>

#include "proto/peer_id.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  PublicKey k;
  for (size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<uint8_t>(i * 29 + 3);
  std::vector<std::string> texts = {peer_id_text(k), peer_id_compact(k), peer_id_text(PublicKey{}),
                                    "abcdefg-hijklmn", "0018-----"};
  std::string lower = peer_id_text(k);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  texts.push_back(lower);
  std::vector<Bytes> seeds;
  for (const auto& t : texts) seeds.emplace_back(t.begin(), t.end());
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto key = parse_peer_id(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!key.ok()) {
    require(key.error().code == Errc::bad_peer_id, "unexpected error code");
    require(!key.error().message.empty(), "an error without a message");
    return 0;
  }
  auto grouped = parse_peer_id(peer_id_text(*key));
  require(grouped.ok() && *grouped == *key, "the grouped text does not parse back");
  auto compact = parse_peer_id(peer_id_compact(*key));
  require(compact.ok() && *compact == *key, "the compact text does not parse back");
  require(peer_id_text(*key).size() == 63, "the grouped text is not 63 characters");
  return 0;
}
