#include "proto/pairing/code.hpp"

#include "proto/text.hpp"

namespace peernet::pairing {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
static_assert(kAlphabet.size() == 32);

// A uniform value below `bound` (at most 256) from one byte at a time.
uint32_t uniform_below(Rng& rng, uint32_t bound) {
  const uint32_t limit = 256 - 256 % bound;  // the largest multiple of bound <= 256
  for (;;) {
    uint8_t b = 0;
    rng.fill(std::span<uint8_t>(&b, 1));
    if (b < limit) return b % bound;
  }
}

// The canonical character for what a person typed, or 0 when it is none.
char fold(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (c == 'o') return '0';
  if (c == 'i' || c == 'l') return '1';
  return kAlphabet.find(c) == std::string_view::npos ? 0 : c;
}

}  // namespace

std::string Code::text() const { return nameplate + "-" + secret; }

Code generate_code(Rng& rng) {
  Code c;
  for (size_t i = 0; i < kNameplateDigits; ++i)
    c.nameplate += static_cast<char>('0' + uniform_below(rng, 10));
  for (size_t i = 0; i < kSecretChars; ++i) c.secret += kAlphabet[uniform_below(rng, 32)];
  return c;
}

bool valid_nameplate(std::string_view text) {
  if (text.size() != kNameplateDigits) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

Result<Code> parse_code(std::string_view text) {
  auto fail = [&](std::string why) {
    return make_error(Errc::bad_request, "pairing code " + quote(text) + ": " + why +
                                             " (expected the form 417-k7hx2)");
  };
  // The nameplate is the digits before the first dash, or the first three
  // characters when the person typed none.
  std::string compact;
  size_t dash = std::string_view::npos;
  for (char c : text) {
    if (c == ' ' || c == '\t') continue;
    if (c == '-') {
      if (dash == std::string_view::npos) dash = compact.size();
      continue;
    }
    compact += c;
  }
  if (compact.size() > 64) return fail("too long");
  size_t split = dash == std::string_view::npos ? kNameplateDigits : dash;
  if (split != kNameplateDigits || compact.size() < split)
    return fail("the part before the dash must be " + std::to_string(kNameplateDigits) + " digits");
  Code c;
  c.nameplate = compact.substr(0, split);
  if (!valid_nameplate(c.nameplate))
    return fail("the part before the dash must be " + std::to_string(kNameplateDigits) + " digits");
  for (char raw : compact.substr(split)) {
    char f = fold(raw);
    if (f == 0) return fail(std::string("'") + (raw >= 0x20 && raw < 0x7f ? std::string(1, raw) : std::string("?")) +
                            "' is not a letter of the code");
    c.secret += f;
  }
  if (c.secret.size() != kSecretChars)
    return fail("the secret has " + std::to_string(c.secret.size()) + " characters, expected " +
                std::to_string(kSecretChars));
  return c;
}

}  // namespace peernet::pairing
