// The daemon's identity on disk: the file proto/identity.hpp's format
// describes, read and created in the state directory. The format itself
// stays in proto, which does no I/O; this is the part that touches files.
#pragma once

#include <string>

#include "proto/identity.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet {

// Load the identity at `path` (refusing a file readable by others, see
// read_secret_file). Decoding errors are prefixed with the path.
Result<KeyPair> load_identity(const std::string& path);
// Load it, or create a new one with `rng` (written atomically, mode 0600)
// when the file does not exist. The directory must exist: creating state
// directories is the daemon's start-up job, not this function's. `created`
// (when non-null) tells which happened.
Result<KeyPair> load_or_create_identity(const std::string& path, Rng& rng, bool* created = nullptr);

}  // namespace peernet
