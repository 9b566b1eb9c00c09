#include "config/config.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "../../temp_dir.hpp"
#include "proto/peer_id.hpp"
#include "proto/units.hpp"

namespace peernet {
namespace {

const std::string kEtcConfig = PEERNET_SOURCE_ROOT "/etc/peernetd.toml";

Config system_defaults() {
  PathEnvironment env;
  env.euid = 0;
  return default_config(default_paths(env).value());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Config parse_ok(std::string_view text, const Config& base = Config{}) {
  auto c = parse_config(text, "test.toml", base);
  EXPECT_TRUE(c.ok()) << c.error().describe();
  return c.ok() ? *c : Config{};
}

std::string parse_error(std::string_view text) {
  auto c = parse_config(text, "test.toml");
  EXPECT_FALSE(c.ok()) << "parsed: " << text;
  if (c.ok()) return "";
  EXPECT_EQ(c.error().code, Errc::config_error);
  return c.error().message;
}

TEST(Config, Defaults) {
  Config c;
  EXPECT_EQ(c.daemon.log_level, LogLevel::info);
  ASSERT_EQ(c.network.listen.size(), 1u);
  EXPECT_EQ(c.network.listen[0].to_string(), "[::]:7469");
  EXPECT_EQ(c.network.handshake_timeout, 10);
  EXPECT_EQ(c.network.max_pending_handshakes, 64u);
  EXPECT_EQ(c.network.tcp_user_timeout, 20);
  EXPECT_EQ(c.session.ping_interval, 15);
  EXPECT_EQ(c.session.dead_after, 45);
  EXPECT_EQ(c.session.reconnect_min, 1);
  EXPECT_EQ(c.session.reconnect_max, 60);
  EXPECT_EQ(c.session.max_envelope, 1u << 20);
  EXPECT_EQ(c.session.write_queue_limit, 4u << 20);
  EXPECT_EQ(c.session.rekey_after_messages, 1000000u);
  EXPECT_EQ(c.session.rekey_after, 3600);
  EXPECT_EQ(c.session.call_timeout, 30);
  EXPECT_EQ(c.control.socket_mode, 0660u);
  EXPECT_EQ(c.control.socket_group, "");
  EXPECT_EQ(c.control.admin_group, "");
  EXPECT_TRUE(c.admin.allow.empty());
  EXPECT_EQ(c.admin.timeout, 60);
  EXPECT_EQ(c.admin.max_output, 1u << 20);
  EXPECT_EQ(c.admin.max_concurrent, 4u);
  EXPECT_TRUE(c.handles.empty());
  CommandHandleConfig h;
  EXPECT_TRUE(h.allow.empty());
  EXPECT_EQ(h.timeout, 10);
  EXPECT_EQ(h.max_output, 64u << 10);
  EXPECT_EQ(h.max_concurrent, 4u);

  Config sys = system_defaults();
  EXPECT_EQ(sys.daemon.state_dir, "/var/lib/peernet");
  EXPECT_EQ(sys.control.socket, "/run/peernet/peernetd.sock");
  EXPECT_TRUE(validate_config(sys).ok());
  EXPECT_EQ(parse_ok("", sys), sys);
}

TEST(Config, ShippedFileParsesToTheDefaults) {
  Config base = system_defaults();
  auto c = parse_config(read_file(kEtcConfig), kEtcConfig, base);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(*c, base);
}

// Uncommenting every "# key = value" line of the shipped file must name
// every key the parser knows, and still give the defaults: the file and the
// code cannot drift apart. The commented "# [[handle]]" example becomes one
// command handle whose optional keys hold their defaults.
TEST(Config, ShippedFileDocumentsEveryKeyWithItsDefault) {
  std::istringstream in(read_file(kEtcConfig));
  std::regex table_re(R"(^\[([a-z_]+)\]$)"), key_re(R"(^# ([a-z_]+) = (.*)$)"),
      array_re(R"(^# \[\[([a-z_]+)\]\]$)");
  std::string line, table, text;
  std::set<std::string> documented;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, table_re)) {
      table = m[1];
    } else if (std::regex_match(line, m, array_re)) {
      table = m[1];
      line = line.substr(2);
    } else if (std::regex_match(line, m, key_re)) {
      EXPECT_TRUE(documented.insert(table + "." + m[1].str()).second) << "twice: " << m[1];
      line = line.substr(2);
    }
    text += line + "\n";
  }
  auto keys = config_keys();
  EXPECT_EQ(documented, std::set<std::string>(keys.begin(), keys.end()));

