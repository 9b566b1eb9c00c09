// Private to peernetctl: what the verb files (cmd_<verb>.cpp) share.
//
// Each verb group defines its commands in one Command row of commands.cpp:
// `define` adds the verb's own options and arguments to its CLI11
// subcommand and returns the handler that runs once parsing succeeded.
// run_cli() (cli.cpp) builds the app from the table, adds --socket and
// --json to every verb, parses and dispatches; main() only calls it.
//
// Handlers return an exit code (exit_code.hpp). Output goes to Io, so that
// tests can run the whole command line in-process.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "ctl/client.hpp"
#include "proto/result.hpp"

namespace peernet::ctl {

struct Io {
  std::ostream& out;
  std::ostream& err;
  int in_fd = 0;  // read with poll() by listen and chat
};

// Options every verb takes.
struct Globals {
  std::string socket;  // --socket; empty: $PEERNET_SOCKET or the default
  bool json = false;   // --json
  std::string verb;    // the verb as typed ("trust" for pair's alias), for messages
};

using Handler = std::function<int(const Globals&, Io&)>;

struct Command {
  std::string_view name;
  std::string_view alias;  // another name for the same verb, or ""
  std::string_view help;   // one line
  Handler (*define)(CLI::App& sub);
};

// The table, in the order `peernetctl --help` lists it.
std::span<const Command> commands();

// Parses argv and runs the chosen verb; returns the process exit code.
int run_cli(int argc, const char* const* argv, Io& io);

// ---- Helpers for the verbs ----

// The socket a verb connects to: --socket, else $PEERNET_SOCKET, else the
// default (libpeernet-client decides, for peernetctl and applications alike).
std::string socket_path(const Globals& g);
// Connects to the daemon named by the globals and says hello.
Result<Client> open_client(const Globals& g);

// Reports `e` (stderr; also {"error": {code, message}} on stdout with
// --json) and returns its exit code.
int report(const Globals& g, Io& io, const Error& e);

// One JSON document on one line of stdout.
void print_json(Io& io, const nlohmann::ordered_json& value);

// Reads all of `fd` (ARGS_JSON "-"), at most `max` bytes.
Result<std::string> read_all(int fd, size_t max);

// Whether PEER, as the user typed it, names this peer: its alias, or a
// prefix of its id (case and dashes ignored). For choosing which events to
// show or wait for; the daemon resolves names for everything else.
bool peer_named(const std::string& given, const PublicKey& id,
                const std::optional<std::string>& name);

// A verb's ARGS_JSON: absent -> nil; "-" -> read from stdin; else the text.
Result<Bytes> args_from_json(const std::string& text, bool given, Io& io);

}  // namespace peernet::ctl
