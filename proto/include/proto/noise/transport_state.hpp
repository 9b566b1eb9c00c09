// The transport phase (Noise spec rev 34 §5): after Split() each party
// holds one CipherState per direction. Transport messages use empty
// associated data and are at most 65535 bytes, tag included (§3).
#pragma once

#include <cstdint>
#include <optional>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/noise/cipher_state.hpp"
#include "proto/noise/crypto.hpp"
#include "proto/result.hpp"

namespace peernet::noise {

class HandshakeState;

class TransportState {
 public:
  // The largest plaintext one transport message carries.
  static constexpr size_t kMaxPlaintext = kMaxMessageLen - kTagLen;

  TransportState(TransportState&&) noexcept = default;
  TransportState& operator=(TransportState&&) noexcept = default;
  TransportState(const TransportState&) = delete;
  TransportState& operator=(const TransportState&) = delete;

  // Encrypt one outgoing message into `out` (>= plaintext.size() + 16
  // bytes; may start at plaintext.data()). Returns the message length.
  // Errc::payload_too_large above kMaxPlaintext; Errc::invalid_state when
  // this side cannot send (the responder of a one-way pattern);
  // Errc::nonce_exhausted once the send nonce reached 2^64-1.
  Result<size_t> encrypt(ByteView plaintext, MutableByteView out);
  // Decrypt one incoming message into `out` (>= message.size() - 16 bytes;
  // may start at message.data()). Returns the plaintext length.
  // Errc::decrypt_failed leaves the receive nonce unchanged.
  Result<size_t> decrypt(ByteView message, MutableByteView out);
  Result<Bytes> encrypt(ByteView plaintext);
  Result<Bytes> decrypt(ByteView message);

  // Rekey() of one direction (§11.3); both sides must rekey the same
  // direction at the same point in the message stream.
  Status rekey_send();
  Status rekey_recv();

  CipherState& send_cipher() { return send_; }
  CipherState& recv_cipher() { return recv_; }
  uint64_t send_nonce() const { return send_.nonce(); }
  uint64_t recv_nonce() const { return recv_.nonce(); }
  bool can_send() const { return send_.has_key(); }
  bool can_receive() const { return recv_.has_key(); }

  bool is_initiator() const { return initiator_; }
  // The handshake hash h after the last handshake message (§11.2).
  const Digest& handshake_hash() const { return handshake_hash_; }
  // The peer's static key, when the pattern had one.
  const std::optional<PublicKey>& remote_static() const { return remote_static_; }

 private:
  friend class HandshakeState;
  TransportState(CipherState send, CipherState recv, bool initiator, const Digest& handshake_hash,
                 std::optional<PublicKey> remote_static);

  CipherState send_;
  CipherState recv_;
  bool initiator_;
  Digest handshake_hash_;
  std::optional<PublicKey> remote_static_;
};

}  // namespace peernet::noise
