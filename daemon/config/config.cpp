// toml++ lives here and in config_values.cpp (the readers of single values)
// and nowhere else in the daemon's configuration path (the trust list has its
// own small parser): the rest of the daemon sees only the typed Config.
#include "config/config.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <toml++/toml.h>

#include "base/toml_position.hpp"
#include "config/config_values.hpp"
#include "proto/dns/sd.hpp"
#include "proto/link/envelope.hpp"
#include "proto/peer_id.hpp"
#include "store/trust_store.hpp"
#include "proto/units.hpp"

namespace peernet {
namespace {

using namespace config_values;

// An apply function checks one value and stores it; it returns what is
// wrong, or "" when the value was accepted.
using Apply = std::string (*)(const toml::node&, Config&);

struct KeySpec {
  std::string_view table;
  std::string_view key;
  Apply apply;
};

// ---- Values that only one key takes ----

// sun_path holds 108 bytes including the terminating NUL.
constexpr size_t kMaxSocketPath = 107;

std::string get_instance(const toml::node& n, Config& c) {
  auto s = n.as_string();
  if (!s) return expected("a string", n);
  if (!s->get().empty() && !valid_instance_label(s->get()))
    return "must be 1-63 bytes of UTF-8 text without control characters, or \"\" for the default";
  c.discovery.instance = s->get();
  return "";
}

std::string get_log_level(const toml::node& n, Config& c) {
  auto s = n.as_string();
  if (!s) return expected("a string", n);
  auto level = parse_log_level(s->get());
  if (!level) return level.error().message;
  c.daemon.log_level = *level;
  return "";
}

std::string get_socket(const toml::node& n, Config& c) {
  std::string path;
  if (auto why = get_path(n, path); !why.empty()) return why;
  if (path.size() > kMaxSocketPath)
    return "longer than " + std::to_string(kMaxSocketPath) + " bytes, the limit for Unix socket paths";
  c.control.socket = std::move(path);
  return "";
}

// metrics.listen: off (""), an absolute Unix socket path, or a loopback
// IP address and port: the endpoint has no authentication, so it never
// listens where another host could reach it.
std::string get_metrics_listen(const toml::node& n, Config& c) {
  auto s = n.as_string();
  if (!s) return expected("a string", n);
  const std::string& text = s->get();
  if (text.empty() || text[0] == '/') {
    if (text.size() > kMaxSocketPath)
      return "longer than " + std::to_string(kMaxSocketPath) + " bytes, the limit for Unix socket paths";
    c.metrics.listen = text;
    return "";
  }
  auto ep = Endpoint::parse(text, EndpointUse::listen);
  if (!ep) return ep.error().message;
  bool loopback = ep->host == "::1" || (ep->is_numeric() && ep->host.rfind("127.", 0) == 0);
  if (!loopback)
    return quote(text) + " is not a loopback address: the metrics endpoint has no authentication, so it "
           "listens on 127.0.0.0/8, [::1] or an absolute Unix socket path only";
  c.metrics.listen = text;
  return "";
}

std::string get_socket_mode(const toml::node& n, Config& c) {
  auto s = n.as_string();
  if (!s) return expected("an octal string such as \"0660\"", n);
  const std::string& text = s->get();
  if (text.empty() || text.size() > 4 ||
      !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '7'; }))
    return "expected an octal mode such as \"0660\", got " + quote(text);
  auto mode = static_cast<mode_t>(std::stoul(text, nullptr, 8));
  if (mode > 0777) return "only permission bits (at most \"0777\") are allowed";
  if ((mode & 0600) != 0600) return "must give the owner read and write (\"06xx\")";
  c.control.socket_mode = mode;
  return "";
}

constexpr double kMinute = 60, kHour = 3600, kDay = 86400;

