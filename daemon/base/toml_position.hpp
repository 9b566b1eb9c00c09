// Where something stands in a TOML file, as "SOURCE:LINE:COLUMN", the form
// editors and compilers use, so that an error in the config or the trust
// list can be jumped to. Shared by config/ and store/, hence in base/.
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace peernet {

inline std::string toml_position(std::string_view source, const toml::source_region& where) {
  return std::string(source) + ":" + std::to_string(where.begin.line) + ":" +
         std::to_string(where.begin.column);
}

}  // namespace peernet
