#include "proto/noise/crypto.hpp"

#include <openssl/evp.h>
#include <array>

#include <climits>
#include <cstring>
#include <functional>

namespace peernet::noise {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// True when `out` overlaps `in` without starting at the same address. The
// AEAD may run in place, but a shifted overlap would read bytes it has
// already overwritten.
bool overlaps_partially(ByteView in, MutableByteView out) {
  if (in.empty() || out.empty()) return false;
  std::less<const uint8_t*> lt;
  const uint8_t* a = in.data();
  const uint8_t* b = out.data();
  if (a == b) return false;
  return lt(a, b + out.size()) && lt(b, a + in.size());
}

// SHA-256, fetched from the provider once: an implicit fetch (EVP_sha256()
// at every init, or the one-shot HMAC()) looks the algorithm up again on
// every call, which cost more than the hashing in a handshake.
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

constexpr size_t kBlockLen = 64;  // SHA-256's block

}  // namespace

Result<Digest> hash(std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && sha256() != nullptr && EVP_DigestInit_ex2(ctx.get(), sha256(), nullptr) == 1;
  for (ByteView part : parts)
    ok = ok && (part.empty() || EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1);
  Digest out{};
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == kHashLen;
  if (!ok) return make_error(Errc::internal, "OpenSSL SHA-256 failed");
  return out;
}

// HMAC (RFC 2104) over the fetched SHA-256:
// H((K' ^ opad) || H((K' ^ ipad) || data)), K' the key padded to a block
// (hashed first if longer than one).
Result<Digest> hmac_hash(ByteView key, ByteView data) {
  std::array<uint8_t, kBlockLen> block{};
  if (key.size() > kBlockLen) {
    PEERNET_TRY(Digest k, hash({key}));
    std::memcpy(block.data(), k.data(), k.size());
    secure_wipe(k);
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<uint8_t, kBlockLen> pad;
  for (size_t i = 0; i < kBlockLen; ++i) pad[i] = block[i] ^ 0x36;
  auto inner = hash({pad, data});
  for (size_t i = 0; i < kBlockLen; ++i) pad[i] = block[i] ^ 0x5c;
  secure_wipe(block);
  if (!inner) {
    secure_wipe(pad);
    return std::move(inner).error();
  }
  auto out = hash({pad, *inner});
  secure_wipe(pad);
  secure_wipe(*inner);
  return out;
}

Status hkdf(ByteView chaining_key, ByteView input_key_material, std::span<Digest> out) {
  if (out.size() != 2 && out.size() != 3)
    return make_error(Errc::internal, "HKDF yields two or three outputs");
  PEERNET_TRY(Digest temp_key, hmac_hash(chaining_key, input_key_material));
  // output_i = HMAC-HASH(temp_key, output_{i-1} || byte(i)), output_0 empty.
  std::array<uint8_t, kHashLen + 1> block{};
  Status status;
  size_t block_len = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    block[block_len] = static_cast<uint8_t>(i + 1);
    auto next = hmac_hash(temp_key, ByteView(block.data(), block_len + 1));
    if (!next.ok()) {
      status = std::move(next).error();
      break;
    }
    out[i] = *next;
    secure_wipe(*next);
    std::memcpy(block.data(), out[i].data(), kHashLen);
    block_len = kHashLen;
  }
  secure_wipe(temp_key);
  secure_wipe(block);
  return status;
}

void ChaChaPoly::CtxFree::operator()(evp_cipher_ctx_st* ctx) const {
  // Frees the provider context, which cleanses the key schedule.
  EVP_CIPHER_CTX_free(ctx);
}

Status ChaChaPoly::set_key(ByteView key) {
  if (key.size() != kKeyLen)
    return make_error(Errc::bad_key, "a cipher key is 32 bytes, got " + std::to_string(key.size()));
  // The cipher is bound once per context; re-keying passes only the key.
  const EVP_CIPHER* cipher = nullptr;
  if (!ctx_) {
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_) return make_error(Errc::internal, "cannot allocate an OpenSSL cipher context");
    cipher = EVP_chacha20_poly1305();
  }
  if (EVP_CipherInit_ex2(ctx_.get(), cipher, key.data(), nullptr, 1, nullptr) != 1) {
    ctx_.reset();
    return make_error(Errc::internal, "OpenSSL rejected the ChaCha20-Poly1305 key");
  }
  return {};
}