const KeySpec kSchema[] = {
    {"daemon", "state_dir",
     [](const toml::node& n, Config& c) { return get_path(n, c.daemon.state_dir); }},
    {"daemon", "log_level", get_log_level},

    // Entries are checked one by one in parse_config (each has its own
    // position); this only checks the shape.
    {"network", "listen",
     [](const toml::node& n, Config&) { return n.is_array() ? std::string() : expected("an array", n); }},
    {"network", "handshake_timeout",
     [](const toml::node& n, Config& c) {
       return get_duration(n, c.network.handshake_timeout, 0.1, 10 * kMinute);
     }},
    {"network", "max_pending_handshakes",
     [](const toml::node& n, Config& c) { return get_integer(n, c.network.max_pending_handshakes, 1, 4096); }},
    {"network", "max_pending_per_address",
     [](const toml::node& n, Config& c) { return get_integer(n, c.network.max_pending_per_address, 1, 4096); }},
    {"network", "handshake_rate",
     [](const toml::node& n, Config& c) { return get_integer(n, c.network.handshake_rate, 1, 100000); }},
    {"network", "handshake_burst",
     [](const toml::node& n, Config& c) { return get_integer(n, c.network.handshake_burst, 1, 100000); }},
    {"network", "early_drop_start",
     [](const toml::node& n, Config& c) { return get_integer(n, c.network.early_drop_start, 1, 4096); }},
    {"network", "early_drop_rate",
     [](const toml::node& n, Config& c) { return get_integer(n, c.network.early_drop_rate, 0, 100); }},
    {"network", "handshake_timeout_min",
     [](const toml::node& n, Config& c) {
       return get_duration(n, c.network.handshake_timeout_min, 0.1, 10 * kMinute);
     }},
    {"network", "tcp_user_timeout",
     [](const toml::node& n, Config& c) {
       return get_duration(n, c.network.tcp_user_timeout, 1, kHour, /*zero_allowed=*/true);
     }},

    {"network", "monitor",
     [](const toml::node& n, Config& c) {
       auto s = n.as_string();
       if (!s) return expected("a string", n);
       if (s->get() != "netlink" && s->get() != "poll")
         return "expected \"netlink\" or \"poll\", got " + quote(s->get());
       c.network.monitor = s->get();
       return std::string();
     }},
    {"network", "poll_interval",
     [](const toml::node& n, Config& c) { return get_duration(n, c.network.poll_interval, 0.1, kHour); }},

    {"session", "ping_interval",
     [](const toml::node& n, Config& c) { return get_duration(n, c.session.ping_interval, 0.1, kHour); }},
    {"session", "dead_after",
     [](const toml::node& n, Config& c) { return get_duration(n, c.session.dead_after, 0.2, kDay); }},
    {"session", "reconnect_min",
     [](const toml::node& n, Config& c) { return get_duration(n, c.session.reconnect_min, 0.1, kHour); }},
    {"session", "reconnect_max",
     [](const toml::node& n, Config& c) { return get_duration(n, c.session.reconnect_max, 0.1, kDay); }},
    {"session", "max_envelope",
     [](const toml::node& n, Config& c) { return get_size(n, c.session.max_envelope, 1 << 10, 64 << 20); }},
    {"session", "write_queue_limit",
     [](const toml::node& n, Config& c) {
       return get_size(n, c.session.write_queue_limit, 1 << 10, uint64_t{1} << 30);
     }},
    {"session", "rekey_after_messages",
     [](const toml::node& n, Config& c) {
       return get_integer(n, c.session.rekey_after_messages, 1, int64_t{1} << 62);
     }},
    {"session", "rekey_after",
     [](const toml::node& n, Config& c) { return get_duration(n, c.session.rekey_after, 1, 30 * kDay); }},
    {"session", "call_timeout",
     [](const toml::node& n, Config& c) { return get_duration(n, c.session.call_timeout, 0.1, kDay); }},

    {"discovery", "mdns", [](const toml::node& n, Config& c) { return get_bool(n, c.discovery.mdns); }},
    {"discovery", "private", [](const toml::node& n, Config& c) { return get_bool(n, c.discovery.private_announcements); }},
    {"discovery", "instance", get_instance},
    {"discovery", "broadcast", [](const toml::node& n, Config& c) { return get_bool(n, c.discovery.broadcast); }},
    {"discovery", "broadcast_port",
     [](const toml::node& n, Config& c) { return get_integer(n, c.discovery.broadcast_port, 1, 65535); }},
    {"discovery", "broadcast_interval",
     [](const toml::node& n, Config& c) { return get_duration(n, c.discovery.broadcast_interval, 1, kDay); }},
    // Entries are checked one by one in apply_table, like network.listen.
    {"discovery", "interfaces",
     [](const toml::node& n, Config&) { return n.is_array() ? std::string() : expected("an array", n); }},

    {"control", "socket", get_socket},
    {"control", "socket_mode", get_socket_mode},
    {"control", "socket_group",
     [](const toml::node& n, Config& c) { return get_group(n, c.control.socket_group); }},
    {"control", "admin_group",
     [](const toml::node& n, Config& c) { return get_group(n, c.control.admin_group); }},
    {"control", "max_clients",
     [](const toml::node& n, Config& c) { return get_integer(n, c.control.max_clients, 1, 1 << 20); }},
    {"control", "admin_reserve",
     [](const toml::node& n, Config& c) { return get_integer(n, c.control.admin_reserve, 0, 1 << 20); }},
    {"control", "max_clients_per_uid",
     [](const toml::node& n, Config& c) { return get_integer(n, c.control.max_clients_per_uid, 1, 1 << 20); }},
    {"control", "pause_reading_above",
     [](const toml::node& n, Config& c) {
       return get_size(n, c.control.pause_reading_above, 1 << 10, uint64_t{1} << 30);
     }},
    {"control", "write_budget",
     [](const toml::node& n, Config& c) {
       return get_size(n, c.control.write_budget, 1 << 20, uint64_t{1} << 40);
     }},

    {"pairing", "window",
     [](const toml::node& n, Config& c) { return get_duration(n, c.pairing.window, 1, 3600); }},
    {"pairing", "attempts",
     [](const toml::node& n, Config& c) { return get_integer(n, c.pairing.attempts, 1, 100); }},
    {"pairing", "find_timeout",
     [](const toml::node& n, Config& c) { return get_duration(n, c.pairing.find_timeout, 0.5, 60); }},

    {"metrics", "listen", get_metrics_listen},
    {"metrics", "max_peers",
     [](const toml::node& n, Config& c) { return get_integer(n, c.metrics.max_peers, 1, 100000); }},
    {"metrics", "max_connections",
     [](const toml::node& n, Config& c) { return get_integer(n, c.metrics.max_connections, 1, 1024); }},
    {"metrics", "max_request",
     [](const toml::node& n, Config& c) { return get_size(n, c.metrics.max_request, 256, 1 << 20); }},
    {"metrics", "request_timeout",
     [](const toml::node& n, Config& c) { return get_duration(n, c.metrics.request_timeout, 0.1, 3600); }},

    // Entries are checked one by one in apply_table, like network.listen.
    {"admin", "allow",
     [](const toml::node& n, Config&) { return n.is_array() ? std::string() : expected("an array", n); }},
    {"admin", "timeout",
     [](const toml::node& n, Config& c) { return get_duration(n, c.admin.timeout, 0.1, kDay); }},
    {"admin", "max_output",
     [](const toml::node& n, Config& c) { return get_size(n, c.admin.max_output, 1, 64 << 20); }},
    {"admin", "max_concurrent",
     [](const toml::node& n, Config& c) { return get_integer(n, c.admin.max_concurrent, 1, 1024); }},

};

