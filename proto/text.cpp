#include "proto/text.hpp"

namespace peernet {
namespace {

// Long enough for any name or address worth reading in a log line; short
// enough that a hostile megabyte string does not become a megabyte line.
constexpr size_t kQuoteLimit = 256;

}  // namespace

void append_escaped(std::string& out, std::string_view s, bool escape_quotes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (escape_quotes && (c == '"' || c == '\\')) {
      out += '\\';
      out += ch;
    } else {
      out += ch;
    }
  }
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  bool cut = s.size() > kQuoteLimit;
  append_escaped(out, s.substr(0, kQuoteLimit), true);
  out += cut ? "\"..." : "\"";
  return out;
}

}  // namespace peernet
