#include "proto/units.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "proto/text.hpp"

namespace peernet {
namespace {

struct Unit {
  std::string_view name;
  double seconds;
};
// Longest suffix first, so "ms" is not read as "s".
constexpr Unit kDurationUnits[] = {{"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}};

struct SizeUnit {
  std::string_view name;
  uint64_t bytes;
};
constexpr SizeUnit kSizeUnits[] = {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10},
                                   {"B", 1}};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<double> parse_duration(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return make_error(Errc::bad_request, "duration " + quote(text) + ": " + std::string(why));
  };
  const Unit* unit = nullptr;
  for (const auto& u : kDurationUnits) {
    if (ends_with(text, u.name)) {
      unit = &u;
      break;
    }
  }
  if (unit == nullptr) return fail("needs a unit: ms, s, m or h (as in \"15s\")");
  std::string_view number = text.substr(0, text.size() - unit->name.size());
  if (number.empty()) return fail("missing number before the unit");
  // from_chars accepts "inf"/"nan" and exponents; only plain decimals belong here.
  for (char c : number)
    if (!((c >= '0' && c <= '9') || c == '.')) return fail("not a number followed by a unit");
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return fail("not a number");
  double seconds = value * unit->seconds;
  if (!std::isfinite(seconds)) return fail("out of range");
  return seconds;
}

Result<uint64_t> parse_size(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return make_error(Errc::bad_request, "size " + quote(text) + ": " + std::string(why));
  };
  uint64_t multiplier = 1;
  std::string_view number = text;
  for (const auto& u : kSizeUnits) {
    if (ends_with(text, u.name)) {
      multiplier = u.bytes;
      number = text.substr(0, text.size() - u.name.size());
      break;
    }
  }
  if (number.empty()) return fail("missing number");
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec == std::errc::result_out_of_range) return fail("out of range");
  if (ec != std::errc() || end != number.data() + number.size())
    return fail("expected an integer and an optional unit B, KiB, MiB or GiB (as in \"512KiB\")");
  if (value > UINT64_MAX / multiplier) return fail("out of range");
  return value * multiplier;
}

std::string format_duration(double seconds) {
  // Prefer the largest unit that expresses the value exactly.
  for (auto it = std::rbegin(kDurationUnits); it != std::rend(kDurationUnits); ++it) {
    double n = seconds / it->seconds;
    if (n >= 1 && n == std::floor(n) && n < 1e15) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f", n);
      return std::string(buf) + std::string(it->name);
    }
  }
  return format_number(seconds) + "s";
}

std::string format_size(uint64_t bytes) {
  for (const auto& u : kSizeUnits)
    if (bytes != 0 && bytes % u.bytes == 0) return std::to_string(bytes / u.bytes) + std::string(u.name);
  return std::to_string(bytes) + "B";
}

uint64_t seconds_to_ms(double seconds) {
  constexpr double kMaxMs = 1e12;
  double ms = std::ceil(seconds * 1000.0);
  if (!(ms >= 1)) return 1;
  return ms > kMaxMs ? static_cast<uint64_t>(kMaxMs) : static_cast<uint64_t>(ms);
}

std::string format_number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

}  // namespace peernet