// The keys of one [[handle]] entry.
struct HandleKeySpec {
  std::string_view key;
  std::string (*apply)(const toml::node&, CommandHandleConfig&);
};

const HandleKeySpec kHandleSchema[] = {
    {"name",
     [](const toml::node& n, CommandHandleConfig& h) {
       auto s = n.as_string();
       if (!s) return expected("a string", n);
       if (auto why = check_handle_name(s->get()); !why.empty()) return why;
       h.name = s->get();
       return std::string();
     }},
    // The entries of these two are checked one by one in apply_handle.
    {"command",
     [](const toml::node& n, CommandHandleConfig&) {
       return n.is_array() ? std::string() : expected("an array: [\"/absolute/program\", \"arg\", ...]", n);
     }},
    {"allow",
     [](const toml::node& n, CommandHandleConfig&) {
       return n.is_array() ? std::string() : expected("an array", n);
     }},
    {"timeout",
     [](const toml::node& n, CommandHandleConfig& h) { return get_duration(n, h.timeout, 0.1, kDay); }},
    {"max_output",
     [](const toml::node& n, CommandHandleConfig& h) { return get_size(n, h.max_output, 1, 64 << 20); }},
    {"max_concurrent",
     [](const toml::node& n, CommandHandleConfig& h) { return get_integer(n, h.max_concurrent, 1, 1024); }},
};

