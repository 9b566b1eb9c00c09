// Readers of single TOML values, for the schema in config.cpp: each checks
// one value (its type, its range, its syntax) and stores it, and returns
// what is wrong in words for the error message ("must be between …"), or ""
// when the value was accepted. config.cpp adds the key and the position.
//
// Internal to the configuration parser: toml++ stays in config*.cpp, and the
// rest of the daemon sees only the typed Config (config.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "proto/endpoint.hpp"

namespace peernet::config_values {

// "expected WHAT, got a string" for a value of the wrong type.
std::string expected(std::string_view what, const toml::node& n);

// A duration: a number of seconds or a string with a unit ("15s"), within
// [min, max] seconds, or 0 when zero_allowed.
std::string get_duration(const toml::node& n, double& out, double min, double max,
                         bool zero_allowed = false);
// A size: a number of bytes or a string with a unit ("1MiB"), within [min, max].
std::string get_size(const toml::node& n, uint64_t& out, uint64_t min, uint64_t max);

// An integer within [min, max].
template <class Int>
std::string get_integer(const toml::node& n, Int& out, int64_t min, int64_t max) {
  auto i = n.as_integer();
  if (!i) return expected("an integer", n);
  if (i->get() < min || i->get() > max)
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
           std::to_string(i->get()) + ")";
  out = static_cast<Int>(i->get());
  return "";
}

// An absolute path without NUL (the check alone, and the reader).
std::string check_path(std::string_view path);
std::string get_path(const toml::node& n, std::string& out);
// A group name (POSIX portable characters and '$').
std::string get_group(const toml::node& n, std::string& out);
std::string get_bool(const toml::node& n, bool& out);
std::string check_handle_name(std::string_view name);

// One entry of an array: checked, refused when already in `out`, appended.
// An interface name as the kernel allows it.
std::string check_interface_entry(const toml::node& item, std::vector<std::string>& out);
// An IP address and port to listen on.
std::string check_listen_entry(const toml::node& item, std::vector<Endpoint>& out);
// A peer id (stored in its canonical text) or an alias.
std::string check_allow_entry(const toml::node& item, std::vector<std::string>& out);

}  // namespace peernet::config_values
