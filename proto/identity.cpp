#include "proto/identity.hpp"

namespace peernet {
namespace {

constexpr std::string_view kComment =
    "# peernetd identity: the private key of this peer. Keep it secret.\n";
constexpr std::string_view kTag = "PEERNET-IDENTITY-1";
constexpr std::string_view kTagFamily = "PEERNET-IDENTITY-";
// The longest version after kTagFamily that an error message quotes.
constexpr size_t kMaxQuotedVersion = 4;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

Error bad_line(size_t line, const std::string& message) {
  return make_error(Errc::bad_key, "line " + std::to_string(line) + ": " + message);
}

// The key of one PEERNET-IDENTITY-1 line. `rest` is what follows the tag,
// `column` the 1-based column where it starts, for messages.
Result<KeyPair> parse_key(std::string_view rest, size_t column, size_t line) {
  size_t i = 0;
  while (i < rest.size() && is_blank(rest[i])) ++i;
  size_t end = i;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  std::string_view hex = rest.substr(i, end - i);
  for (size_t j = end; j < rest.size(); ++j)
    if (!is_blank(rest[j]))
      return bad_line(line, "unexpected text after the key at column " +
                                std::to_string(column + j));
  if (hex.empty()) return bad_line(line, std::string(kTag) + " is not followed by a key");
  // Lengths and positions only: a message must not carry key material.
  if (hex.size() != 2 * kKeySize)
    return bad_line(line, "the private key must be " + std::to_string(2 * kKeySize) +
                              " hex digits, got " + std::to_string(hex.size()));
  for (size_t j = 0; j < hex.size(); ++j)
    if (!is_hex(hex[j]))
      return bad_line(line, "the private key must be hex digits; column " +
                                std::to_string(column + i + j) + " is not one");
  Bytes priv = from_hex(hex).value();  // checked above
  auto kp = keypair_from_private(priv);
  secure_wipe(priv);
  if (!kp.ok()) return bad_line(line, kp.error().message);
  return kp;
}

}  // namespace

std::string encode_identity_file(const KeyPair& kp) {
  std::string hex = to_hex(kp.priv.view());
  std::string out;
  // One allocation, so no stray copy of the key is left in freed memory.
  out.reserve(kComment.size() + kTag.size() + 1 + hex.size() + 1);
  out += kComment;
  out += kTag;
  out += ' ';
  out += hex;
  out += '\n';
  secure_wipe(hex);
  return out;
}

Result<KeyPair> decode_identity_file(std::string_view text) {
  std::optional<KeyPair> found;
  size_t found_line = 0, line = 0;
  // Every iteration consumes one line, so the loop ends with the text.
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    size_t stop = nl == std::string_view::npos ? text.size() : nl;
    std::string_view l = text.substr(start, stop - start);
    start = stop + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);  // edited on Windows
    size_t i = 0;
    while (i < l.size() && is_blank(l[i])) ++i;
    if (i == l.size() || l[i] == '#') continue;
    std::string_view body = l.substr(i);

    if (body.starts_with(kTag) && (body.size() == kTag.size() || is_blank(body[kTag.size()]))) {
      if (found)
        return bad_line(line, "a second " + std::string(kTag) + " line (the first is line " +
                                  std::to_string(found_line) +
                                  "); an identity file holds exactly one key");
      PEERNET_TRY(KeyPair kp, parse_key(body.substr(kTag.size()), i + kTag.size() + 1, line));
      found = std::move(kp);
      found_line = line;
      continue;
    }
    if (body.starts_with(kTagFamily)) {
      // The version is quoted only when it is short: "PEERNET-IDENTITY-1"
      // with the key right after it (no space) would otherwise put the key's
      // first digits in the message.
      size_t end = kTagFamily.size();
      while (end < body.size() && !is_blank(body[end])) ++end;
      const size_t version = end - kTagFamily.size();
      const std::string what =
          version <= kMaxQuotedVersion
              ? "'" + std::string(body.substr(0, end)) + "'"
              : "(" + std::string(kTagFamily) + " followed by " + std::to_string(version) +
                    " characters)";
      return bad_line(line, "unsupported identity file version " + what + "; this peernetd reads " +
                                std::string(kTag));
    }
    // Not quoted: a line that is not ours might be a bare key.
    return bad_line(line, "expected a comment or '" + std::string(kTag) +
                              " <64 hex digits of the private key>'");
  }
  if (!found)
    return make_error(Errc::bad_key, "no " + std::string(kTag) +
                                         " line; expected '" + std::string(kTag) +
                                         " <64 hex digits of the private key>'");
  return std::move(*found);
}

}  // namespace peernet
