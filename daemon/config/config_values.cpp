// The readers of single values for config.cpp's schema (config_values.hpp).
#include "config/config_values.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "base/log.hpp"
#include "proto/link/envelope.hpp"
#include "proto/peer_id.hpp"
#include "store/trust_store.hpp"
#include "proto/units.hpp"

namespace peernet::config_values {
namespace {

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string range_text(double min, double max) {
  return "must be between " + format_duration(min) + " and " + format_duration(max);
}

// Peer ids are 56 base32 characters once dashes and spaces are dropped; an
// entry of about that length made of letters and digits is read as an id,
// so that a typo in one is an error here rather than an alias that never
// matches (and so grants nothing, silently).
bool looks_like_peer_id(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    ++n;
  }
  return n >= 52 && n <= 60;
}

}  // namespace

std::string expected(std::string_view what, const toml::node& n) {
  return "expected " + std::string(what) + ", got " + std::string(type_name(n.type()));
}

// A duration: a number of seconds or a string with a unit.
std::string get_duration(const toml::node& n, double& out, double min, double max, bool zero_allowed) {
  double seconds;
  if (auto i = n.as_integer()) {
    seconds = static_cast<double>(i->get());
  } else if (auto f = n.as_floating_point()) {
    seconds = f->get();
  } else if (auto s = n.as_string()) {
    auto parsed = parse_duration(s->get());
    if (!parsed) return parsed.error().message;
    seconds = *parsed;
  } else {
    return expected("a duration (seconds, or a string such as \"15s\")", n);
  }
  if (!std::isfinite(seconds)) return "must be a finite duration";
  if (zero_allowed && seconds == 0) {
    out = 0;
    return "";
  }
  if (seconds < min || seconds > max)
    return range_text(min, max) + (zero_allowed ? ", or 0" : "") + " (got " +
           format_duration(seconds) + ")";
  out = seconds;
  return "";
}

std::string get_size(const toml::node& n, uint64_t& out, uint64_t min, uint64_t max) {
  uint64_t bytes;
  if (auto i = n.as_integer()) {
    if (i->get() < 0) return "must not be negative";
    bytes = static_cast<uint64_t>(i->get());
  } else if (auto s = n.as_string()) {
    auto parsed = parse_size(s->get());
    if (!parsed) return parsed.error().message;
    bytes = *parsed;
  } else {
    return expected("a size (bytes, or a string such as \"1MiB\")", n);
  }
  if (bytes < min || bytes > max)
    return "must be between " + format_size(min) + " and " + format_size(max) + " (got " +
           format_size(bytes) + ")";
  out = bytes;
  return "";
}

std::string check_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must be an absolute path";
  if (path.find('\0') != std::string_view::npos) return "must not contain NUL";
  return "";
}

std::string get_path(const toml::node& n, std::string& out) {
  auto s = n.as_string();
  if (!s) return expected("a string", n);
  if (auto why = check_path(s->get()); !why.empty()) return why;
  out = s->get();
  return "";
}

std::string get_group(const toml::node& n, std::string& out) {
  auto s = n.as_string();
  if (!s) return expected("a string", n);
  const std::string& g = s->get();
  // POSIX portable names plus '$' (Samba machine accounts); long enough for
  // any real group, short enough to keep garbage out of logs.
  bool ok = g.size() <= 64 && std::all_of(g.begin(), g.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                     c == '.' || c == '$';
            });
  if (!ok || (!g.empty() && g.front() == '-')) return "not a valid group name: " + quote(g);
  out = g;
  return "";
}

std::string get_bool(const toml::node& n, bool& out) {
  auto b = n.as_boolean();
  if (!b) return expected("true or false", n);
  out = b->get();
  return "";
}


// An interface name as the kernel allows it (IFNAMSIZ - 1 bytes, no '/',
// no whitespace).
std::string check_interface_entry(const toml::node& item, std::vector<std::string>& out) {
  auto s = item.as_string();
  if (!s) return expected("a string such as \"eth0\"", item);
  const std::string& name = s->get();
  bool ok = !name.empty() && name.size() <= 15 && std::none_of(name.begin(), name.end(), [](char ch) {
    return ch == '/' || std::isspace(static_cast<unsigned char>(ch)) || ch == '\0';
  });
  if (!ok) return "not an interface name: " + quote(name);
  if (std::find(out.begin(), out.end(), name) != out.end()) return quote(name) + " is listed twice";
  out.push_back(name);
  return "";
}




// The first problem of one listen entry: each is an IP address to bind.
std::string check_listen_entry(const toml::node& item, std::vector<Endpoint>& out) {
  auto s = item.as_string();
  if (!s) return expected("a string such as \"[::]:7469\"", item);
  auto ep = Endpoint::parse(s->get(), EndpointUse::listen);
  if (!ep) return ep.error().message;
  if (!ep->is_numeric())
    return "address " + quote(s->get()) +
           ": must be an IP address, not a host name (\"[::]:7469\" listens on all)";
  if (std::find(out.begin(), out.end(), *ep) != out.end())
    return "address " + quote(s->get()) + " is listed twice";
  out.push_back(std::move(*ep));
  return "";
}

// One entry of an allow list: a full peer id (kept in its canonical text)
// or an alias, which the daemon resolves against the trust list later.
std::string check_allow_entry(const toml::node& item, std::vector<std::string>& out) {
  auto s = item.as_string();
  if (!s) return expected("a string (a peer id or an alias)", item);
  const std::string& text = s->get();
  std::string entry;
  if (looks_like_peer_id(text)) {
    auto key = parse_peer_id(text);
    if (!key) return "peer id " + quote(text) + ": " + key.error().message;
    entry = peer_id_text(*key);
  } else if (is_valid_alias(text)) {
    entry = text;
  } else {
    return quote(text) + " is neither a peer id nor an alias";
  }
  if (std::find(out.begin(), out.end(), entry) != out.end()) return quote(text) + " is listed twice";
  out.push_back(std::move(entry));
  return "";
}

std::string check_handle_name(std::string_view name) {
  if (!valid_handle_name(name))
    return "invalid handle name " + quote(name) + ": 1-128 characters of [A-Za-z0-9_.:/-] expected";
  // The daemon's own handles (the admin handle) live under this prefix.
  if (name.substr(0, 8) == "peernet.") return "names starting with \"peernet.\" are reserved";
  return "";
}

}  // namespace peernet::config_values