// A rule that relates keys; `key` is blamed, `other` is where to point when
// `key` is not in the file.
struct CrossRule {
  std::string_view key;
  std::string_view other;
  std::string (*check)(const Config&);
};

const CrossRule kCrossRules[] = {
    {"session.dead_after", "session.ping_interval",
     [](const Config& c) {
       return c.session.dead_after > c.session.ping_interval
                  ? std::string()
                  : "must be longer than session.ping_interval (" +
                        format_duration(c.session.ping_interval) + ")";
     }},
    {"session.reconnect_max", "session.reconnect_min",
     [](const Config& c) {
       return c.session.reconnect_max >= c.session.reconnect_min
                  ? std::string()
                  : "must not be shorter than session.reconnect_min (" +
                        format_duration(c.session.reconnect_min) + ")";
     }},
    {"session.write_queue_limit", "session.max_envelope",
     [](const Config& c) {
       return c.session.write_queue_limit >= c.session.max_envelope
                  ? std::string()
                  : "must be at least session.max_envelope (" + format_size(c.session.max_envelope) +
                        ")";
     }},
    {"control.admin_reserve", "control.max_clients",
     [](const Config& c) {
       return c.control.admin_reserve < c.control.max_clients
                  ? std::string()
                  : "must be less than control.max_clients (" + std::to_string(c.control.max_clients) + ")";
     }},
};

Error key_error(std::string_view prefix, std::string_view key, std::string_view what) {
  return make_error(Errc::config_error,
                    std::string(prefix) + ": key \"" + std::string(key) + "\": " + std::string(what));
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view table, std::string_view key) {
  std::string msg = "unknown key";
  for (const auto& spec : kSchema)
    if (spec.table == table && edit_distance(spec.key, key) <= 2)
      return msg + " (did you mean \"" + std::string(spec.key) + "\"?)";
  return msg;
}

// Each entry of a list-valued key, checked in order by `check`, which keeps
// what it accepts in `out`. The first entry refused is the error, at its own
// line and column rather than the list's, so that the message points at it.
template <class T>
Status check_entries(std::string_view source, const std::string& full, const toml::node& list,
                     std::string (*check)(const toml::node&, std::vector<T>&), std::vector<T>& out) {
  for (const auto& item : *list.as_array())
    if (auto why = check(item, out); !why.empty())
      return key_error(toml_position(source, item.source()), full, why);
  return {};
}

