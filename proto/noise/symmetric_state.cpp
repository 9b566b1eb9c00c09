#include "proto/noise/symmetric_state.hpp"

#include <cstring>

namespace peernet::noise {
namespace {

// HASHLEN is 32 and the cipher key is 32 bytes, so HKDF outputs are used
// whole: the truncation §5.2 asks for when HASHLEN is 64 never applies.
static_assert(kHashLen == kKeyLen);

// Wipes a fixed set of HKDF outputs on scope exit.
template <size_t N>
struct HkdfOutputs {
  std::array<Digest, N> v{};
  ~HkdfOutputs() {
    for (auto& d : v) secure_wipe(d);
  }
};

}  // namespace

SymmetricState::~SymmetricState() { secure_wipe(ck_); }

Result<SymmetricState> SymmetricState::initialize(std::string_view protocol_name) {
  SymmetricState ss;
  // A name of at most HASHLEN bytes is zero-padded into h; a longer one is
  // hashed. ck starts equal to h, and k is empty.
  if (protocol_name.size() <= kHashLen) {
    std::memcpy(ss.h_.data(), protocol_name.data(), protocol_name.size());
  } else {
    PEERNET_TRY(ss.h_, hash({as_bytes(protocol_name)}));
  }
  ss.ck_ = ss.h_;
  return ss;
}

Status SymmetricState::mix_key(ByteView input_key_material) {
  // ck, temp_k = HKDF(ck, input_key_material, 2); InitializeKey(temp_k).
  HkdfOutputs<2> out;
  PEERNET_TRY_VOID(hkdf(ck_, input_key_material, out.v));
  PEERNET_TRY_VOID(cipher_.initialize_key(out.v[1]));
  ck_ = out.v[0];
  return {};
}

Status SymmetricState::mix_hash(ByteView data) {
  // h = HASH(h || data).
  PEERNET_TRY(h_, hash({h_, data}));
  return {};
}

Status SymmetricState::mix_key_and_hash(ByteView input_key_material) {
  // ck, temp_h, temp_k = HKDF(ck, input_key_material, 3); MixHash(temp_h);
  // InitializeKey(temp_k).
  HkdfOutputs<3> out;
  PEERNET_TRY_VOID(hkdf(ck_, input_key_material, out.v));
  PEERNET_TRY(Digest h, hash({h_, out.v[1]}));
  PEERNET_TRY_VOID(cipher_.initialize_key(out.v[2]));
  ck_ = out.v[0];
  h_ = h;
  return {};
}

Status SymmetricState::encrypt_and_hash(ByteView plaintext, Bytes& out) {
  // ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext).
  const size_t start = out.size();
  out.resize(start + plaintext.size() + (cipher_.has_key() ? kTagLen : 0));
  MutableByteView dest(out.data() + start, out.size() - start);
  auto len = cipher_.encrypt_with_ad(h_, plaintext, dest);
  if (!len.ok()) {
    out.resize(start);
    return std::move(len).error();
  }
  return mix_hash(dest.first(*len));
}

Result<Bytes> SymmetricState::decrypt_and_hash(ByteView ciphertext) {
  // plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext).
  PEERNET_TRY(Bytes plaintext, cipher_.decrypt_with_ad(h_, ciphertext));
  PEERNET_TRY_VOID(mix_hash(ciphertext));
  return plaintext;
}

Result<std::pair<CipherState, CipherState>> SymmetricState::split() const {
  // temp_k1, temp_k2 = HKDF(ck, zerolen, 2); two fresh CipherStates.
  HkdfOutputs<2> out;
  PEERNET_TRY_VOID(hkdf(ck_, {}, out.v));
  CipherState c1, c2;
  PEERNET_TRY_VOID(c1.initialize_key(out.v[0]));
  PEERNET_TRY_VOID(c2.initialize_key(out.v[1]));
  return std::pair<CipherState, CipherState>(std::move(c1), std::move(c2));
}

Result<SymmetricState> SymmetricState::clone() const {
  SymmetricState copy;
  PEERNET_TRY(copy.cipher_, cipher_.clone());
  copy.ck_ = ck_;
  copy.h_ = h_;
  return copy;
}

}  // namespace peernet::noise
