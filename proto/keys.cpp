#include "proto/keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace peernet {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

std::shared_ptr<void> share(PkeyPtr p) { return std::shared_ptr<void>(p.release(), [](void* k) {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(k));
}); }

// The EVP_PKEY of `priv`: the one it keeps if that still holds its bytes,
// else a fresh import, kept for next time.
EVP_PKEY* evp_of(const PrivateKey& priv) {
  if (priv.evp) {
    uint8_t held[kKeySize];
    size_t len = sizeof held;
    auto* k = static_cast<EVP_PKEY*>(priv.evp.get());
    bool same = EVP_PKEY_get_raw_private_key(k, held, &len) == 1 && len == kKeySize &&
                CRYPTO_memcmp(held, priv.bytes.data(), kKeySize) == 0;
    OPENSSL_cleanse(held, sizeof held);
    if (same) return k;
  }
  PkeyPtr fresh(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.bytes.data(), kKeySize));
  if (!fresh) return nullptr;
  priv.evp = share(std::move(fresh));
  return static_cast<EVP_PKEY*>(priv.evp.get());
}

}  // namespace

Result<PublicKey> PublicKey::from(ByteView b) {
  if (b.size() != kKeySize)
    return make_error(Errc::bad_key, "a public key is 32 bytes, got " + std::to_string(b.size()));
  PublicKey k;
  std::memcpy(k.bytes.data(), b.data(), kKeySize);
  return k;
}

Result<KeyPair> keypair_from_private(ByteView priv) {
  if (priv.size() != kKeySize)
    return make_error(Errc::bad_key, "a private key is 32 bytes, got " + std::to_string(priv.size()));
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data(), priv.size()));
  if (!pkey) return make_error(Errc::bad_key, "OpenSSL rejected the X25519 private key");
  KeyPair kp;
  std::memcpy(kp.priv.bytes.data(), priv.data(), kKeySize);
  size_t len = kKeySize;
  if (EVP_PKEY_get_raw_public_key(pkey.get(), kp.pub.bytes.data(), &len) != 1 || len != kKeySize)
    return make_error(Errc::internal, "cannot derive the X25519 public key");
  kp.priv.evp = share(std::move(pkey));
  return kp;
}

KeyPair generate_keypair(Rng& rng) {
  PrivateKey priv;
  rng.fill(priv.bytes);
  // X25519 clamps internally, so any 32 bytes are a valid private key.
  auto kp = keypair_from_private(priv.view());
  assert(kp.ok());
  return std::move(kp).value();
}

Result<std::array<uint8_t, kKeySize>> x25519(const PrivateKey& priv, const PublicKey& pub) {
  EVP_PKEY* mine = evp_of(priv);
  PkeyPtr theirs(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, pub.bytes.data(), kKeySize));
  if (!mine || !theirs) return make_error(Errc::bad_key, "OpenSSL rejected an X25519 key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(mine, nullptr));
  std::array<uint8_t, kKeySize> out{};
  size_t len = out.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != kKeySize) {
    // OpenSSL refuses an all-zero shared secret (low-order point) here.
    return make_error(Errc::bad_key, "X25519 failed: the remote public key is of low order");
  }
  return out;
}

}  // namespace peernet
