// Private announcements (protocol.md §11.4): a TXT record and names that
// only a peer which already knows the announcer's static public key can
// recognise, and that nobody can link from one generation to the next.
//
//     TXT  "v=1" "n=<nonce>" "t=<tag>"
//     nonce = 16 random bytes, fresh for every generation (lower-case hex)
//     tag   = first 16 bytes of HMAC-SHA256(key = announcer's static public
//             key, data = "peernet-mdns-v1" || nonce)          (lower-case hex)
//     <I>   = "peernet-<8 random hex>", <H> = "pn-<12 random hex>"
//
// A receiver recognises a trusted peer by computing the tag under each key
// it trusts: one HMAC per trusted key per announcement.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/dns/mdns.hpp"
#include "proto/dns/sd.hpp"
#include "proto/keys.hpp"
#include "proto/rng.hpp"

namespace peernet {

inline constexpr std::string_view kMdnsPrivateLabel = "peernet-mdns-v1";
inline constexpr std::string_view kMdnsTxtNonce = "n";
inline constexpr std::string_view kMdnsTxtTag = "t";
inline constexpr size_t kMdnsNonceSize = 16;
inline constexpr size_t kMdnsTagSize = 16;

using MdnsNonce = std::array<uint8_t, kMdnsNonceSize>;
using MdnsTag = std::array<uint8_t, kMdnsTagSize>;

// The tag of `key` for `nonce` (above).
MdnsTag private_tag(const PublicKey& key, const MdnsNonce& nonce);

// One generation of a private announcement: its TXT, instance and host
// labels, all from fresh randomness.
struct PrivateAnnouncement {
  MdnsNonce nonce{};
  std::string instance;  // "peernet-<8 hex>"
  std::string host;      // "pn-<12 hex>"
  std::vector<TxtAttribute> txt;  // v=1, n=, t=
};
PrivateAnnouncement make_private_announcement(const PublicKey& own, Rng& rng);

// The nonce and tag of a private TXT ("n=" and "t=" of the right sizes in
// hex), or nullopt when the attributes are not a private announcement.
struct PrivateMark {
  MdnsNonce nonce{};
  MdnsTag tag{};
};
std::optional<PrivateMark> parse_private_txt(const std::vector<TxtAttribute>& attributes);

// Whether `mark` was made by `key` (constant time in the tag).
bool private_mark_matches(const PrivateMark& mark, const PublicKey& key);

// The first of `keys` that made `mark`, or nullopt: one HMAC per key.
std::optional<PublicKey> recognise_private(const PrivateMark& mark, std::span<const PublicKey> keys);

}  // namespace peernet