Status apply_table(std::string_view source, std::string_view table_name, const toml::table& table,
                   Config& config) {
  for (const auto& [key, node] : table) {
    std::string full = std::string(table_name) + "." + std::string(key.str());
    const KeySpec* spec = nullptr;
    for (const auto& s : kSchema)
      if (s.table == table_name && s.key == key.str()) spec = &s;
    if (spec == nullptr)
      return key_error(toml_position(source, key.source()), full, unknown_key_message(table_name, key.str()));
    if (auto why = spec->apply(node, config); !why.empty())
      return key_error(toml_position(source, node.source()), full, why);
    if (full == "network.listen") {
      std::vector<Endpoint> listen;
      PEERNET_TRY_VOID(check_entries(source, full, node, check_listen_entry, listen));
      config.network.listen = std::move(listen);
    }
    if (full == "discovery.interfaces") {
      std::vector<std::string> names;
      PEERNET_TRY_VOID(check_entries(source, full, node, check_interface_entry, names));
      config.discovery.interfaces = std::move(names);
    }
    if (full == "admin.allow") {
      std::vector<std::string> allow;
      PEERNET_TRY_VOID(check_entries(source, full, node, check_allow_entry, allow));
      config.admin.allow = std::move(allow);
      config.admin.where = toml_position(source, node.source());
    }
  }
  return {};
}

// One [[handle]] table.
Result<CommandHandleConfig> apply_handle(std::string_view source, const toml::table& table) {
  CommandHandleConfig h;
  h.where = toml_position(source, table.source());
  for (const auto& [key, node] : table) {
    std::string full = "handle." + std::string(key.str());
    const HandleKeySpec* spec = nullptr;
    for (const auto& s : kHandleSchema)
      if (s.key == key.str()) spec = &s;
    if (spec == nullptr) {
      std::string msg = "unknown key";
      for (const auto& s : kHandleSchema)
        if (edit_distance(s.key, key.str()) <= 2) {
          msg += " (did you mean \"" + std::string(s.key) + "\"?)";
          break;
        }
      return key_error(toml_position(source, key.source()), full, msg);
    }
    if (auto why = spec->apply(node, h); !why.empty())
      return key_error(toml_position(source, node.source()), full, why);
    if (key.str() == "command") {
      for (const auto& item : *node.as_array()) {
        auto s = item.as_string();
        std::string why;
        if (!s)
          why = expected("a string", item);
        else if (h.command.empty() && !(why = check_path(s->get())).empty())
          why = "the program " + why + " (no shell runs it and PATH is not searched)";
        else if (s->get().find('\0') != std::string::npos)
          why = "must not contain NUL";
        if (!why.empty()) return key_error(toml_position(source, item.source()), full, why);
        h.command.push_back(s->get());
      }
      if (h.command.empty()) return key_error(toml_position(source, node.source()), full, "names no program");
    } else if (key.str() == "allow") {
      PEERNET_TRY_VOID(check_entries(source, full, node, check_allow_entry, h.allow));
    }
  }
  if (h.name.empty()) return key_error(h.where, "handle.name", "missing: every [[handle]] needs a name");
  if (h.command.empty()) return key_error(h.where, "handle.command", "missing: every [[handle]] needs a command");
  return h;
}

Status apply_handles(std::string_view source, const toml::node& node, Config& config) {
  auto array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables())
    return key_error(toml_position(source, node.source()), "handle", "expected an array of tables ([[handle]])");
  for (const auto& item : *array) {
    PEERNET_TRY(auto h, apply_handle(source, *item.as_table()));
    for (const auto& other : config.handles)
      if (other.name == h.name)
        return key_error(h.where, "handle.name",
                         "handle " + quote(h.name) + " is defined twice (also at " + other.where + ")");
    config.handles.push_back(std::move(h));
  }
  return {};
}

const toml::node* find_key(const toml::table& root, std::string_view dotted) {
  size_t dot = dotted.find('.');
  auto table = root[dotted.substr(0, dot)].as_table();
  return table ? table->get(dotted.substr(dot + 1)) : nullptr;
}

}  // namespace

Config default_config(const DefaultPaths& paths) {
  Config c;
  c.daemon.state_dir = paths.state_dir;
  c.control.socket = paths.socket_path;
  return c;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const auto& s : kSchema) keys.push_back(std::string(s.table) + "." + std::string(s.key));
  for (const auto& s : kHandleSchema) keys.push_back("handle." + std::string(s.key));
  return keys;
}

