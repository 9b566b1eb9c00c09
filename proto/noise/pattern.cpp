#include "proto/noise/pattern.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace peernet::noise {
namespace {

struct PatternDef {
  std::string_view name;
  // The pattern in the spec's notation, one message per '|'-separated line;
  // a "..." line ends the pre-messages.
  std::string_view text;
};

// Copied from the spec's tables, line for line.
constexpr PatternDef kPatterns[] = {
    // §7.4 one-way patterns.
    {"N", "<- s | ... | -> e, es"},
    {"K", "-> s | <- s | ... | -> e, es, ss"},
    {"X", "<- s | ... | -> e, es, s, ss"},
    // §7.5 fundamental interactive patterns.
    {"NN", "-> e | <- e, ee"},
    {"NK", "<- s | ... | -> e, es | <- e, ee"},
    {"NX", "-> e | <- e, ee, s, es"},
    {"KN", "-> s | ... | -> e | <- e, ee, se"},
    {"KK", "-> s | <- s | ... | -> e, es, ss | <- e, ee, se"},
    {"KX", "-> s | ... | -> e | <- e, ee, se, s, es"},
    {"XN", "-> e | <- e, ee | -> s, se"},
    {"XK", "<- s | ... | -> e, es | <- e, ee | -> s, se"},
    {"XX", "-> e | <- e, ee, s, es | -> s, se"},
    {"IN", "-> e, s | <- e, ee, se"},
    {"IK", "<- s | ... | -> e, es, s, ss | <- e, ee, se"},
    {"IX", "-> e, s | <- e, ee, se, s, es"},
    // §7.6 deferred interactive patterns.
    {"NK1", "<- s | ... | -> e | <- e, ee, es"},
    {"NX1", "-> e | <- e, ee, s | -> es"},
    {"X1N", "-> e | <- e, ee | -> s | <- se"},
    {"X1K", "<- s | ... | -> e, es | <- e, ee | -> s | <- se"},
    {"XK1", "<- s | ... | -> e | <- e, ee, es | -> s, se"},
    {"X1K1", "<- s | ... | -> e | <- e, ee, es | -> s | <- se"},
    {"X1X", "-> e | <- e, ee, s, es | -> s | <- se"},
    {"XX1", "-> e | <- e, ee, s | -> es, s, se"},
    {"X1X1", "-> e | <- e, ee, s | -> es, s | <- se"},
    {"K1N", "-> s | ... | -> e | <- e, ee | -> se"},
    {"K1K", "-> s | <- s | ... | -> e, es | <- e, ee | -> se"},
    {"KK1", "-> s | <- s | ... | -> e | <- e, ee, se, es"},
    {"K1K1", "-> s | <- s | ... | -> e | <- e, ee, es | -> se"},
    {"K1X", "-> s | ... | -> e | <- e, ee, s, es | -> se"},
    {"KX1", "-> s | ... | -> e | <- e, ee, se, s | -> es"},
    {"K1X1", "-> s | ... | -> e | <- e, ee, s | -> se, es"},
    {"I1N", "-> e, s | <- e, ee | -> se"},
    {"I1K", "<- s | ... | -> e, es, s | <- e, ee | -> se"},
    {"IK1", "<- s | ... | -> e, s | <- e, ee, se, es"},
    {"I1K1", "<- s | ... | -> e, s | <- e, ee, es | -> se"},
    {"I1X", "-> e, s | <- e, ee, s, es | -> se"},
    {"IX1", "-> e, s | <- e, ee, se, s | -> es"},
    {"I1X1", "-> e, s | <- e, ee, s | -> se, es"},
};

constexpr std::array<std::string_view, 7> kTokenNames = {"e", "s", "ee", "es", "se", "ss", "psk"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits on `sep`, trimming spaces around each piece when asked.
std::vector<std::string_view> split(std::string_view s, char sep, bool trim_spaces = true) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t at = s.find(sep);
    std::string_view piece = s.substr(0, at);
    out.push_back(trim_spaces ? trim(piece) : piece);
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

Error table_error(std::string_view name, std::string_view what) {
  return make_error(Errc::internal,
                    "pattern table entry " + std::string(name) + ": " + std::string(what));
}

// Turns a table entry into token lists. The table is ours, so a malformed
// entry is a bug (Errc::internal), caught by the pattern unit test.
Result<HandshakePattern> from_notation(const PatternDef& def) {
  HandshakePattern p;
  p.name = def.name;
  std::vector<std::string_view> lines = split(def.text, '|');
  bool has_pre = std::find(lines.begin(), lines.end(), "...") != lines.end();
  bool in_pre = has_pre;
  for (std::string_view line : lines) {
    if (line == "...") {
      in_pre = false;
      continue;
    }
    bool from_initiator = line.starts_with("->");
    if (!from_initiator && !line.starts_with("<-")) return table_error(def.name, "line lacks an arrow");
    std::vector<Token> tokens;
    for (std::string_view word : split(line.substr(2), ',')) {
      auto it = std::find(kTokenNames.begin(), kTokenNames.end(), word);
      if (it == kTokenNames.end()) return table_error(def.name, "unknown token");
      tokens.push_back(static_cast<Token>(it - kTokenNames.begin()));
    }
    if (in_pre) {
      for (Token t : tokens)
        if (t != Token::e && t != Token::s) return table_error(def.name, "pre-messages hold e or s");
      (from_initiator ? p.initiator_premessage : p.responder_premessage) = std::move(tokens);
    } else {
      if (from_initiator != (p.messages.size() % 2 == 0))
        return table_error(def.name, "messages must alternate, starting with the initiator");
      p.messages.push_back(std::move(tokens));
    }
  }
  if (p.messages.empty()) return table_error(def.name, "no messages");
  return p;
}

// §9.3: after processing a "psk" token a party may send encrypted data
// only if it has already sent an ephemeral public key; otherwise that data
// would be encrypted under a key derived from the psk alone. Every table
// pattern starts each side's first message with "e", so any pskN placement
// passes today; the check keeps the modifier generic should the table grow
// patterns whose ephemeral comes later.
Status check_psk_validity(const HandshakePattern& p) {
  bool sent_e[2] = {false, false};  // [0] initiator, [1] responder
  for (Token t : p.initiator_premessage)
    if (t == Token::e) sent_e[0] = true;
  for (Token t : p.responder_premessage)
    if (t == Token::e) sent_e[1] = true;
  Error error = make_error(Errc::bad_request,
                           "pattern " + p.name +
                               " sends encrypted data after a psk without an ephemeral key "
                               "(Noise spec §9.3)");
  bool psk_seen = false;
  for (size_t i = 0; i < p.messages.size(); ++i) {
    int sender = p.initiator_sends(i) ? 0 : 1;
    for (Token t : p.messages[i]) {
      if (t == Token::e) sent_e[sender] = true;
      if (t == Token::psk) psk_seen = true;
      if (t == Token::s && psk_seen && !sent_e[sender]) return error;
    }
    // Every message ends with a payload, encrypted once a psk was mixed.
    if (psk_seen && !sent_e[sender]) return error;
  }
  return {};
}

// Applies "psk0+psk2"-style modifiers (§9.4): psk0 goes at the start of the
// first message, pskN at the end of message N.
Status apply_modifiers(HandshakePattern& p, std::string_view modifiers) {
  std::vector<size_t> seen;
  for (std::string_view mod : split(modifiers, '+', false)) {
    if (!mod.starts_with("psk") || mod.size() == 3)
      return make_error(Errc::unsupported, "unsupported pattern modifier \"" + std::string(mod) + "\"");
    size_t n = 0;
    auto digits = mod.substr(3);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || ptr != digits.data() + digits.size())
      return make_error(Errc::unsupported, "unsupported pattern modifier \"" + std::string(mod) + "\"");
    if (n > p.messages.size())
      return make_error(Errc::bad_request, "modifier " + std::string(mod) + " names message " +
                                               std::to_string(n) + " of a " +
                                               std::to_string(p.messages.size()) + "-message pattern");
    if (std::find(seen.begin(), seen.end(), n) != seen.end())
      return make_error(Errc::bad_request, "modifier " + std::string(mod) + " given twice");
    seen.push_back(n);
    if (n == 0)
      p.messages.front().insert(p.messages.front().begin(), Token::psk);
    else
      p.messages[n - 1].push_back(Token::psk);
  }
  return check_psk_validity(p);
}

}  // namespace

