// Files that hold secrets or state that must never be half-written
// (identity, trust list). Plain blocking POSIX calls, no event loop: the
// daemon reads and writes these files at start-up and on rare changes, and
// they are small, so blocking the loop for them costs nothing worth a thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

// The largest file read_secret_file accepts by default. An identity file is
// a few hundred bytes; anything near this is not one of ours.
inline constexpr size_t kMaxSecretFileSize = 64 * 1024;
// The trust list's cap: about 90 bytes per peer, so room for some 100,000
// peers, each with an alias and addresses.
inline constexpr size_t kMaxTrustFileSize = 16 * 1024 * 1024;

// Write `data` to `path` atomically and durably: a temporary file in the
// same directory (created with exactly `mode`, whatever the umask), fsync,
// rename over `path`, fsync of the directory. A crash leaves either the old
// or the new file, never a mix, and a failure leaves no temporary file.
// The directory must exist. Errc::io_error naming the path and the failing
// step.
Status write_file_atomic(const std::string& path, ByteView data, mode_t mode = 0600);

// Read a secret file. Refuses (Errc::insecure_file) a file that group or
// others may read or write, with a message that says how to fix it
// ("chmod 600 PATH"), and a symbolic link. Errc::io_error for anything else:
// not a regular file, larger than `max_size`, or an OS error. When
// the file does not exist (ENOENT) `*missing` is set to true, so callers can
// tell "create it" from "cannot read it"; it is false in every other case.
Result<Bytes> read_secret_file(const std::string& path, bool* missing = nullptr,
                               size_t max_size = kMaxSecretFileSize);

}  // namespace peernet
