// PEERNET_API marks what libpeernet-client exports. The library is built
// with -fvisibility=hidden, so everything else in it, including the
// internal client and protocol code it is made of, stays private.
#pragma once

#if defined(PEERNET_CLIENT_BUILDING)
#define PEERNET_API __attribute__((visibility("default")))
#else
#define PEERNET_API
#endif
