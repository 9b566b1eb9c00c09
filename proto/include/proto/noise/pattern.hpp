// Handshake patterns (Noise spec rev 34 §7) and protocol names (§8), with
// the psk modifier (§9). Patterns are data: the handshake engine walks the
// token lists, so every pattern of the spec runs through the same code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/result.hpp"

namespace peernet::noise {

// The tokens of §7.1 plus "psk" (§9.2).
enum class Token : uint8_t { e, s, ee, es, se, ss, psk };

std::string_view to_string(Token token);

struct HandshakePattern {
  // The pattern name with its modifiers, as in the protocol name ("XXpsk3").
  std::string name;
  // Pre-message tokens (only e and s) of each party (§7.1).
  std::vector<Token> initiator_premessage;
  std::vector<Token> responder_premessage;
  // Message patterns in order; the initiator sends messages[0].
  std::vector<std::vector<Token>> messages;

  // One-way patterns (§7.4) have a single message; afterwards only the
  // initiator sends.
  bool is_one_way() const { return messages.size() == 1; }
  // Whether message `index` (handshake or, past the end, transport) is
  // sent by the initiator: messages alternate, starting with it.
  bool initiator_sends(size_t index) const { return is_one_way() || index % 2 == 0; }
  size_t psk_count() const;
  bool has_psk() const { return psk_count() > 0; }
};

// A pattern name with optional psk modifiers ("XX", "NKpsk0", "NNpsk0+psk2").
// Errc::unsupported for names outside §7.4-§7.6 and modifiers other than
// pskN; Errc::bad_request for a psk modifier that does not fit the pattern.
Result<HandshakePattern> parse_pattern(std::string_view name);

// A full protocol name, "Noise_<pattern>_25519_ChaChaPoly_SHA256" (§8).
// Any other DH, cipher or hash is Errc::unsupported.
Result<HandshakePattern> parse_protocol_name(std::string_view protocol_name);

// The names of every base pattern in the table (one-way, fundamental and
// deferred), for tests and diagnostics.
std::vector<std::string_view> pattern_names();

}  // namespace peernet::noise
