#include "exit_code.hpp"

namespace peernet::ctl {

int exit_code(Errc code) {
  switch (code) {
    case Errc::bad_request:
    case Errc::bad_peer_id:
      return kExitUsage;
    case Errc::peer_offline:
      return kExitPeerOffline;
    case Errc::timeout:
      return kExitTimeout;
    case Errc::forbidden:
    case Errc::untrusted_peer:
    case Errc::pairing_failed:
      return kExitDenied;
    case Errc::no_such_peer:
    case Errc::ambiguous_peer:
    case Errc::no_such_handle:
      return kExitNotFound;
    case Errc::busy:
    case Errc::payload_too_large:
      return kExitDropped;
    case Errc::closed:
      return kExitNoDaemon;
    default:
      return kExitError;
  }
}

}  // namespace peernet::ctl
