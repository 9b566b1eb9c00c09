// Peer id text: the human form of a peer's X25519 public key.
//
// Format (guides/protocol.md, "Peer ids"): the 32 key bytes in RFC 4648
// base32 (A-Z, 2-7) without padding (52 characters; the last carries one
// key bit and four zero bits), split into 4 check groups of 13, each followed
// by a Luhn mod 32 check character (56 characters), written in 8 groups of 7
// joined by '-' (a check group is two printed groups):
//   ABCDEFG-HIJKLMN-OPQRSTU-VWXYZ23-4567ABC-DEFGHIJ-KLMNOPQ-RSTUVWX
// Every key has exactly one text, and every text names at most one key.
//
// Parsing ignores case, '-' and spaces, and reads the look-alikes 0, 1 and 8
// (which base32 does not use) as O, I and B. A mistyped character or a
// swapped neighbouring pair is then reported as a typo instead of naming
// another key.
#pragma once

#include <string>
#include <string_view>

#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet {

// The full grouped peer id (63 characters).
std::string peer_id_text(const PublicKey& key);
// The same without allocating, for encoders: the view stays valid until the
// calling thread formats four other keys.
std::string_view peer_id_text_view(const PublicKey& key);
// Parse a peer id, grouped or compact. Errc::bad_peer_id with a message that
// says what is wrong and where: the length (counted without separators), an
// invalid character, the check group whose check character does not match,
// or non-zero padding bits. Positions count characters of `text` from 1,
// separators included.
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
