#include "proto/dns/sd.hpp"

#include <cstdint>

namespace peernet {
namespace {

constexpr size_t kMaxTxtString = 255;
constexpr size_t kMaxServiceName = 15;

bool same_key(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool service_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Decodes UTF-8 strictly (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) and refuses control characters.
bool utf8_text_without_controls(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
      if (b0 < 0x20 || b0 == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp, min;
    if ((b0 & 0xE0) == 0xC0) {
      n = 1, cp = b0 & 0x1Fu, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      n = 2, cp = b0 & 0x0Fu, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      n = 3, cp = b0 & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp >= 0x80 && cp <= 0x9F) return false;  // C1 controls
    i += 1 + n;
  }
  return true;
}

Error bad(std::string message) { return make_error(Errc::bad_request, std::move(message)); }

}  // namespace

Result<DnsName> service_type_name(std::string_view service, std::string_view domain) {
  PEERNET_TRY(DnsName type, DnsName::parse(service));
  const auto& l = type.labels();
  bool chars_ok =
      l.size() == 2 && l[0].size() >= 2 && l[0].size() <= 1 + kMaxServiceName && l[0][0] == '_';
  for (size_t i = 1; chars_ok && i < l[0].size(); ++i) chars_ok = service_char(l[0][i]);
  if (!chars_ok || !(same_key(l[1], "_tcp") || same_key(l[1], "_udp")))
    return bad("service type \"" + std::string(service) +
               "\" is not _<name>._tcp or _<name>._udp with a name of 1..15 [A-Za-z0-9-]");
  PEERNET_TRY(DnsName d, DnsName::parse(domain));
  std::vector<std::string> labels = l;
  labels.insert(labels.end(), d.labels().begin(), d.labels().end());
  return DnsName::from_labels(std::move(labels));
}

Result<DnsName> service_enumeration_name(std::string_view domain) {
  PEERNET_TRY(DnsName d, DnsName::parse(domain));
  std::vector<std::string> labels = {"_services", "_dns-sd", "_udp"};
  labels.insert(labels.end(), d.labels().begin(), d.labels().end());
  return DnsName::from_labels(std::move(labels));
}

bool valid_instance_label(std::string_view instance) {
  return !instance.empty() && instance.size() <= kMaxDnsLabel &&
         utf8_text_without_controls(instance);
}

Result<DnsName> service_instance_name(std::string_view instance, const DnsName& service_type) {
  if (!valid_instance_label(instance))
    return bad("instance name of " + std::to_string(instance.size()) +
               " bytes is not 1..63 bytes of UTF-8 text without control characters");
  return service_type.prepend(instance);
}

std::optional<std::string> instance_label(const DnsName& name, const DnsName& service_type) {
  if (name.labels().size() != service_type.labels().size() + 1 || !name.ends_with(service_type))
    return std::nullopt;
  return name.labels().front();
}

bool valid_txt_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (c < 0x20 || c > 0x7e || c == '=') return false;
  return true;
}

Result<std::vector<std::string>> encode_txt(const std::vector<TxtAttribute>& attributes) {
  std::vector<std::string> strings;
  for (size_t i = 0; i < attributes.size(); ++i) {
    const TxtAttribute& a = attributes[i];
    if (!valid_txt_key(a.key))
      return bad("TXT key \"" + a.key + "\" is not 1 or more printable ASCII characters but '='");
    for (size_t j = 0; j < i; ++j)
      if (same_key(attributes[j].key, a.key)) return bad("TXT key \"" + a.key + "\" given twice");
    std::string s = a.key;
    if (a.value) {
      s += '=';
      s += *a.value;
    }
    if (s.size() > kMaxTxtString)
      return bad("TXT attribute \"" + a.key + "\" takes " + std::to_string(s.size()) +
                 " bytes, above 255");
    strings.push_back(std::move(s));
  }
  if (strings.empty()) strings.emplace_back();
  return strings;
}

std::vector<TxtAttribute> decode_txt(const std::vector<std::string>& strings) {
  std::vector<TxtAttribute> out;
  for (const auto& s : strings) {
    const size_t eq = s.find('=');
    TxtAttribute a;
    a.key = s.substr(0, eq);
    if (!valid_txt_key(a.key) || find_txt(out, a.key)) continue;
    if (eq != std::string::npos) a.value = s.substr(eq + 1);
    out.push_back(std::move(a));
  }
  return out;
}

const TxtAttribute* find_txt(const std::vector<TxtAttribute>& attributes, std::string_view key) {
  for (const auto& a : attributes)
    if (same_key(a.key, key)) return &a;
  return nullptr;
}

}  // namespace peernet
