// SymmetricState (Noise spec rev 34 §5.2): the CipherState plus the chaining
// key ck and the handshake hash h. It exists only during the handshake.
#pragma once

#include <string_view>
#include <utility>

#include "proto/bytes.hpp"
#include "proto/noise/cipher_state.hpp"
#include "proto/noise/crypto.hpp"
#include "proto/result.hpp"

namespace peernet::noise {

class SymmetricState {
 public:
  SymmetricState(SymmetricState&&) noexcept = default;
  SymmetricState& operator=(SymmetricState&&) noexcept = default;
  ~SymmetricState();  // wipes ck

  // InitializeSymmetric(protocol_name).
  static Result<SymmetricState> initialize(std::string_view protocol_name);

  // MixKey(input_key_material).
  Status mix_key(ByteView input_key_material);
  // MixHash(data).
  Status mix_hash(ByteView data);
  // MixKeyAndHash(input_key_material), for "psk" tokens (§9.2).
  Status mix_key_and_hash(ByteView input_key_material);
  // GetHandshakeHash().
  const Digest& handshake_hash() const { return h_; }
  bool has_key() const { return cipher_.has_key(); }

  // EncryptAndHash(plaintext), appending the ciphertext to `out`.
  Status encrypt_and_hash(ByteView plaintext, Bytes& out);
  // DecryptAndHash(ciphertext).
  Result<Bytes> decrypt_and_hash(ByteView ciphertext);

  // Split(): the CipherStates for initiator->responder and
  // responder->initiator, in that order.
  Result<std::pair<CipherState, CipherState>> split() const;

  // An independent copy, for transactional message processing.
  Result<SymmetricState> clone() const;

 private:
  SymmetricState() = default;

  CipherState cipher_;
  Digest ck_{};
  Digest h_{};
};

}  // namespace peernet::noise
