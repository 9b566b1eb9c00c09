// man/peernetd.toml.5.scd and the parser cannot drift apart: the page
// lists every key config_keys() knows, once, under its table, with the
// default the code has, and every example it shows is a valid config.
//
// The page's entries look like
//   ## [session]
//   *ping_interval* = "15s"
//   	<description>
//   	Example: *ping_interval = "5s"*
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace peernet {
namespace {

const std::string kPage = PEERNET_SOURCE_ROOT "/man/peernetd.toml.5.scd";

// The page documents the system-mode defaults.
Config system_defaults() {
  PathEnvironment env;
  env.euid = 0;
  return default_config(default_paths(env).value());
}

struct Entry {
  std::string table, key, default_value;
  bool array = false;  // a key of an array of tables ([[handle]]): no table-wide default
  std::vector<std::string> examples;  // "key = value"
};

struct Page {
  std::vector<Entry> entries;
  std::string example_file;  // the literal block under "# EXAMPLE"
};

Page read_page() {
  std::ifstream in(kPage);
  EXPECT_TRUE(in.good()) << kPage;
  static const std::regex table_re(R"(^## \[([a-z]+)\]$)");
  static const std::regex array_re(R"(^## \[\[([a-z]+)\]\]$)");
  static const std::regex key_re(R"(^\*([a-z_]+)\* = (.+)$)");
  static const std::regex example_re(R"(^\tExample: \*(.+)\*$)");
  Page page;
  std::string line, table, section;
  bool in_literal = false, array = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line == "```") {
      in_literal = !in_literal;
    } else if (in_literal) {
      if (section == "EXAMPLE") page.example_file += line + "\n";
    } else if (line.rfind("# ", 0) == 0) {
      section = line.substr(2);
      table.clear();
    } else if (std::regex_match(line, m, table_re)) {
      table = m[1];
      array = false;
    } else if (std::regex_match(line, m, array_re)) {
      table = m[1];
      array = true;
    } else if (!table.empty() && std::regex_match(line, m, key_re)) {
      page.entries.push_back(Entry{table, m[1], m[2], array, {}});
    } else if (!page.entries.empty() && std::regex_match(line, m, example_re)) {
      page.entries.back().examples.push_back(m[1]);
    }
  }
  return page;
}

TEST(ConfigManPage, ListsEveryKeyOnceInTheParsersOrder) {
  std::vector<std::string> documented;
  for (const Entry& e : read_page().entries) documented.push_back(e.table + "." + e.key);
  EXPECT_EQ(documented, config_keys());
  EXPECT_EQ(std::set<std::string>(documented.begin(), documented.end()).size(), documented.size());
}

TEST(ConfigManPage, ShowsTheDefaultsOfTheCode) {
  Config base = system_defaults();
  for (const Entry& e : read_page().entries) {
    if (e.array) continue;  // an entry of [[handle]] is only valid whole (EXAMPLE covers it)
    // Setting the page's value must change nothing.
    std::string text = "[" + e.table + "]\n" + e.key + " = " + e.default_value + "\n";
    auto c = parse_config(text, "man page default of " + e.key, base);
    ASSERT_TRUE(c.ok()) << c.error().describe();
    EXPECT_EQ(*c, base) << e.table << "." << e.key << " = " << e.default_value
                        << " is not the default";
  }
  // All of them at once, over values that differ from every default.
  std::string all;
  std::string table;
  for (const Entry& e : read_page().entries) {
    if (e.array) continue;
    if (e.table != table) all += "[" + (table = e.table) + "]\n";
    all += e.key + " = " + e.default_value + "\n";
  }
  Config changed = base;
  changed.daemon.state_dir = "/elsewhere";
  changed.daemon.log_level = LogLevel::debug;
  changed.network.listen.clear();
  changed.session.call_timeout = 1;
  changed.control.socket_mode = 0600;
  auto c = parse_config(all, "man page defaults", changed);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(*c, base);
}

TEST(ConfigManPage, EveryKeyHasAValidExampleOfItself) {
  Config base = system_defaults();
  for (const Entry& e : read_page().entries) {
    ASSERT_EQ(e.examples.size(), 1u) << e.key << " needs exactly one Example: line";
    if (e.array) continue;  // checked as part of a whole [[handle]] entry in EXAMPLE
    const std::string& ex = e.examples[0];
    EXPECT_EQ(ex.rfind(e.key + " = ", 0), 0u) << "the example of " << e.key << " sets another key: " << ex;
    auto c = parse_config("[" + e.table + "]\n" + ex + "\n", "man page example of " + e.key, base);
    ASSERT_TRUE(c.ok()) << c.error().describe();
    EXPECT_TRUE(validate_config(*c).ok()) << ex;
  }
}

TEST(ConfigManPage, TheExampleFileIsValid) {
  Page page = read_page();
  ASSERT_FALSE(page.example_file.empty()) << "no literal block under # EXAMPLE";
  auto c = parse_config(page.example_file, "man page EXAMPLE", system_defaults());
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_TRUE(validate_config(*c).ok());
  EXPECT_NE(*c, system_defaults());
}

}  // namespace
}  // namespace peernet
