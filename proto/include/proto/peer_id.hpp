// Peer id text: the human form of a peer's X25519 public key.
//
// Format (guides/protocol.md, "Peer ids"): the 32 key bytes in RFC 4648
// base32 without padding (52 characters; the last carries one bit and four
// zero bits), split into 4 chunks of 13, each followed by a Luhn mod 32 check
// character (56 characters), written in 8 groups of 7 joined by '-':
//   ABCDEFG-HIJKLMN-OPQRSTU-VWXYZ23-4567ABC-DEFGHIJ-KLMNOPQ-RSTUVWX
// Parsing ignores case, '-' and spaces, so a mistyped character or a swapped
// neighbouring pair is reported as a typo instead of naming another key.
#pragma once

#include <string>
#include <string_view>

#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet {

// The full grouped peer id (63 characters).
std::string peer_id_text(const PublicKey& key);
// Parse a full peer id; Errc::bad_peer_id with a message that says what is
// wrong and where (length, invalid character, check character of group N).
Result<PublicKey> parse_peer_id(std::string_view text);
// The peer id without separators, upper case (56 characters); what prefix
// matching of peer names compares against.
std::string peer_id_compact(const PublicKey& key);
// "ABCD…WXYZ": first and last four characters of the compact id, for logs.
std::string short_peer_id(const PublicKey& key);
// "peer(ABCD…WXYZ)": the one formatter every log line uses for a peer.
std::string peer_tag(const PublicKey& key);
// A short fingerprint to compare keys out of band: the first 8 bytes of
// SHA-256(public key) in hex, grouped by two bytes: "3f2a-91bc-0e44-7d10".
std::string fingerprint(const PublicKey& key);

}  // namespace peernet
