#include "base/random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "proto/bytes.hpp"

namespace peernet {

namespace {

void os_fill(std::span<uint8_t> out) {
  // RAND_bytes takes an int length.
  while (!out.empty()) {
    size_t n = std::min<size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      char reason[256];
      ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
      std::fprintf(stderr, "<2>peernetd: the OpenSSL random generator failed (%s); aborting\n", reason);
      std::abort();
    }
    out = out.subspan(n);
  }
}

}  // namespace

OsRng::~OsRng() { secure_wipe(buffer_); }

void OsRng::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (out.size() > kBufferSize / 4) return os_fill(out);
  if (available_ < out.size()) {
    os_fill(buffer_);
    available_ = kBufferSize;
  }
  std::span<uint8_t> take(buffer_.data() + (kBufferSize - available_), out.size());
  std::memcpy(out.data(), take.data(), take.size());
  secure_wipe(take);
  available_ -= take.size();
}

}  // namespace peernet
