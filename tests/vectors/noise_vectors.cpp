// noise-vectors: runs cacophony-format Noise test vectors against
// proto/noise.
//
//   noise-vectors FILE [--require PREFIX]...
//
// For every vector whose protocol proto/noise implements, both roles run
// from the vector's fixed keys: each handshake message is written by its
// sender and compared byte for byte, and the vector's ciphertext is read by
// the receiver and its payload compared; then the handshake hash, and every
// transport message after Split() in both directions the same way.
// Messages alternate initiator/responder by index (one-way patterns: all
// from the initiator), through the handshake and on into transport.
//
// Prints one line per failure or skip, then "N passed, N failed, N skipped".
// Exits non-zero on any failure, and when a --require PREFIX matched no
// vector that ran or matched one that was skipped or failed.
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/noise/handshake_state.hpp"
#include "proto/noise/pattern.hpp"
#include "proto/noise/transport_state.hpp"
#include "proto/rng.hpp"

namespace {

using nlohmann::json;
using peernet::Bytes;
using peernet::ByteView;
using peernet::Errc;
using peernet::to_hex;
namespace noise = peernet::noise;

// Vectors fix every ephemeral key; drawing randomness means the engine
// would have generated a key the vector expected it to take as given.
class RecordingRng : public peernet::Rng {
 public:
  void fill(std::span<uint8_t> out) override {
    used = true;
    for (auto& b : out) b = 0x5a;
  }
  bool used = false;
};

enum class Outcome { passed, failed, skipped };

struct VectorRun {
  std::string name;
  std::vector<std::string> failures;
  std::string skip_reason;
  Outcome outcome = Outcome::passed;

  void fail(std::string what) { failures.push_back(std::move(what)); }
  void fail_at(size_t message, std::string what) {
    fail("message " + std::to_string(message) + ": " + std::move(what));
  }
};

Bytes hex_field(const json& v, const char* key) {
  auto bytes = peernet::from_hex(v.at(key).get<std::string>());
  if (!bytes.ok()) throw std::runtime_error(std::string(key) + ": " + bytes.error().describe());
  return std::move(bytes).value();
}

std::optional<Bytes> optional_hex(const json& v, const char* key) {
  if (!v.contains(key)) return std::nullopt;
  return hex_field(v, key);
}

std::optional<peernet::KeyPair> optional_keypair(const json& v, const char* key) {
  auto priv = optional_hex(v, key);
  if (!priv) return std::nullopt;
  auto kp = peernet::keypair_from_private(*priv);
  if (!kp.ok()) throw std::runtime_error(std::string(key) + ": " + kp.error().describe());
  return std::move(kp).value();
}

std::optional<peernet::PublicKey> optional_public(const json& v, const char* key) {
  auto pub = optional_hex(v, key);
  if (!pub) return std::nullopt;
  auto k = peernet::PublicKey::from(*pub);
  if (!k.ok()) throw std::runtime_error(std::string(key) + ": " + k.error().describe());
  return *k;
}

noise::HandshakeConfig config_for(const json& v, bool initiator) {
  const std::string p = initiator ? "init_" : "resp_";
  noise::HandshakeConfig c;
  c.protocol_name = v.at("protocol_name").get<std::string>();
  c.initiator = initiator;
  c.prologue = optional_hex(v, (p + "prologue").c_str()).value_or(Bytes{});
  c.local_static = optional_keypair(v, (p + "static").c_str());
  c.local_ephemeral = optional_keypair(v, (p + "ephemeral").c_str());
  c.remote_static = optional_public(v, (p + "remote_static").c_str());
  c.remote_ephemeral = optional_public(v, (p + "remote_ephemeral").c_str());
  if (v.contains(p + "psks"))
    for (const auto& psk : v.at(p + "psks")) {
      auto bytes = peernet::from_hex(psk.get<std::string>());
      if (!bytes.ok()) throw std::runtime_error(p + "psks: " + bytes.error().describe());
      c.psks.push_back(std::move(bytes).value());
    }
  return c;
}

// Compares one result against the vector; records a failure and returns
// false when they differ.
bool expect(VectorRun& run, size_t index, const char* what, const peernet::Result<Bytes>& got,
            const Bytes& want) {
  if (!got.ok()) {
    run.fail_at(index, std::string(what) + " failed: " + got.error().describe());
    return false;
  }
  if (*got != want) {
    run.fail_at(index, std::string(what) + " differs: got " + to_hex(*got) + ", want " + to_hex(want));
    return false;
  }
  return true;
}

void check_handshake_hash(VectorRun& run, const json& v, size_t index, const char* role,
                          const noise::HandshakeState& hs) {
  auto want = optional_hex(v, "handshake_hash");
  if (!want) return;
  if (Bytes(hs.handshake_hash().begin(), hs.handshake_hash().end()) != *want)
    run.fail_at(index, std::string(role) + " handshake hash " + to_hex(hs.handshake_hash()) +
                           ", want " + to_hex(*want));
}

void run_vector(const json& v, VectorRun& run) {
  run.name = v.at("protocol_name").get<std::string>();
  auto pattern = noise::parse_protocol_name(run.name);
  if (!pattern.ok()) {
    if (pattern.error().code == Errc::unsupported) {
      run.outcome = Outcome::skipped;
      run.skip_reason = pattern.error().describe();
    } else {
      run.fail(pattern.error().describe());
    }
    return;
  }

  RecordingRng rng;
  auto init = noise::HandshakeState::create(config_for(v, true), rng);
  auto resp = noise::HandshakeState::create(config_for(v, false), rng);
  if (!init.ok() || !resp.ok()) {
    run.fail("create: " + (init.ok() ? resp.error() : init.error()).describe());
    return;
  }
  const size_t handshake_len = pattern->messages.size();
  std::optional<noise::TransportState> t_init, t_resp;

  const json& messages = v.at("messages");
  for (size_t i = 0; i < messages.size(); ++i) {
    Bytes payload = hex_field(messages[i], "payload");
    Bytes ciphertext = hex_field(messages[i], "ciphertext");
    bool from_initiator = pattern->initiator_sends(i);
    bool ok = true;
    if (i < handshake_len) {
      auto& writer = from_initiator ? *init : *resp;
      auto& reader = from_initiator ? *resp : *init;
      ok &= expect(run, i, "written handshake message", writer.write_message(payload), ciphertext);
      ok &= expect(run, i, "read handshake payload", reader.read_message(ciphertext), payload);
      if (ok && i + 1 == handshake_len) {
        if (!init->is_finished() || !resp->is_finished()) {
          run.fail_at(i, "handshake not finished after its last message");
          return;
        }
        check_handshake_hash(run, v, i, "initiator", *init);
        check_handshake_hash(run, v, i, "responder", *resp);
        auto ti = std::move(*init).split();
        auto tr = std::move(*resp).split();
        if (!ti.ok() || !tr.ok()) {
          run.fail_at(i, "split: " + (ti.ok() ? tr.error() : ti.error()).describe());
          return;
        }
        t_init.emplace(std::move(ti).value());
        t_resp.emplace(std::move(tr).value());
      }
    } else {
      auto& sender = from_initiator ? *t_init : *t_resp;
      auto& receiver = from_initiator ? *t_resp : *t_init;
      ok &= expect(run, i, "encrypted transport message", sender.encrypt(payload), ciphertext);
      ok &= expect(run, i, "decrypted transport payload", receiver.decrypt(ciphertext), payload);
    }
    // Both sides have diverged from the vector; later messages would only
    // repeat the same failure.
    if (!ok) return;
  }
  if (!t_init) run.fail("the vector ends before the handshake does");
  if (rng.used) run.fail("an ephemeral key was generated instead of taken from the vector");
}

struct Require {
  std::string prefix;
  size_t passed = 0, failed = 0, skipped = 0;
};

int usage() {
  std::fprintf(stderr, "usage: noise-vectors FILE [--require PREFIX]...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  std::vector<Require> requires_;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--require") {
      if (i + 1 >= argc) return usage();
      requires_.push_back(Require{argv[++i]});
    } else if (path.empty() && !arg.starts_with("-")) {
      path = arg;
    } else {
      return usage();
    }
  }
  if (path.empty()) return usage();