  Config base = system_defaults();
  auto c = parse_config(text, "uncommented", base);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  ASSERT_EQ(c->handles.size(), 1u);
  CommandHandleConfig example = c->handles[0], defaults;
  EXPECT_FALSE(example.name.empty());
  ASSERT_FALSE(example.command.empty());
  EXPECT_EQ(example.command[0].front(), '/');
  EXPECT_EQ(example.allow, defaults.allow);
  EXPECT_EQ(example.timeout, defaults.timeout);
  EXPECT_EQ(example.max_output, defaults.max_output);
  EXPECT_EQ(example.max_concurrent, defaults.max_concurrent);
  c->handles.clear();
  EXPECT_EQ(*c, base);
}

TEST(Config, EveryKeyIsApplied) {
  Config c = parse_ok(R"(
[daemon]
state_dir = "/srv/peernet"
log_level = "debug"
[network]
listen = ["198.18.0.1:7000", "[fe80::1%eth0]:0"]
handshake_timeout = 5
max_pending_handshakes = 8
tcp_user_timeout = 0
[session]
ping_interval = "500ms"
dead_after = 2.5
reconnect_min = "2s"
reconnect_max = "2m"
max_envelope = "64KiB"
write_queue_limit = 1048576
rekey_after_messages = 10
rekey_after = "1h"
call_timeout = "1m"
[control]
socket = "/run/x.sock"
socket_mode = "0600"
socket_group = "peernet"
admin_group = "wheel"
)");
  EXPECT_EQ(c.daemon.state_dir, "/srv/peernet");
  EXPECT_EQ(c.daemon.log_level, LogLevel::debug);
  ASSERT_EQ(c.network.listen.size(), 2u);
  EXPECT_EQ(c.network.listen[0], (Endpoint{"198.18.0.1", 7000}));
  EXPECT_EQ(c.network.listen[1], (Endpoint{"fe80::1%eth0", 0}));
  EXPECT_EQ(c.network.handshake_timeout, 5);
  EXPECT_EQ(c.network.max_pending_handshakes, 8u);
  EXPECT_EQ(c.network.tcp_user_timeout, 0);
  EXPECT_EQ(c.session.ping_interval, 0.5);
  EXPECT_EQ(c.session.dead_after, 2.5);
  EXPECT_EQ(c.session.reconnect_min, 2);
  EXPECT_EQ(c.session.reconnect_max, 120);
  EXPECT_EQ(c.session.max_envelope, 64u * 1024);
  EXPECT_EQ(c.session.write_queue_limit, 1048576u);
  EXPECT_EQ(c.session.rekey_after_messages, 10u);
  EXPECT_EQ(c.session.rekey_after, 3600);
  EXPECT_EQ(c.session.call_timeout, 60);
  EXPECT_EQ(c.control.socket, "/run/x.sock");
  EXPECT_EQ(c.control.socket_mode, 0600u);
  EXPECT_EQ(c.control.socket_group, "peernet");
  EXPECT_EQ(c.control.admin_group, "wheel");
}