Result<Config> parse_config(std::string_view text, std::string_view source_name, const Config& base) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return make_error(Errc::config_error,
                      toml_position(source_name, e.source()) + ": " + std::string(e.description()));
  }

  Config config = base;
  for (const auto& [key, node] : root) {
    if (key.str() == "handle") {
      config.handles.clear();  // the file's entries replace the base's
      PEERNET_TRY_VOID(apply_handles(source_name, node, config));
      continue;
    }
    // A named copy for the lambda: clang 14 (the fuzzing build) cannot
    // capture a structured binding.
    const std::string_view name = key.str();
    bool known = std::any_of(std::begin(kSchema), std::end(kSchema),
                             [&](const KeySpec& s) { return s.table == name; });
    if (!known)
      return key_error(toml_position(source_name, key.source()), key.str(),
                       "unknown table (expected daemon, network, session, discovery, control, pairing, metrics, admin or [[handle]])");
    auto table = node.as_table();
    if (table == nullptr)
      return key_error(toml_position(source_name, node.source()), key.str(), expected("a table", node));
    PEERNET_TRY_VOID(apply_table(source_name, key.str(), *table, config));
  }

  for (const auto& rule : kCrossRules) {
    auto why = rule.check(config);
    if (why.empty()) continue;
    const toml::node* at = find_key(root, rule.key);
    if (at == nullptr) at = find_key(root, rule.other);
    std::string where = at ? toml_position(source_name, at->source()) : std::string(source_name);
    return key_error(where, rule.key, why);
  }
  return config;
}

Result<Config> load_config(const std::string& path, bool must_exist, const Config& base) {
  // Config files are small; the cap keeps a wrong path (a device, a log)
  // from being slurped. Reading to EOF rather than by st_size also serves
  // /dev/null and process substitution: --config <(printf ...).
  constexpr size_t kMaxSize = 1 << 20;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT && !must_exist) return base;
    return make_error(Errc::config_error, "cannot read config file " + quote(path) + ": " + ::strerror(err));
  }
  std::string text;
  int err = 0;
  char buf[16384];
  while (text.size() <= kMaxSize) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (err != 0)
    return make_error(Errc::config_error, "cannot read config file " + quote(path) + ": " + ::strerror(err));
  if (text.size() > kMaxSize)
    return make_error(Errc::config_error, "config file " + quote(path) + " is larger than 1 MiB");
  return parse_config(text, path, base);
}

Status validate_config(const Config& c) {
  auto fail = [](std::string_view key, std::string_view why) {
    return make_error(Errc::config_error,
                      "key \"" + std::string(key) + "\": " + std::string(why));
  };
  if (auto why = check_path(c.daemon.state_dir); !why.empty()) return fail("daemon.state_dir", why);
  if (auto why = check_path(c.control.socket); !why.empty()) return fail("control.socket", why);
  if (c.control.socket.size() > kMaxSocketPath)
    return fail("control.socket", "longer than " + std::to_string(kMaxSocketPath) +
                                      " bytes, the limit for Unix socket paths");
  for (size_t i = 0; i < c.network.listen.size(); ++i) {
    const Endpoint& ep = c.network.listen[i];
    if (!ep.is_numeric())
      return fail("network.listen", "address " + quote(ep.to_string()) + ": must be an IP address");
    if (std::find(c.network.listen.begin(), c.network.listen.begin() + static_cast<long>(i), ep) !=
        c.network.listen.begin() + static_cast<long>(i))
      return fail("network.listen", "address " + quote(ep.to_string()) + " is listed twice");
  }
  for (const auto& rule : kCrossRules)
    if (auto why = rule.check(c); !why.empty()) return fail(rule.key, why);
  for (const auto& h : c.handles) {
    if (auto why = check_handle_name(h.name); !why.empty()) return fail("handle.name", why);
    if (h.command.empty()) return fail("handle.command", "handle " + quote(h.name) + " names no program");
    if (auto why = check_path(h.command[0]); !why.empty())
      return fail("handle.command", "handle " + quote(h.name) + ": the program " + why);
  }
  return {};
}

}  // namespace peernet
