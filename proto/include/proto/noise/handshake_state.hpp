// HandshakeState (The Noise Protocol Framework, revision 34, §5.3): runs one
// side of any handshake pattern in proto/noise/pattern.hpp, for
// Noise_*_25519_ChaChaPoly_SHA256.
//
// peernetd's peer handshake is Noise_XX_25519_ChaChaPoly_SHA256 (§7.5):
//
//   XX:
//     -> e
//     <- e, ee, s, es
//     -> s, se
//
// The initiator learns the responder's static key by reading message 2 and
// can inspect remote_static() before it writes message 3, so it never sends
// its own identity to a responder it does not trust.
//
// Use: create(), then write_message()/read_message() in turn until
// is_finished(), then std::move(hs).split() for the TransportState.
// Failures are transactional: a write_message() or read_message() that
// returns an error leaves the state exactly as it was. (The spec says a
// failed handshake should be abandoned; the caller still should.)
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/noise/crypto.hpp"
#include "proto/noise/pattern.hpp"
#include "proto/noise/symmetric_state.hpp"
#include "proto/noise/transport_state.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet::noise {

// Initialize()'s arguments (§5.3).
struct HandshakeConfig {
  // A full protocol name, e.g. "Noise_XX_25519_ChaChaPoly_SHA256".
  std::string protocol_name;
  bool initiator = false;
  // Mixed into h before anything else (§6); both sides must agree on it.
  Bytes prologue;
  // s: needed when this side sends "s", has it in a pre-message, or uses it
  // in a DH token; otherwise ignored.
  std::optional<KeyPair> local_static;
  // e: a fixed ephemeral key instead of one from the Rng. For test vectors
  // only: reusing an ephemeral key across handshakes destroys their security.
  std::optional<KeyPair> local_ephemeral;
  // rs / re: the peer's keys known in advance, exactly when the pattern has
  // them in a pre-message (§7.1).
  std::optional<PublicKey> remote_static;
  std::optional<PublicKey> remote_ephemeral;
  // One 32-byte psk per "psk" token, in the order the tokens occur (§9).
  std::vector<Bytes> psks;
};

class HandshakeState {
 public:
  // Initialize() (§5.3): InitializeSymmetric(protocol_name),
  // MixHash(prologue), then the pre-message keys. `rng` makes ephemeral
  // keys when no fixed one is configured; it must outlive the handshake.
  // Errc::unsupported for a protocol outside pattern.hpp; Errc::bad_key for
  // a missing key or a psk that is not 32 bytes; Errc::bad_request for keys
  // or psks the pattern does not take.
  static Result<HandshakeState> create(const HandshakeConfig& config, Rng& rng);

  // Move-only. Keys and psks wipe themselves when released.
  HandshakeState(HandshakeState&&) noexcept;
  HandshakeState& operator=(HandshakeState&&) noexcept;
  HandshakeState(const HandshakeState&) = delete;
  HandshakeState& operator=(const HandshakeState&) = delete;
  ~HandshakeState();

  // WriteMessage(payload): the next handshake message. Errc::invalid_state
  // when it is not this side's turn or the handshake is over;
  // Errc::payload_too_large when the message would exceed 65535 bytes.
  Result<Bytes> write_message(ByteView payload);
  // ReadMessage(message): the payload of the peer's next handshake message.
  // Errc::invalid_state out of turn; Errc::payload_too_large above 65535
  // bytes; Errc::protocol_error when the message is too short for its keys;
  // Errc::decrypt_failed on authentication failure; Errc::bad_key for a
  // low-order public key. The state is unchanged on any error.
  Result<Bytes> read_message(ByteView message);

  // Split() (§5.2) once is_finished(): the transport keys, oriented for this
  // side (the initiator sends with the first CipherState). For one-way
  // patterns the responder only receives. Errc::invalid_state before the
  // handshake is finished (the state is then left untouched).
  Result<TransportState> split() &&;

  bool is_initiator() const { return initiator_; }
  bool is_finished() const { return index_ == pattern_.messages.size(); }
  bool is_my_turn() const { return !is_finished() && pattern_.initiator_sends(index_) == initiator_; }
  // Handshake messages written or read so far; the next message's index.
  size_t message_index() const { return index_; }
  size_t message_count() const { return pattern_.messages.size(); }
  // rs: known from a pre-message or once the peer's "s" has been read.
  std::optional<PublicKey> remote_static() const { return rs_; }
  std::optional<PublicKey> remote_ephemeral() const { return re_; }
  // GetHandshakeHash(): h so far; final once is_finished() (§11.2).
  const Digest& handshake_hash() const { return ss_.handshake_hash(); }
  const HandshakePattern& pattern() const { return pattern_; }
  const std::string& protocol_name() const { return protocol_name_; }

 private:
  struct Psk {
    std::array<uint8_t, kPskLen> bytes{};
    ~Psk() { secure_wipe(bytes); }
  };

  HandshakeState(SymmetricState ss, HandshakePattern pattern, const HandshakeConfig& config,
                 Rng& rng);

  // The state a message advances, copied so that a failure can be undone.
  struct Progress;
  Result<Progress> begin() const;
  void commit(Progress&& next);
  Status pre_message_key(const PublicKey& key);
  Status process_token(Progress& p, Token token, bool writing, Bytes& out, ByteView& in);
  Status mix_dh(Progress& p, const KeyPair* local, const std::optional<PublicKey>& remote);

  // Fixed for the whole handshake.
  std::string protocol_name_;
  HandshakePattern pattern_;
  bool initiator_;
  std::optional<KeyPair> s_;
  std::vector<Psk> psks_;
  Rng* rng_;
  bool consumed_ = false;

  // Advanced by each message (see Progress).
  SymmetricState ss_;
  std::optional<KeyPair> e_;
  std::optional<PublicKey> rs_;
  std::optional<PublicKey> re_;
  size_t index_ = 0;
  size_t next_psk_ = 0;
};

}  // namespace peernet::noise