TEST(Config, DiscoveryAndNetworkMonitorKeys) {
  Config d;
  EXPECT_TRUE(d.discovery.mdns);
  EXPECT_TRUE(d.discovery.private_announcements);
  EXPECT_EQ(d.discovery.instance, "");
  EXPECT_FALSE(d.discovery.broadcast);
  EXPECT_EQ(d.discovery.broadcast_port, 7470);
  EXPECT_EQ(d.discovery.broadcast_interval, 30);
  EXPECT_TRUE(d.discovery.interfaces.empty());
  EXPECT_EQ(d.network.monitor, "netlink");
  EXPECT_EQ(d.network.poll_interval, 2);
  Config c = parse_ok(R"(
[network]
monitor = "poll"
poll_interval = "500ms"
[discovery]
mdns = false
private = false
instance = "Ann's Laptop.home"
broadcast = true
broadcast_port = 17470
broadcast_interval = "10s"
interfaces = ["eth0", "wlan0"]
)");
  EXPECT_EQ(c.network.monitor, "poll");
  EXPECT_EQ(c.network.poll_interval, 0.5);
  EXPECT_FALSE(c.discovery.mdns);
  EXPECT_FALSE(c.discovery.private_announcements);
  EXPECT_EQ(c.discovery.instance, "Ann's Laptop.home");
  EXPECT_TRUE(c.discovery.broadcast);
  EXPECT_EQ(c.discovery.broadcast_port, 17470);
  EXPECT_EQ(c.discovery.broadcast_interval, 10);
  EXPECT_EQ(c.discovery.interfaces, (std::vector<std::string>{"eth0", "wlan0"}));

  EXPECT_EQ(parse_error("[network]\nmonitor = \"udev\"\n"),
            "test.toml:2:11: key \"network.monitor\": expected \"netlink\" or \"poll\", got \"udev\"");
  EXPECT_EQ(parse_error("[discovery]\nmdns = 1\n"),
            "test.toml:2:8: key \"discovery.mdns\": expected true or false, got an integer");
  EXPECT_NE(parse_error("[discovery]\ninstance = \"" + std::string(64, 'x') + "\"\n"), "");
  EXPECT_NE(parse_error("[discovery]\ninstance = \"a\\u0001b\"\n"), "");
  EXPECT_EQ(parse_error("[discovery]\nbroadcast_port = 0\n"),
            "test.toml:2:18: key \"discovery.broadcast_port\": must be between 1 and 65535 (got 0)");
  EXPECT_EQ(parse_error("[discovery]\ninterfaces = [\"eth0\", \"eth0\"]\n"),
            "test.toml:2:23: key \"discovery.interfaces\": \"eth0\" is listed twice");
  EXPECT_EQ(parse_error("[discovery]\ninterfaces = [\"a/b\"]\n"),
            "test.toml:2:15: key \"discovery.interfaces\": not an interface name: \"a/b\"");
}

PublicKey test_key(uint8_t fill) {
  PublicKey k;
  k.bytes.fill(fill);
  return k;
}

TEST(Config, AdminAndCommandHandlesAreParsed) {
  std::string id = peer_id_text(test_key(7));
  std::string compact_lower = peer_id_compact(test_key(9));
  for (char& ch : compact_lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  Config c = parse_ok(R"(
[admin]
allow = [")" + id + R"(", "phone"]
timeout = "2m"
max_output = "256KiB"
max_concurrent = 1

[[handle]]
name = "sensors/read"
command = ["/usr/bin/sensors", "-j", ""]
allow = ["laptop", ")" + compact_lower + R"("]
timeout = "1.5s"
max_output = 100
max_concurrent = 2

[[handle]]
name = "uptime"
command = ["/usr/bin/uptime"]
)",
                      system_defaults());
  EXPECT_EQ(c.admin.allow, (std::vector<std::string>{id, "phone"}));
  EXPECT_EQ(c.admin.timeout, 120);
  EXPECT_EQ(c.admin.max_output, 256u << 10);
  EXPECT_EQ(c.admin.max_concurrent, 1u);
  EXPECT_EQ(c.admin.where, "test.toml:3:9");
  ASSERT_EQ(c.handles.size(), 2u);
  const CommandHandleConfig& h = c.handles[0];
  EXPECT_EQ(h.name, "sensors/read");
  EXPECT_EQ(h.command, (std::vector<std::string>{"/usr/bin/sensors", "-j", ""}));
  // Peer ids are kept in their canonical grouped form.
  EXPECT_EQ(h.allow, (std::vector<std::string>{"laptop", peer_id_text(test_key(9))}));
  EXPECT_EQ(h.timeout, 1.5);
  EXPECT_EQ(h.max_output, 100u);
  EXPECT_EQ(h.max_concurrent, 2u);
  EXPECT_EQ(h.where, "test.toml:8:1");
  EXPECT_EQ(c.handles[1].name, "uptime");
  EXPECT_TRUE(c.handles[1].allow.empty());
  EXPECT_EQ(c.handles[1].timeout, 10);
  EXPECT_TRUE(validate_config(c).ok());
  // Positions are for messages only.
  Config moved = c;
  moved.handles[0].where = "elsewhere:1:1";
  moved.admin.where.clear();
  EXPECT_EQ(moved, c);
}

