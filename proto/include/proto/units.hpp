// Durations and sizes as people write them in the config file.
//
//   duration: "500ms", "15s", "2m", "1h", "1.5s" (a number, then one unit)
//   size:     "512", "512B", "512KiB", "1MiB", "2GiB" (an integer, binary units)
//
// Decimal size units ("KB", "MB") are refused rather than guessed at.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/result.hpp"

namespace peernet {

// Seconds; Errc::bad_request saying what is wrong. Negative, NaN and
// infinite values are refused.
Result<double> parse_duration(std::string_view text);
// Bytes; Errc::bad_request, also on overflow.
Result<uint64_t> parse_size(std::string_view text);

// The value in the largest unit that expresses it as an integer ("15s",
// "500ms", "1h", "1500ms"), else in seconds ("0.0005s"); for messages.
std::string format_duration(double seconds);
// "1MiB", "4MiB", "1000B" — the largest binary unit that divides exactly.
std::string format_size(uint64_t bytes);

// Seconds (a config value or a request's timeout) as a timer's milliseconds:
// rounded up, so a deadline never fires early; at least 1 (libuv treats 0 as
// "next iteration"); NaN counts as 1; at most 10^12 ms (about 31 years), so
// the result never overflows a deadline computed as now + ms.
uint64_t seconds_to_ms(double seconds);
// A number as printf's %g writes it ("30", "1.5", "0.001"), for messages.
std::string format_number(double value);

}  // namespace peernet
