#include "random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace peernet {

void OsRng::fill(std::span<uint8_t> out) {
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

}  // namespace peernet