TEST(Config, CommandHandleErrorsAreReported) {
  EXPECT_EQ(parse_error("[[handle]]\ncommand = [\"/bin/true\"]\n"),
            "test.toml:1:1: key \"handle.name\": missing: every [[handle]] needs a name");
  EXPECT_EQ(parse_error("\n[[handle]]\nname = \"x\"\n"),
            "test.toml:2:1: key \"handle.command\": missing: every [[handle]] needs a command");
  EXPECT_EQ(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"true\"]\n"),
            "test.toml:3:12: key \"handle.command\": the program must be an absolute path (no shell "
            "runs it and PATH is not searched)");
  EXPECT_NE(parse_error("[[handle]]\nname = \"x\"\ncommand = []\n").find("names no program"),
            std::string::npos);
  EXPECT_NE(parse_error("[[handle]]\nname = \"x\"\ncommand = \"/bin/true\"\n").find("expected an array"),
            std::string::npos);
  EXPECT_NE(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"/bin/echo\", 1]\n").find("expected a string"),
            std::string::npos);
  EXPECT_NE(parse_error("[[handle]]\nname = \"a b\"\n").find("invalid handle name \"a b\""), std::string::npos);
  EXPECT_NE(parse_error("[[handle]]\nname = \"peernet.admin.exec\"\n").find("reserved"), std::string::npos);
  EXPECT_EQ(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"/bin/true\"]\ntimout = 1\n"),
            "test.toml:4:1: key \"handle.timout\": unknown key (did you mean \"timeout\"?)");
  EXPECT_EQ(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"/bin/true\"]\n"
                        "[[handle]]\nname = \"x\"\ncommand = [\"/bin/false\"]\n"),
            "test.toml:4:1: key \"handle.name\": handle \"x\" is defined twice (also at test.toml:1:1)");
  EXPECT_EQ(parse_error("[handle]\nname = \"x\"\n"),
            "test.toml:1:1: key \"handle\": expected an array of tables ([[handle]])");
  EXPECT_NE(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"/bin/true\"]\nmax_concurrent = 0\n")
                .find("between 1 and 1024"),
            std::string::npos);
  EXPECT_NE(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"/bin/true\"]\ntimeout = \"2d\"\n")
                .find("handle.timeout"),
            std::string::npos);
}

