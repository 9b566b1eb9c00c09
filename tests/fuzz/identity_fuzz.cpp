// Fuzz target: decode_identity_file (the key file). An accepted file gives a
// keypair whose encoding decodes to the same keys; anything else is
// Errc::bad_key, and its message never quotes the file (which may hold a
// private key).
#include <string>
#include <vector>

#include "proto/identity.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  Bytes priv(kKeySize, 0x5a);
  std::string good = encode_identity_file(keypair_from_private(priv).value());
  std::vector<std::string> texts = {
      good,
      "PEERNET-IDENTITY-1 " + std::string(64, 'a') + "\n",
      "# comment\n\nPEERNET-IDENTITY-1 " + std::string(63, '0') + "g\n",
      good + good,
      "PEERNET-IDENTITY-2 00\r\n",
  };
  std::vector<Bytes> seeds;
  for (const auto& t : texts) seeds.emplace_back(t.begin(), t.end());
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto kp = decode_identity_file(text);
  if (!kp.ok()) {
    require(kp.error().code == Errc::bad_key, "unexpected error code");
    // A run of 16 hex digits from the file must not show up in the message.
    const std::string& m = kp.error().message;
    for (size_t at = 0; at + 16 <= size; ++at) {
      std::string_view run = text.substr(at, 16);
      if (run.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) continue;
      require(m.find(run) == std::string::npos, "an error message quotes key material");
    }
    return 0;
  }
  auto again = decode_identity_file(encode_identity_file(*kp));
  require(again.ok() && again->pub == kp->pub && again->priv.bytes == kp->priv.bytes,
          "round trip changed the keys");
  return 0;
}
