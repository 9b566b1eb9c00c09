// Files that hold secrets or state that must never be half-written
// (identity, trust list). The only filesystem code in proto/: plain POSIX
// calls, no event loop.
#pragma once

#include <sys/types.h>

#include <string>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

// Write `data` to `path` atomically and durably: a temporary file in the
// same directory (created with `mode`), fsync, rename over `path`, fsync of
// the directory. A crash leaves either the old or the new file, never a mix.
// Errc::io_error naming the path and the failing step.
Status write_file_atomic(const std::string& path, ByteView data, mode_t mode = 0600);

// Read a secret file. Refuses (Errc::insecure_file) a file that group or
// others may read or write, with a message that says how to fix it
// ("chmod 600 PATH"); Errc::not_found-like absence is Errc::io_error with
// errno ENOENT reported in `missing` when non-null.
Result<Bytes> read_secret_file(const std::string& path, bool* missing = nullptr);

}  // namespace peernet
