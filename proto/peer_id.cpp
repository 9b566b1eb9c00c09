#include "proto/peer_id.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdlib>

namespace peernet {
namespace {

// RFC 4648 §6 base32 alphabet; a character's index is its code point for
// both base32 and the Luhn check.
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr unsigned kRadix = 32;

constexpr size_t kDataChars = 52;    // ceil(256 / 5)
constexpr size_t kGroupData = 13;    // data characters per check group
constexpr size_t kCheckGroups = 4;   // 4 * 13 = 52
constexpr size_t kCompactChars = kCheckGroups * (kGroupData + 1);  // 56
constexpr size_t kPrintedGroup = 7;  // 56 = 8 printed groups of 7
static_assert(kCheckGroups * kGroupData == kDataChars);
static_assert(kCompactChars % kPrintedGroup == 0);

// The code point of an id character, or -1. Case is ignored, and the digits
// 0, 1 and 8, which the alphabet leaves out precisely because they look like
// O, I and B, are read as those letters: someone copying an id by eye makes
// exactly this mistake, and no valid id can contain them.
int code_point(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == '0') c = 'O';
  if (c == '1') c = 'I';
  if (c == '8') c = 'B';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// Luhn mod N (N = 32): the check code point for `payload`.
//
// Readable form: walk from the right, doubling every other code point
// starting with the rightmost payload character (so the check character,
// appended after it, is not doubled); write each doubled value in base N and
// add its two digits; the check code point brings the total to 0 mod N.
// Like decimal Luhn it catches every single-character substitution, and
// every swap of two different neighbours except 'A' and '7' (code points 0
// and N-1): doubling 0 gives 0, and doubling N-1 gives the digits 1 and N-2,
// which again sum to N-1, so each adds the same doubled or not.
unsigned luhn32_check(std::span<const uint8_t> payload) {
  unsigned factor = 2, sum = 0;
  for (size_t i = payload.size(); i-- > 0;) {
    unsigned addend = factor * payload[i];
    sum += addend / kRadix + addend % kRadix;
    factor = 3 - factor;
  }
  return (kRadix - sum % kRadix) % kRadix;
}

// The number of bytes of the UTF-8 sequence starting at text[i] (1 for
// ASCII and for bytes that do not start a well-formed sequence), so that
// positions in messages count characters as the user sees them.
size_t utf8_length(std::string_view text, size_t i) {
  auto lead = static_cast<uint8_t>(text[i]);
  size_t n = lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3
             : (lead & 0xf8) == 0xf0 ? 4 : 1;
  if (i + n > text.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<uint8_t>(text[i + k]) & 0xc0) != 0x80) return 1;
  return n;
}

// A character quoted for an error message: printable text as is, control
// characters and stray bytes as \xNN, so a message never carries raw bytes.
std::string quote(std::string_view ch) {
  auto b = static_cast<uint8_t>(ch[0]);
  if (ch.size() > 1 || (b >= 0x20 && b < 0x7f)) return "'" + std::string(ch) + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("'\\x") + kHex[b >> 4] + kHex[b & 0xf] + "'";
}

Error bad_id(std::string message) { return make_error(Errc::bad_peer_id, std::move(message)); }

}  // namespace

namespace {

constexpr size_t kTextChars = kCompactChars + kCompactChars / kPrintedGroup - 1;  // 63

// Both forms of one key's id.
struct Encoded {
  PublicKey key;
  std::array<char, kCompactChars> compact;
  std::array<char, kTextChars> text;
};

void encode(const PublicKey& key, Encoded& e) {
  // Base32, most significant bit first (RFC 4648 §6). 256 bits leave one
  // bit for the 52nd character, which the encoder pads with four zeros.
  std::array<uint8_t, kDataChars> data{};
  uint32_t acc = 0;
  unsigned bits = 0;
  size_t n = 0;
  for (uint8_t byte : key.bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data[n++] = static_cast<uint8_t>((acc >> bits) & 31);
    }
  }
  data[n++] = static_cast<uint8_t>((acc << (5 - bits)) & 31);

  size_t c = 0;
  for (size_t g = 0; g < kCheckGroups; ++g) {
    std::span<const uint8_t> chunk(data.data() + g * kGroupData, kGroupData);
    for (uint8_t cp : chunk) e.compact[c++] = kAlphabet[cp];
    e.compact[c++] = kAlphabet[luhn32_check(chunk)];
  }
  size_t t = 0;
  for (size_t i = 0; i < kCompactChars; ++i) {
    if (i > 0 && i % kPrintedGroup == 0) e.text[t++] = '-';
    e.text[t++] = e.compact[i];
  }
  e.key = key;
}

