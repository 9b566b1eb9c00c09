// Small text helpers shared by the daemon, peernetctl and the codecs: how
// untrusted strings are shown, and how numbers are written in messages.
#pragma once

#include <string>
#include <string_view>

namespace peernet {

// Appends `s` with control characters (and, with `escape_quotes`, '"' and
// '\') escaped as \xNN / \" / \\, so that a hostile string cannot forge a
// log line or a terminal sequence. UTF-8 is kept as it is.
void append_escaped(std::string& out, std::string_view s, bool escape_quotes);

// `s` in double quotes, escaped as above and cut after 256 bytes ("…"...).
std::string quote(std::string_view s);

}  // namespace peernet
