// Fuzz target: the TOML config, parsed from a string (parse_config). It
// must not crash on any text; a failure is Errc::config_error with a
// message, and parsing is deterministic.
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proto/bytes.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  std::vector<std::string> texts = {
      "listen = [\"0.0.0.0:7469\", \"[::]:7469\"]\nping_interval = \"15s\"\ndead_after = \"45s\"\n",
      "max_envelope = \"1 MiB\"\n[discovery]\nmdns = true\nbroadcast = false\n",
      "[[handle]]\nname = \"echo\"\ncommand = [\"/bin/cat\"]\ntimeout = \"5s\"\n",
      "ping_interval = \"1h\"\ndead_after = \"1s\"\n",
      "unknown = 1\n[[handle]]\nname = 5\n",
      "a = \"\\u0000\"\n[x\n",
  };
  std::vector<Bytes> seeds;
  for (const auto& t : texts) seeds.emplace_back(t.begin(), t.end());
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = parse_config(text, "peernetd.toml");
  if (!config.ok()) {
    require(config.error().code == Errc::config_error, "unexpected error code");
    require(!config.error().message.empty(), "an error without a message");
    return 0;
  }
  auto again = parse_config(text, "peernetd.toml");
  require(again.ok() && *again == *config, "parsing the same text twice differs");
  return 0;
}