// Every message delivered to a local handler names its peer, and calls name
// theirs in messages, usually one of a few peers: the last few encodings
// are remembered per thread (the check characters and grouping cost
// ~2,500 instructions; a hit is a few 32-byte compares).
const Encoded& encoded(const PublicKey& key) {
  constexpr size_t kSlots = 4;
  thread_local std::array<Encoded, kSlots> cache{};
  thread_local size_t used = 0, next = 0;
  for (size_t i = 0; i < used; ++i)
    if (cache[i].key == key) return cache[i];
  Encoded& e = cache[next];
  next = (next + 1) % kSlots;
  used = std::max(used, next == 0 ? kSlots : next);
  encode(key, e);
  return e;
}

}  // namespace

std::string peer_id_compact(const PublicKey& key) {
  const Encoded& e = encoded(key);
  return std::string(e.compact.data(), e.compact.size());
}

std::string peer_id_text(const PublicKey& key) { return std::string(peer_id_text_view(key)); }

std::string_view peer_id_text_view(const PublicKey& key) {
  const Encoded& e = encoded(key);
  return std::string_view(e.text.data(), e.text.size());
}

Result<PublicKey> parse_peer_id(std::string_view text) {
  // One pass: collect the code points and where each came from, count the
  // characters, and remember the first one outside the alphabet. The
  // length is reported first: a wrong length usually means a truncated or
  // foreign string, where one "invalid character" would mislead.
  std::array<uint8_t, kCompactChars> cps{};
  std::array<size_t, kCompactChars> where{};
  size_t count = 0, pos = 0, bad_pos = 0;
  std::string bad_char;
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8_length(text, i);
    std::string_view ch = text.substr(i, len);
    i += len;
    ++pos;
    if (ch == "-" || ch == " ") continue;
    int cp = len == 1 ? code_point(ch[0]) : -1;
    if (cp < 0 && bad_pos == 0) {
      bad_pos = pos;
      bad_char = quote(ch);
    }
    if (cp >= 0 && count < kCompactChars) {
      cps[count] = static_cast<uint8_t>(cp);
      where[count] = pos;
    }
    ++count;
  }
  if (count != kCompactChars)
    return bad_id("expected " + std::to_string(kCompactChars) +
                  " characters (without dashes), got " + std::to_string(count));
  if (bad_pos != 0)
    return bad_id("invalid character " + bad_char + " at position " + std::to_string(bad_pos) +
                  " (a peer id uses only A-Z and 2-7)");

  std::array<uint8_t, kDataChars> data{};
  for (size_t g = 0; g < kCheckGroups; ++g) {
    const size_t first = g * (kGroupData + 1), check = first + kGroupData;
    std::span<const uint8_t> chunk(cps.data() + first, kGroupData);
    if (luhn32_check(chunk) != cps[check])
      return bad_id("check character of group " + std::to_string(g + 1) +
                    " does not match: a character in positions " + std::to_string(where[first]) +
                    "\u2013" + std::to_string(where[check]) + " is mistyped");
    std::copy(chunk.begin(), chunk.end(), data.begin() + g * kGroupData);
  }

  PublicKey key;
  uint32_t acc = 0;
  unsigned bits = 0;
  size_t n = 0;
  for (uint8_t cp : data) {
    acc = (acc << 5) | cp;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      key.bytes[n++] = static_cast<uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  // Four bits remain. The encoder writes zeros; accepting anything else
  // would give each key sixteen texts, and "same key" would no longer mean
  // "same text" for prefix matching and for people comparing ids by eye.
  if (acc != 0)
    return bad_id("the last key character at position " + std::to_string(where[kCompactChars - 2]) +
                  " has non-zero padding bits (only A or Q can end the key); this text is not "
                  "the peer id of any key");
  return key;
}

std::string short_peer_id(const PublicKey& key) {
  std::string c = peer_id_compact(key);
  return c.substr(0, 4) + "\u2026" + c.substr(c.size() - 4);
}

std::string peer_tag(const PublicKey& key) { return "peer(" + short_peer_id(key) + ")"; }

std::string fingerprint(const PublicKey& key) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  // A one-shot SHA-256 fails only when OpenSSL cannot allocate, and a daemon
  // that cannot allocate a digest context cannot do anything else either.
  if (EVP_Digest(key.bytes.data(), key.bytes.size(), md.data(), &md_len, EVP_sha256(), nullptr) != 1)
    std::abort();
  std::string hex = to_hex(ByteView(md.data(), 8)), out;
  for (size_t i = 0; i < hex.size(); i += 4) {
    if (i > 0) out.push_back('-');
    out += hex.substr(i, 4);
  }
  return out;
}

}  // namespace peernet
