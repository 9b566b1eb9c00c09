#include "proto/noise/transport_state.hpp"

#include <utility>

namespace peernet::noise {

TransportState::TransportState(CipherState send, CipherState recv, bool initiator,
                               const Digest& handshake_hash,
                               std::optional<PublicKey> remote_static)
    : send_(std::move(send)),
      recv_(std::move(recv)),
      initiator_(initiator),
      handshake_hash_(handshake_hash),
      remote_static_(remote_static) {}

// A CipherState without a key passes data through (§5.1). In the transport
// phase that would mean plaintext on the wire, so a keyless direction (the
// unused one of a one-way pattern) is refused instead.

Result<size_t> TransportState::encrypt(ByteView plaintext, MutableByteView out) {
  if (!send_.has_key())
    return make_error(Errc::invalid_state, "this side of a one-way pattern only receives");
  if (plaintext.size() > kMaxPlaintext)
    return make_error(Errc::payload_too_large,
                      "a transport message carries at most " + std::to_string(kMaxPlaintext) +
                          " bytes, got " + std::to_string(plaintext.size()));
  return send_.encrypt_with_ad({}, plaintext, out);
}

Result<size_t> TransportState::decrypt(ByteView message, MutableByteView out) {
  if (!recv_.has_key())
    return make_error(Errc::invalid_state, "this side of a one-way pattern only sends");
  if (message.size() > kMaxMessageLen)
    return make_error(Errc::payload_too_large, "a Noise message is at most 65535 bytes, got " +
                                                   std::to_string(message.size()));
  return recv_.decrypt_with_ad({}, message, out);
}

Result<Bytes> TransportState::encrypt(ByteView plaintext) {
  Bytes out(plaintext.size() + kTagLen);
  PEERNET_TRY(size_t len, encrypt(plaintext, MutableByteView(out)));
  out.resize(len);
  return out;
}

Result<Bytes> TransportState::decrypt(ByteView message) {
  Bytes out(message.size() >= kTagLen ? message.size() - kTagLen : 0);
  PEERNET_TRY(size_t len, decrypt(message, MutableByteView(out)));
  out.resize(len);
  return out;
}

Status TransportState::rekey_send() {
  if (!send_.has_key())
    return make_error(Errc::invalid_state, "this side of a one-way pattern only receives");
  return send_.rekey();
}

Status TransportState::rekey_recv() {
  if (!recv_.has_key())
    return make_error(Errc::invalid_state, "this side of a one-way pattern only sends");
  return recv_.rekey();
}

}  // namespace peernet::noise
