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
#include "proto/rng.hpp"

namespace peernet {

// Encode / decode the file contents (no I/O; fuzzable). Decoding fails with
// Errc::bad_key and a message naming the line; messages never quote the
// key material.
std::string encode_identity_file(const KeyPair& kp);
Result<KeyPair> decode_identity_file(std::string_view text);

// Load the identity at `path` (refusing a file readable by others, see
// read_secret_file). Decoding errors are prefixed with the path.
Result<KeyPair> load_identity(const std::string& path);
// Load it, or create a new one with `rng` (written atomically, mode 0600)
// when the file does not exist. The directory must exist: creating state
// directories is the daemon's job. `created` (when non-null) tells which
// happened.
Result<KeyPair> load_or_create_identity(const std::string& path, Rng& rng, bool* created = nullptr);

}  // namespace peernet
