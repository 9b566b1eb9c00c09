#include "proto/noise/cipher_state.hpp"

#include <cstring>
#include <utility>

namespace peernet::noise {

CipherState::CipherState(CipherState&& other) noexcept
    : k_(other.k_), has_key_(other.has_key_), n_(other.n_), aead_(std::move(other.aead_)) {
  secure_wipe(other.k_);
  other.has_key_ = false;
  other.n_ = 0;
}

CipherState& CipherState::operator=(CipherState&& other) noexcept {
  if (this != &other) {
    k_ = other.k_;
    has_key_ = other.has_key_;
    n_ = other.n_;
    aead_ = std::move(other.aead_);
    secure_wipe(other.k_);
    other.has_key_ = false;
    other.n_ = 0;
  }
  return *this;
}

CipherState::~CipherState() { secure_wipe(k_); }

Status CipherState::initialize_key(ByteView key) {
  PEERNET_TRY_VOID(aead_.set_key(key));
  std::memcpy(k_.data(), key.data(), kKeyLen);
  has_key_ = true;
  n_ = 0;
  return {};
}

Result<size_t> CipherState::encrypt_with_ad(ByteView ad, ByteView plaintext,
                                            MutableByteView out) {
  if (!has_key_) {
    // §5.1: without a key, EncryptWithAd returns the plaintext unchanged.
    if (out.size() < plaintext.size())
      return make_error(Errc::internal, "output buffer too small for the plaintext");
    if (!plaintext.empty() && out.data() != plaintext.data())
      std::memmove(out.data(), plaintext.data(), plaintext.size());
    return plaintext.size();
  }
  // §5.1: 2^64-1 is reserved for rekeying; we stop rather than wrap.
  if (n_ == kMaxNonce)
    return make_error(Errc::nonce_exhausted, "the cipher state has used every nonce");
  PEERNET_TRY(size_t len, aead_.encrypt(n_, ad, plaintext, out));
  ++n_;
  return len;
}

Result<size_t> CipherState::decrypt_with_ad(ByteView ad, ByteView ciphertext,
                                            MutableByteView out) {
  if (!has_key_) {
    if (out.size() < ciphertext.size())
      return make_error(Errc::internal, "output buffer too small for the plaintext");
    if (!ciphertext.empty() && out.data() != ciphertext.data())
      std::memmove(out.data(), ciphertext.data(), ciphertext.size());
    return ciphertext.size();
  }
  if (n_ == kMaxNonce)
    return make_error(Errc::nonce_exhausted, "the cipher state has used every nonce");
  // A failure returns before the increment: n is only advanced by a message
  // that authenticated (§5.1).
  PEERNET_TRY(size_t len, aead_.decrypt(n_, ad, ciphertext, out));
  ++n_;
  return len;
}

Result<Bytes> CipherState::encrypt_with_ad(ByteView ad, ByteView plaintext) {
  Bytes out(plaintext.size() + (has_key_ ? kTagLen : 0));
  PEERNET_TRY(size_t len, encrypt_with_ad(ad, plaintext, MutableByteView(out)));
  out.resize(len);
  return out;
}

Result<Bytes> CipherState::decrypt_with_ad(ByteView ad, ByteView ciphertext) {
  size_t cap = ciphertext.size();
  if (has_key_) cap = cap >= kTagLen ? cap - kTagLen : 0;
  Bytes out(cap);
  PEERNET_TRY(size_t len, decrypt_with_ad(ad, ciphertext, MutableByteView(out)));
  out.resize(len);
  return out;
}

Status CipherState::rekey() {
  if (!has_key_) return make_error(Errc::invalid_state, "rekey of a cipher state without a key");
  static constexpr std::array<uint8_t, kKeyLen> kZeros{};
  std::array<uint8_t, kKeyLen + kTagLen> block{};
  auto sealed = aead_.encrypt(kMaxNonce, {}, kZeros, block);
  Status status;
  if (!sealed.ok()) {
    status = std::move(sealed).error();
  } else {
    // The tag is dropped: REKEY keeps the first 32 bytes (§4.2).
    status = aead_.set_key(ByteView(block.data(), kKeyLen));
    if (status.ok()) std::memcpy(k_.data(), block.data(), kKeyLen);
  }
  secure_wipe(block);
  return status;
}

Result<CipherState> CipherState::clone() const {
  CipherState copy;
  if (has_key_) PEERNET_TRY_VOID(copy.initialize_key(k_));
  copy.n_ = n_;
  return copy;
}

}  // namespace peernet::noise