TEST(Config, AllowEntriesAreIdsOrAliases) {
  std::string id = peer_id_text(test_key(7));
  std::string typo = id;
  typo[3] = typo[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(parse_error("[admin]\nallow = [\"ok\", \"" + typo + "\"]\n").rfind(
                "test.toml:2:16: key \"admin.allow\": peer id \"" + typo + "\": ", 0),
            0u);
  EXPECT_EQ(parse_error("[admin]\nallow = [\"no way\"]\n"),
            "test.toml:2:10: key \"admin.allow\": \"no way\" is neither a peer id nor an alias");
  EXPECT_NE(parse_error("[admin]\nallow = [\"" + id + "\", \"" + peer_id_compact(test_key(7)) + "\"]\n")
                .find("listed twice"),
            std::string::npos);
  EXPECT_NE(parse_error("[admin]\nallow = [1]\n").find("expected a string (a peer id or an alias)"),
            std::string::npos);
  EXPECT_NE(parse_error("[admin]\nallow = \"phone\"\n").find("expected an array"), std::string::npos);
  EXPECT_NE(parse_error("[[handle]]\nname = \"x\"\ncommand = [\"/bin/true\"]\nallow = [\"-x\"]\n")
                .find("neither a peer id nor an alias"),
            std::string::npos);
  EXPECT_NE(parse_error("[admin]\nmax_output = 0\n").find("between 1B and 64MiB"), std::string::npos);
}

TEST(Config, EmptyListenListAcceptsNothing) {
  EXPECT_TRUE(parse_ok("[network]\nlisten = []\n").network.listen.empty());
}

TEST(Config, UnknownKeyIsReportedWithItsPosition) {
  EXPECT_EQ(parse_error("[network]\nlisten = []\nlisen = 1\n"),
            "test.toml:3:1: key \"network.lisen\": unknown key (did you mean \"listen\"?)");
  EXPECT_EQ(parse_error("[session]\n  frobnicate = 1\n"),
            "test.toml:2:3: key \"session.frobnicate\": unknown key");
  EXPECT_EQ(parse_error("\n[netwrk]\n"),
            "test.toml:2:2: key \"netwrk\": unknown table (expected daemon, network, session, discovery, control, pairing, metrics, "
            "admin or "
            "[[handle]])");
  EXPECT_EQ(parse_error("network = 1\n"), "test.toml:1:11: key \"network\": expected a table, got an integer");
}

TEST(Config, WrongTypeIsReported) {
  EXPECT_EQ(parse_error("[session]\nping_interval = true\n"),
            "test.toml:2:17: key \"session.ping_interval\": expected a duration (seconds, or a string "
            "such as \"15s\"), got a boolean");
  EXPECT_EQ(parse_error("[network]\nlisten = \"[::]:1\"\n"),
            "test.toml:2:10: key \"network.listen\": expected an array, got a string");
  EXPECT_EQ(parse_error("[network]\nmax_pending_handshakes = 1.5\n"),
            "test.toml:2:26: key \"network.max_pending_handshakes\": expected an integer, got a "
            "floating-point number");
  EXPECT_NE(parse_error("[control]\nsocket_mode = 0o660\n").find("expected an octal string"), std::string::npos);
  EXPECT_NE(parse_error("[daemon]\nlog_level = 6\n").find("expected a string, got an integer"), std::string::npos);
}

TEST(Config, BadValuesAreReported) {
  EXPECT_EQ(parse_error("[session]\nmax_envelope = \"128MiB\"\n"),
            "test.toml:2:16: key \"session.max_envelope\": must be between 1KiB and 64MiB (got 128MiB)");
  EXPECT_NE(parse_error("[session]\nmax_envelope = -1\n").find("must not be negative"), std::string::npos);
  EXPECT_NE(parse_error("[network]\nhandshake_timeout = \"2h\"\n").find("between 100ms and 10m"),
            std::string::npos);
  EXPECT_NE(parse_error("[network]\ntcp_user_timeout = \"10ms\"\n").find(", or 0"), std::string::npos);
  EXPECT_NE(parse_error("[network]\nmax_pending_handshakes = 0\n").find("between 1 and 4096"),
            std::string::npos);
  EXPECT_NE(parse_error("[session]\nrekey_after_messages = 0\n").find("between 1 and"), std::string::npos);
  EXPECT_NE(parse_error("[session]\ncall_timeout = \"15\"\n").find("needs a unit"), std::string::npos);
  EXPECT_NE(parse_error("[daemon]\nlog_level = \"loud\"\n").find("unknown log level \"loud\""),
            std::string::npos);
  EXPECT_NE(parse_error("[daemon]\nstate_dir = \"var/lib\"\n").find("absolute path"), std::string::npos);
  EXPECT_NE(parse_error("[control]\nsocket = \"/" + std::string(120, 's') + "\"\n").find("longer than 107"),
            std::string::npos);
  EXPECT_NE(parse_error("[control]\nsocket_mode = \"0400\"\n").find("owner read and write"), std::string::npos);
  EXPECT_NE(parse_error("[control]\nsocket_mode = \"0669\"\n").find("octal mode"), std::string::npos);
  EXPECT_NE(parse_error("[control]\nsocket_mode = \"7777\"\n").find("at most"), std::string::npos);
  EXPECT_NE(parse_error("[control]\nadmin_group = \"a b\"\n").find("not a valid group name"), std::string::npos);
}

TEST(Config, ListenEntriesAreCheckedOneByOne) {
  EXPECT_EQ(parse_error("[network]\nlisten = [\"[::]:1\",\n  \"host.example:1\"]\n"),
            "test.toml:3:3: key \"network.listen\": address \"host.example:1\": must be an IP address, not "
            "a host name (\"[::]:7469\" listens on all)");
  EXPECT_NE(parse_error("[network]\nlisten = [\"[::]:1\", \"[::]:1\"]\n").find("listed twice"), std::string::npos);
  EXPECT_NE(parse_error("[network]\nlisten = [\"[::]\"]\n").find("missing port"), std::string::npos);
  EXPECT_NE(parse_error("[network]\nlisten = [1]\n").find("expected a string"), std::string::npos);
}

TEST(Config, RulesBetweenKeys) {
  EXPECT_EQ(parse_error("[session]\ndead_after = \"10s\"\n"),
            "test.toml:2:14: key \"session.dead_after\": must be longer than session.ping_interval (15s)");
  // When only the other key is in the file, the error points at it.
  EXPECT_EQ(parse_error("[session]\n\nping_interval = \"1m\"\n"),
            "test.toml:3:17: key \"session.dead_after\": must be longer than session.ping_interval (1m)");
  EXPECT_NE(parse_error("[session]\nreconnect_min = \"2m\"\n").find("reconnect_max"), std::string::npos);
  EXPECT_NE(parse_error("[session]\nmax_envelope = \"8MiB\"\n").find("at least session.max_envelope (8MiB)"),
            std::string::npos);
}

TEST(Config, BadTomlSyntaxReportsTheLine) {
  std::string msg = parse_error("[daemon]\nlog_level = \"info\n");
  EXPECT_EQ(msg.rfind("test.toml:2:", 0), 0u) << msg;
  msg = parse_error("[daemon]\nlog_level = \"info\"\nlog_level = \"debug\"\n");
  EXPECT_EQ(msg.rfind("test.toml:3:", 0), 0u) << msg;
}

TEST(Units, Durations) {
  EXPECT_EQ(*parse_duration("500ms"), 0.5);
  EXPECT_EQ(*parse_duration("15s"), 15);
  EXPECT_EQ(*parse_duration("2m"), 120);
  EXPECT_EQ(*parse_duration("1h"), 3600);
  EXPECT_EQ(*parse_duration("1.5s"), 1.5);
  for (std::string_view bad : {"", "15", "s", "-1s", "1e3s", "infs", "nans", "1 s", "1d", "1.2.3s"})
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  EXPECT_EQ(format_duration(15), "15s");
  EXPECT_EQ(format_duration(0.5), "500ms");
  EXPECT_EQ(format_duration(3600), "1h");
  EXPECT_EQ(format_duration(90), "90s");
  EXPECT_EQ(format_duration(0), "0s");
}

TEST(Units, Sizes) {
  EXPECT_EQ(*parse_size("512"), 512u);
  EXPECT_EQ(*parse_size("512B"), 512u);
  EXPECT_EQ(*parse_size("512KiB"), 512u * 1024);
  EXPECT_EQ(*parse_size("1MiB"), 1u << 20);
  EXPECT_EQ(*parse_size("2GiB"), 2ull << 30);
  for (std::string_view bad : {"", "KiB", "1KB", "1.5MiB", "-1", "1 MiB", "99999999999999999999",
                               "17179869184GiB"})
    EXPECT_FALSE(parse_size(bad).ok()) << bad;
  EXPECT_EQ(format_size(1 << 20), "1MiB");
  EXPECT_EQ(format_size(1536), "1536B");
  EXPECT_EQ(format_size(3072), "3KiB");
  EXPECT_EQ(format_size(1000), "1000B");
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok()) << tmp_.error();
    dir_ = tmp_.path();
  }
  peernet::testing::TempDir tmp_{"config-test"};
  std::string dir_;
};

