// The daemon's libuv wrappers. libuv is the only event loop in peernetd.
//
// Completion contract (every asynchronous function in daemon/, after
// libuv's own, docs/src/errors.rst): a function that returns an error never
// invokes its callback; otherwise the callback runs exactly once, later, on
// the loop (never from inside the call that started it), with success or
// the error. The one exception is deliberate: closing or destroying the
// object that owns the operation cancels it silently, because whoever
// closed it already knows and may already be gone (uv_handle.hpp).
//
// Event callbacks (data read, connection accepted, timer fired, signal)
// run once per event until stopped or closed.
//
// No exception crosses a libuv callback: callbacks must not throw.
#pragma once

#include "uv_handle.hpp"    // IWYU pragma: export
#include "uv_pipe.hpp"      // IWYU pragma: export
#include "uv_process.hpp"   // IWYU pragma: export
#include "uv_resolver.hpp"  // IWYU pragma: export
#include "uv_signal.hpp"    // IWYU pragma: export
#include "uv_stream.hpp"    // IWYU pragma: export
#include "uv_tcp.hpp"       // IWYU pragma: export
#include "uv_timer.hpp"     // IWYU pragma: export
