// The pairing code a person reads off one box and types into the other.
//
//   "417-k7hx2"
//    ^^^ ^^^^^
//    |   secret: 5 characters of a 32-letter alphabet, 25 bits. It never
//    |           leaves the two boxes: it is the password of the PAKE
//    |           (proto/pairing/cpace.hpp), so a wrong guess costs an attacker
//    |           one online attempt and teaches nothing offline.
//    nameplate: 3 decimal digits, public. The box with the open window
//               announces it on the LAN, so the other box finds the right
//               peer, and two boxes pairing at once on one LAN do not spend
//               each other's attempts (the shape of Magic Wormhole's
//               nameplates).
//
// The alphabet is Crockford's base32 in lower case (digits and letters
// without i, l, o, u), so a code read aloud or written by hand is hard to
// mistype; parsing folds upper case, takes 'o' for '0' and 'i'/'l' for '1',
// and ignores spaces and dashes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet::pairing {

inline constexpr size_t kNameplateDigits = 3;
inline constexpr size_t kSecretChars = 5;
inline constexpr size_t kSecretBits = kSecretChars * 5;  // 25

struct Code {
  std::string nameplate;  // kNameplateDigits decimal digits
  std::string secret;     // kSecretChars characters of the alphabet, canonical
  // "417-k7hx2".
  std::string text() const;
  friend bool operator==(const Code&, const Code&) = default;
};

// A fresh code: the nameplate and the secret drawn independently and
// uniformly (rejection sampling, no modulo bias).
Code generate_code(Rng& rng);

// Parses what a person typed. Errc::bad_request with a message that says
// what is wrong ("417-k7hx": the secret has 4 characters, expected 5").
Result<Code> parse_code(std::string_view text);

// Whether `text` is a well-formed nameplate (announcements carry it).
bool valid_nameplate(std::string_view text);

}  // namespace peernet::pairing
