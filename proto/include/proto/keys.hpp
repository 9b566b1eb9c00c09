// X25519 keys. A peer's public key is its address: peers are named and
// found by key, whatever IP address they have today (ARCHITECTURE.md).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>

#include "proto/bytes.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet {

inline constexpr size_t kKeySize = 32;

struct PublicKey {
  std::array<uint8_t, kKeySize> bytes{};

  ByteView view() const { return bytes; }
  friend auto operator<=>(const PublicKey&, const PublicKey&) = default;
  static Result<PublicKey> from(ByteView b);
};

// A private key wipes itself when destroyed. Copying is allowed (the daemon
// keeps one identity) but every copy wipes on its own destruction.
struct PrivateKey {
  std::array<uint8_t, kKeySize> bytes{};
  // OpenSSL's form of the key (an EVP_PKEY), kept by keypair_from_private()
  // and the first x25519() and shared by copies: importing an X25519
  // private key computes its public key, a scalar multiplication that
  // would otherwise be paid on every Diffie-Hellman. x25519() uses it only
  // while it still holds `bytes`.
  mutable std::shared_ptr<void> evp;

  PrivateKey() = default;
  PrivateKey(const PrivateKey&) = default;
  PrivateKey& operator=(const PrivateKey&) = default;
  ~PrivateKey() { secure_wipe(bytes); }
  ByteView view() const { return bytes; }
};

struct KeyPair {
  PrivateKey priv;
  PublicKey pub;
};

// Derive the public key of a 32-byte X25519 private key.
Result<KeyPair> keypair_from_private(ByteView priv);
// A fresh keypair from the injected generator.
KeyPair generate_keypair(Rng& rng);
// X25519(priv, pub). Fails with Errc::bad_key when the result is all zeros
// (a low-order public key), as RFC 7748 §6.1 permits checking.
Result<std::array<uint8_t, kKeySize>> x25519(const PrivateKey& priv, const PublicKey& pub);

}  // namespace peernet

template <>
struct std::hash<peernet::PublicKey> {
  size_t operator()(const peernet::PublicKey& k) const noexcept {
    // Keys are uniformly random; any 8 bytes make a good hash.
    size_t h;
    std::memcpy(&h, k.bytes.data(), sizeof h);
    return h;
  }
};
