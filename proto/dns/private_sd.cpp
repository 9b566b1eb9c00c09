#include "proto/dns/private_sd.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>

#include "proto/noise/crypto.hpp"

namespace peernet {
namespace {

template <size_t N>
std::optional<std::array<uint8_t, N>> hex_array(const TxtAttribute* a) {
  if (a == nullptr || !a->value || a->value->size() != 2 * N) return std::nullopt;
  auto bytes = from_hex(*a->value);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string random_hex(Rng& rng, size_t bytes) {
  Bytes b(bytes);
  rng.fill(b);
  return to_hex(b);
}

}  // namespace

MdnsTag private_tag(const PublicKey& key, const MdnsNonce& nonce) {
  Bytes data(kMdnsPrivateLabel.begin(), kMdnsPrivateLabel.end());
  data.insert(data.end(), nonce.begin(), nonce.end());
  auto mac = noise::hmac_hash(key.view(), data);
  // HMAC-SHA256 fails only when OpenSSL cannot run at all: the handshake
  // could not either.
  if (!mac) std::abort();
  MdnsTag tag{};
  std::copy_n(mac->begin(), kMdnsTagSize, tag.begin());
  return tag;
}

PrivateAnnouncement make_private_announcement(const PublicKey& own, Rng& rng) {
  PrivateAnnouncement a;
  rng.fill(a.nonce);
  a.instance = "peernet-" + random_hex(rng, 4);
  a.host = "pn-" + random_hex(rng, 6);
  a.txt = {{"v", std::string(kMdnsTxtVersion)},
           {std::string(kMdnsTxtNonce), to_hex(a.nonce)},
           {std::string(kMdnsTxtTag), to_hex(private_tag(own, a.nonce))}};
  return a;
}

std::optional<PrivateMark> parse_private_txt(const std::vector<TxtAttribute>& attributes) {
  auto nonce = hex_array<kMdnsNonceSize>(find_txt(attributes, kMdnsTxtNonce));
  auto tag = hex_array<kMdnsTagSize>(find_txt(attributes, kMdnsTxtTag));
  if (!nonce || !tag) return std::nullopt;
  return PrivateMark{*nonce, *tag};
}

bool private_mark_matches(const PrivateMark& mark, const PublicKey& key) {
  MdnsTag tag = private_tag(key, mark.nonce);
  return CRYPTO_memcmp(tag.data(), mark.tag.data(), tag.size()) == 0;
}

std::optional<PublicKey> recognise_private(const PrivateMark& mark, std::span<const PublicKey> keys) {
  for (const PublicKey& k : keys)
    if (private_mark_matches(mark, k)) return k;
  return std::nullopt;
}

}  // namespace peernet
