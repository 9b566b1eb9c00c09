// peernetctl's exit codes: stable, documented (README.md, "peernetctl"),
// and derived from the error code alone, so that scripts can tell "peer
// offline" from "timeout" from "denied" without parsing messages.
#pragma once

#include "proto/result.hpp"

namespace peernet::ctl {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // anything not below
  kExitUsage = 2,        // bad command line, bad JSON, a typo in a peer id, bad_request
  kExitPeerOffline = 3,  // peer_offline, including a send dropped for it
  kExitTimeout = 4,      // timeout
  kExitDenied = 5,       // forbidden, untrusted_peer, pairing_failed
  kExitNotFound = 6,     // no_such_peer, ambiguous_peer, no_such_handle
  kExitDropped = 7,      // busy, payload_too_large (a call refused or a send dropped)
  kExitNoDaemon = 8,     // closed: no socket, nobody listening, or the daemon went away
};

int exit_code(Errc code);

}  // namespace peernet::ctl