Result<size_t> ChaChaPoly::encrypt(uint64_t n, ByteView ad, ByteView plaintext,
                                   MutableByteView out) {
  return crypt(true, n, ad, plaintext, out);
}

Result<size_t> ChaChaPoly::decrypt(uint64_t n, ByteView ad, ByteView ciphertext,
                                   MutableByteView out) {
  if (ciphertext.size() < kTagLen)
    return make_error(Errc::decrypt_failed, "ciphertext shorter than its authentication tag");
  return crypt(false, n, ad, ciphertext, out);
}

Result<size_t> ChaChaPoly::crypt(bool encrypting, uint64_t n, ByteView ad, ByteView in,
                                 MutableByteView out) {
  if (!ctx_) return make_error(Errc::invalid_state, "ChaChaPoly used before set_key");
  const size_t len = encrypting ? in.size() : in.size() - kTagLen;
  const size_t need = encrypting ? len + kTagLen : len;
  if (out.size() < need)
    return make_error(Errc::internal, "AEAD output buffer holds " + std::to_string(out.size()) +
                                          " bytes, needs " + std::to_string(need));
  if (len > INT_MAX - 64 || ad.size() > INT_MAX)
    return make_error(Errc::payload_too_large, "AEAD input too large");
  if (overlaps_partially(in, out))
    return make_error(Errc::internal, "AEAD buffers overlap without being in place");

  // §12.3: 32 bits of zeros followed by the little-endian encoding of n.
  uint8_t nonce[12] = {};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  // Read the tag before an in-place decryption could touch the buffer.
  uint8_t tag[kTagLen];
  if (!encrypting) std::memcpy(tag, in.data() + len, kTagLen);

  EVP_CIPHER_CTX* ctx = ctx_.get();
  int outl = 0;
  bool ok = EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, encrypting ? 1 : 0, nullptr) == 1;
  ok = ok && (ad.empty() ||
              EVP_CipherUpdate(ctx, nullptr, &outl, ad.data(), static_cast<int>(ad.size())) == 1);
  ok = ok && (len == 0 ||
              (EVP_CipherUpdate(ctx, out.data(), &outl, in.data(), static_cast<int>(len)) == 1 &&
               static_cast<size_t>(outl) == len));
  ok = ok && (encrypting || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagLen, tag) == 1);
  // Decryption writes plaintext before the tag is checked: never leave it
  // behind when the call fails.
  if (!ok) {
    if (!encrypting) secure_wipe(out.first(len));
    return make_error(Errc::internal, "OpenSSL ChaCha20-Poly1305 failed");
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx, out.data() + len, &final_len) != 1) {
    if (encrypting) return make_error(Errc::internal, "OpenSSL ChaCha20-Poly1305 failed");
    secure_wipe(out.first(len));
    return make_error(Errc::decrypt_failed, "AEAD authentication failed");
  }
  if (encrypting &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagLen, out.data() + len) != 1)
    return make_error(Errc::internal, "OpenSSL did not yield the Poly1305 tag");
  return need;
}

Result<Bytes> encrypt(ByteView key, uint64_t n, ByteView ad, ByteView plaintext) {
  ChaChaPoly aead;
  PEERNET_TRY_VOID(aead.set_key(key));
  Bytes out(plaintext.size() + kTagLen);
  PEERNET_TRY(size_t len, aead.encrypt(n, ad, plaintext, out));
  out.resize(len);
  return out;
}

Result<Bytes> decrypt(ByteView key, uint64_t n, ByteView ad, ByteView ciphertext) {
  ChaChaPoly aead;
  PEERNET_TRY_VOID(aead.set_key(key));
  Bytes out(ciphertext.size() >= kTagLen ? ciphertext.size() - kTagLen : 0);
  PEERNET_TRY(size_t len, aead.decrypt(n, ad, ciphertext, out));
  out.resize(len);
  return out;
}

}  // namespace peernet::noise
