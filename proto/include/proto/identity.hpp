// The daemon's own identity: one X25519 static keypair, kept in a file.
//
// File format (text, mode 0600):
//   # peernetd identity: the private key of this peer. Keep it secret.
//   PEERNET-IDENTITY-1 <64 hex digits of the private key>
// Blank lines and lines starting with '#' are ignored; exactly one
// PEERNET-IDENTITY-1 line is required. The public key is derived, never
// stored, so the two cannot disagree.
#pragma once

#include <string>
#include <string_view>

#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet {

// Encode / decode the file contents (no I/O; fuzzable). Reading and writing
// the file is the daemon's (daemon/store/identity_file.hpp). Decoding fails with
// Errc::bad_key and a message naming the line; messages never quote the
// key material.
std::string encode_identity_file(const KeyPair& kp);
Result<KeyPair> decode_identity_file(std::string_view text);

}  // namespace peernet
