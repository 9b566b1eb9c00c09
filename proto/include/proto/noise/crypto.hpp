// The Noise crypto functions (spec rev 34 §4), instantiated as 25519 (§12.1),
// ChaChaPoly (§12.3) and SHA256 (§12.5) on OpenSSL 3. DH itself is
// proto/keys.hpp's x25519().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX, kept out of this header

namespace peernet::noise {

inline constexpr size_t kDhLen = 32;     // §12.1
inline constexpr size_t kKeyLen = 32;    // cipher key, §4.2
inline constexpr size_t kTagLen = 16;    // AEAD authentication data, §4.2
inline constexpr size_t kHashLen = 32;   // SHA256, §12.5
inline constexpr size_t kPskLen = 32;    // §9.2
inline constexpr size_t kMaxMessageLen = 65535;  // every Noise message, §3
// The largest nonce, reserved for REKEY (§5.1, §11.3).
inline constexpr uint64_t kMaxNonce = UINT64_MAX;

using Digest = std::array<uint8_t, kHashLen>;

// HASH(part0 || part1 || ...) with SHA-256. Errc::internal only if OpenSSL
// itself fails (allocation).
Result<Digest> hash(std::initializer_list<ByteView> parts);

// HMAC-HASH(key, data): RFC 2104 HMAC over SHA-256 (§4.3).
Result<Digest> hmac_hash(ByteView key, ByteView data);

// HKDF(chaining_key, input_key_material, num_outputs) exactly as §4.3, with
// num_outputs = out.size(), which must be 2 or 3:
//   temp_key = HMAC-HASH(chaining_key, input_key_material)
//   output1  = HMAC-HASH(temp_key, byte(0x01))
//   output2  = HMAC-HASH(temp_key, output1 || byte(0x02))
//   output3  = HMAC-HASH(temp_key, output2 || byte(0x03))
// The caller owns (and wipes) the outputs.
Status hkdf(ByteView chaining_key, ByteView input_key_material, std::span<Digest> out);

// ChaCha20-Poly1305 (RFC 8439) as Noise's ENCRYPT/DECRYPT (§4.2, §12.3): the
// 96-bit nonce is 32 zero bits followed by the little-endian 64-bit counter.
//
// One OpenSSL context per object, keyed once by set_key(); each call only
// installs the nonce, because this sits on the per-message hot path.
//
// Buffers: `out` must hold the result (plaintext + 16 on encrypt, ciphertext
// - 16 on decrypt) and must either not overlap the input at all or start at
// the same address (in place); anything else is refused with Errc::internal.
class ChaChaPoly {
 public:
  ChaChaPoly() = default;
  ChaChaPoly(ChaChaPoly&&) noexcept = default;
  ChaChaPoly& operator=(ChaChaPoly&&) noexcept = default;
  ~ChaChaPoly() = default;

  // Key the context (32 bytes). Errc::bad_key on a wrong length.
  Status set_key(ByteView key);
  bool has_key() const { return ctx_ != nullptr; }

  // ENCRYPT(k, n, ad, plaintext) into out; returns plaintext.size() + 16.
  Result<size_t> encrypt(uint64_t n, ByteView ad, ByteView plaintext, MutableByteView out);
  // DECRYPT(k, n, ad, ciphertext) into out; returns ciphertext.size() - 16.
  // Errc::decrypt_failed when authentication fails (or the input is shorter
  // than a tag); `out` is then wiped, never left holding unauthenticated data.
  Result<size_t> decrypt(uint64_t n, ByteView ad, ByteView ciphertext, MutableByteView out);

 private:
  struct CtxFree {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  Result<size_t> crypt(bool encrypting, uint64_t n, ByteView ad, ByteView in, MutableByteView out);

  std::unique_ptr<evp_cipher_ctx_st, CtxFree> ctx_;
};

// One-shot ENCRYPT and DECRYPT, for tests and cold paths.
Result<Bytes> encrypt(ByteView key, uint64_t n, ByteView ad, ByteView plaintext);
Result<Bytes> decrypt(ByteView key, uint64_t n, ByteView ad, ByteView ciphertext);

}  // namespace peernet::noise