TEST_F(ConfigFileTest, MissingFile) {
  Config base = system_defaults();
  auto c = load_config(dir_ + "/absent.toml", false, base);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, base);
  auto e = load_config(dir_ + "/absent.toml", true, base);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::config_error);
  EXPECT_NE(e.error().message.find("absent.toml"), std::string::npos);
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
  std::string path = dir_ + "/peernetd.toml";
  std::ofstream(path) << "[session]\nping_interval = \"fast\"\n";
  auto c = load_config(path, true);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind(path + ":2:17: key \"session.ping_interval\": ", 0), 0u)
      << c.error().message;
  auto d = load_config(dir_, true);  // A directory is not a config file.
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("Is a directory"), std::string::npos) << d.error().message;
  // /dev/null is an empty config: the defaults.
  auto n = load_config("/dev/null", true, system_defaults());
  ASSERT_TRUE(n.ok()) << n.error().describe();
  EXPECT_EQ(*n, system_defaults());
}

TEST(Config, ValidateAfterOverrides) {
  Config c = system_defaults();
  c.daemon.state_dir = "relative";
  EXPECT_NE(validate_config(c).error().message.find("daemon.state_dir"), std::string::npos);
  c = system_defaults();
  c.network.listen = {Endpoint{"host.example", 1}};
  EXPECT_NE(validate_config(c).error().message.find("must be an IP address"), std::string::npos);
  c = system_defaults();
  c.session.dead_after = 1;
  EXPECT_NE(validate_config(c).error().message.find("session.dead_after"), std::string::npos);
  c = system_defaults();
  c.handles.push_back(CommandHandleConfig{});
  c.handles[0].name = "x";
  c.handles[0].command = {"relative"};
  EXPECT_NE(validate_config(c).error().message.find("handle.command"), std::string::npos);
}

