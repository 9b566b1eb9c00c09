// What a fuzz target checks beyond "does not crash": a broken invariant
// aborts, so that the driver and libFuzzer alike stop and report the input
// that broke it. The message starts with the program's name, which is the
// target's ("rpc_fuzz"), so that a log of several targets says which failed.
#pragma once

#include <errno.h>  // program_invocation_short_name (glibc)

#include <cstdio>
#include <cstdlib>

namespace peernet {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what);
    std::abort();
  }
}

}  // namespace peernet