  json doc;
  try {
    std::ifstream in(path);
    if (!in) {
      std::fprintf(stderr, "noise-vectors: cannot open %s\n", path.c_str());
      return 2;
    }
    doc = json::parse(in);
  } catch (const json::exception& e) {
    std::fprintf(stderr, "noise-vectors: %s: %s\n", path.c_str(), e.what());
    return 2;
  }
  const json& vectors = doc.is_object() && doc.contains("vectors") ? doc["vectors"] : doc;
  if (!vectors.is_array()) {
    std::fprintf(stderr, "noise-vectors: %s holds no vector list\n", path.c_str());
    return 2;
  }

  size_t passed = 0, failed = 0, skipped = 0;
  for (size_t n = 0; n < vectors.size(); ++n) {
    VectorRun run;
    try {
      run_vector(vectors[n], run);
    } catch (const std::exception& e) {
      run.fail(std::string("malformed vector: ") + e.what());
    }
    if (run.name.empty()) run.name = "vector #" + std::to_string(n);
    if (run.outcome == Outcome::passed && !run.failures.empty()) run.outcome = Outcome::failed;

    for (const auto& f : run.failures) std::printf("FAIL %s %s\n", run.name.c_str(), f.c_str());
    if (run.outcome == Outcome::skipped)
      std::printf("skip %s: %s\n", run.name.c_str(), run.skip_reason.c_str());
    (run.outcome == Outcome::passed ? passed : run.outcome == Outcome::failed ? failed : skipped)++;
    for (auto& r : requires_) {
      if (!run.name.starts_with(r.prefix)) continue;
      (run.outcome == Outcome::passed   ? r.passed
       : run.outcome == Outcome::failed ? r.failed
                                        : r.skipped)++;
    }
  }

  bool requirements_met = true;
  for (const auto& r : requires_) {
    if (r.passed > 0 && r.failed == 0 && r.skipped == 0) continue;
    requirements_met = false;
    std::printf("FAIL --require %s: %zu passed, %zu failed, %zu skipped\n", r.prefix.c_str(),
                r.passed, r.failed, r.skipped);
  }
  std::printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
  return failed == 0 && requirements_met ? 0 : 1;
}