// [metrics] listen: off by default; loopback or a Unix socket path only.
TEST(Config, MetricsListen) {
  auto c = parse_config("", "test.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->metrics.listen, "");
  EXPECT_EQ(c->metrics.max_peers, 256u);
  for (const char* ok : {"127.0.0.1:9464", "[::1]:9464", "127.0.0.2:0", "/run/peernet/metrics.sock"}) {
    auto m = parse_config(std::string("[metrics]\nlisten = \"") + ok + "\"\n", "test.toml");
    ASSERT_TRUE(m.ok()) << ok << ": " << m.error().describe();
    EXPECT_EQ(m->metrics.listen, ok);
  }
  for (const char* bad : {"0.0.0.0:9464", "[::]:9464", "198.18.0.1:9464", "localhost:9464", "metrics.sock"}) {
    auto m = parse_config(std::string("[metrics]\nlisten = \"") + bad + "\"\n", "test.toml");
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().code, Errc::config_error);
    EXPECT_NE(m.error().message.find("metrics.listen"), std::string::npos) << m.error().message;
  }
  auto m = parse_config("[metrics]\nlisten = \"0.0.0.0:9464\"\n", "test.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("is not a loopback address"), std::string::npos) << m.error().message;
}

}  // namespace
}  // namespace peernet
