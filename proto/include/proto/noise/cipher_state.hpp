// CipherState (Noise spec rev 34 §5.1): a cipher key k, possibly empty, and
// a 64-bit nonce n. During the handshake it lives inside the SymmetricState;
// afterwards each direction of a TransportState owns one.
//
// This is the per-message hot path: one OpenSSL context per CipherState,
// keyed at initialize_key()/rekey(), and each message only sets the nonce.
#pragma once

#include <array>
#include <cstdint>

#include "proto/bytes.hpp"
#include "proto/noise/crypto.hpp"
#include "proto/result.hpp"

namespace peernet::noise {

class CipherState {
 public:
  // k empty, n = 0: EncryptWithAd/DecryptWithAd pass data through.
  CipherState() = default;
  CipherState(CipherState&& other) noexcept;
  CipherState& operator=(CipherState&& other) noexcept;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;
  ~CipherState();  // wipes k

  // InitializeKey(key): k = key (32 bytes, else Errc::bad_key), n = 0.
  Status initialize_key(ByteView key);
  // HasKey().
  bool has_key() const { return has_key_; }
  // SetNonce(nonce).
  void set_nonce(uint64_t n) { n_ = n; }
  // The nonce the next EncryptWithAd/DecryptWithAd will use.
  uint64_t nonce() const { return n_; }

  // EncryptWithAd(ad, plaintext) into `out` (>= plaintext.size() + 16 bytes
  // with a key, plaintext.size() without); returns the bytes written.
  // `out` may start at plaintext.data() (in place). With a key, fails with
  // Errc::nonce_exhausted once n has reached 2^64-1, which is reserved (§5.1).
  Result<size_t> encrypt_with_ad(ByteView ad, ByteView plaintext, MutableByteView out);
  // DecryptWithAd(ad, ciphertext) into `out` (>= ciphertext.size() - 16
  // bytes with a key); returns the plaintext length. In place allowed.
  // Errc::decrypt_failed leaves n unchanged (§5.1) and `out` wiped.
  Result<size_t> decrypt_with_ad(ByteView ad, ByteView ciphertext, MutableByteView out);

  // Convenience forms that allocate the result.
  Result<Bytes> encrypt_with_ad(ByteView ad, ByteView plaintext);
  Result<Bytes> decrypt_with_ad(ByteView ad, ByteView ciphertext);

  // Rekey(): k = REKEY(k), the first 32 bytes of ENCRYPT(k, 2^64-1, empty,
  // 32 zero bytes) (§4.2, §11.3). n is left as is. Errc::invalid_state
  // without a key.
  Status rekey();

  // An independent copy (same k and n, its own OpenSSL context). Used to
  // process handshake messages transactionally.
  Result<CipherState> clone() const;

 private:
  std::array<uint8_t, kKeyLen> k_{};
  bool has_key_ = false;
  uint64_t n_ = 0;
  ChaChaPoly aead_;
};

}  // namespace peernet::noise
