// An error that arrived as text: the code and message of a peer's error
// reply, or of the daemon's error response on the control socket.
#pragma once

#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace peernet {

// A code this build knows (errc_from_string) stays itself, with `message`.
// Any other code is a handler's own ("not_found", "quota"), so it becomes
// Errc::handler_failed with the code kept at the front of the message
// ("not_found: no such user", or just "not_found"): the caller still sees
// what the handler said, and code that switches on Errc sees a known value.
Error error_from_remote(std::string_view code, std::string message);

}  // namespace peernet