std::string_view to_string(Token token) {
  auto i = static_cast<size_t>(token);
  return i < kTokenNames.size() ? kTokenNames[i] : std::string_view("?");
}

size_t HandshakePattern::psk_count() const {
  size_t n = 0;
  for (const auto& m : messages) n += static_cast<size_t>(std::count(m.begin(), m.end(), Token::psk));
  return n;
}

Result<HandshakePattern> parse_pattern(std::string_view name) {
  // §8: base names are upper-case letters and digits; modifiers follow in
  // lower case, joined by '+'.
  size_t base_len = 0;
  while (base_len < name.size() &&
         ((name[base_len] >= 'A' && name[base_len] <= 'Z') ||
          (name[base_len] >= '0' && name[base_len] <= '9')))
    ++base_len;
  std::string_view base = name.substr(0, base_len), modifiers = name.substr(base_len);
  const PatternDef* def = nullptr;
  for (const auto& d : kPatterns)
    if (d.name == base) def = &d;
  if (def == nullptr)
    return make_error(Errc::unsupported, "unknown handshake pattern \"" + std::string(name) + "\"");
  PEERNET_TRY(HandshakePattern p, from_notation(*def));
  if (!modifiers.empty()) {
    p.name = std::string(name);
    PEERNET_TRY_VOID(apply_modifiers(p, modifiers));
  }
  return p;
}

Result<HandshakePattern> parse_protocol_name(std::string_view protocol_name) {
  std::vector<std::string_view> parts = split(protocol_name, '_', false);
  if (parts.size() != 5 || parts[0] != "Noise")
    return make_error(Errc::unsupported,
                      "not a Noise protocol name: \"" + std::string(protocol_name) + "\"");
  if (parts[2] != "25519" || parts[3] != "ChaChaPoly" || parts[4] != "SHA256")
    return make_error(Errc::unsupported, "only 25519, ChaChaPoly and SHA256 are implemented, not \"" +
                                             std::string(protocol_name) + "\"");
  return parse_pattern(parts[1]);
}

std::vector<std::string_view> pattern_names() {
  std::vector<std::string_view> names;
  for (const auto& d : kPatterns) names.push_back(d.name);
  return names;
}

}  // namespace peernet::noise
