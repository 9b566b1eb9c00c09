// Builds peernetctl's command line from the table in commands.cpp and runs
// the chosen verb. Nothing here knows any verb.
#include "cli.hpp"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "ctl/socket_path.hpp"
#include "peernet/client.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/socket.hpp"
#include "proto/peer_id.hpp"

#ifndef PEERNET_VERSION
#define PEERNET_VERSION "unknown"
#endif

namespace peernet::ctl {

namespace {

// The edit distance of a and b (insertions, deletions, substitutions).
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Every verb the command line takes, aliases and the built-in ones too.
std::vector<std::string> verb_names() {
  std::vector<std::string> names;
  for (const Command& c : commands()) {
    names.emplace_back(c.name);
    if (!c.alias.empty()) names.emplace_back(c.alias);
  }
  names.emplace_back("help");
  names.emplace_back("version");
  return names;
}

// `unknown command "X"`, with the verbs it is closest to.
Error unknown_verb(const std::string& typed) {
  std::vector<std::string> close;
  size_t best = 3;  // farther than 2 edits is no typo
  for (const std::string& v : verb_names()) {
    size_t d = v.starts_with(typed) ? 0 : distance(typed, v);
    if (d < best) close.clear(), best = d;
    if (d == best) close.push_back(v);
  }
  std::string msg = "unknown command \"" + typed + "\"";
  if (!close.empty()) {
    msg += "; did you mean ";
    for (size_t i = 0; i < close.size(); ++i)
      msg += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + ("\"" + close[i] + "\"");
    msg += "?";
  } else {
    msg += " (peernetctl help lists them)";
  }
  return make_error(Errc::bad_request, msg);
}

// What the command line says before CLI11 reads it: the first word that
// is neither an option nor --socket's value (the verb, as typed), and
// whether --json is there, so that a usage error can be reported as the
// user asked.
struct Typed {
  std::string verb;
  bool json = false;
};
Typed prescan(int argc, const char* const* argv) {
  Typed t;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--json") t.json = true;
    if (a == "--socket") ++i;
    if (a.starts_with("-")) continue;
    if (t.verb.empty()) t.verb = a;
  }
  return t;
}

// peernetctl __complete WHAT: the words a shell completes, one a line.
//   verbs         every verb and alias
//   options VERB  VERB's options (--long and -s)
//   peers         the trusted peers' aliases (ids where there is none),
//                 from the daemon; nothing when there is no daemon
//   events        the peer event names
// Always exit 0: a completion shows nothing rather than an error.
int complete_words(CLI::App& app, const std::vector<std::string>& what, const Globals& g, Io& io) {
  if (what[0] == "verbs") {
    for (const std::string& v : verb_names()) io.out << v << '\n';
  } else if (what[0] == "options" && what.size() == 2) {
    CLI::App* sub = nullptr;
    for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; }))
      if (s->check_name(what[1])) sub = s;
    if (sub == nullptr) return kExitOk;
    for (const CLI::Option* o : sub->get_options()) {
      if (o->get_positional()) continue;
      for (const std::string& n : o->get_lnames()) io.out << "--" << n << '\n';
      for (const std::string& n : o->get_snames()) io.out << '-' << n << '\n';
    }
  } else if (what[0] == "peers") {
    auto client = open_client(g);
    if (!client) return kExitOk;
    auto list = client->request<control::method::TrustList>({});
    if (!list) return kExitOk;
    for (const auto& e : *list) io.out << e.name.value_or(peer_id_text(e.id)) << '\n';
  } else if (what[0] == "events") {
    for (std::string_view n : kPeerEventNames) io.out << n << '\n';
  }
  io.out << std::flush;
  return kExitOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, Io& io) {
  CLI::App app("peernetctl: pair peers, call and send to their handles, serve handles, "
               "inspect peernetd",
               "peernetctl");
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", "peernetctl " PEERNET_VERSION);
  app.footer(
      "Exit codes: 0 ok, 1 error, 2 usage, 3 peer offline (or send dropped for it), 4 timeout, "
      "5 denied, 6 no such peer or handle, 7 busy or too large, 8 peernetd not running.\n"
      "peernetctl help VERB (or peernetctl VERB --help) says more about one verb.");

  // --socket and --json go before the verb or after it, as people type them.
  Globals globals;
  auto add_globals = [&globals](CLI::App& a) {
    a.add_option("--socket", globals.socket,
                 "Control socket (default: $PEERNET_SOCKET, else peernetd's default)");
    a.add_flag("--json", globals.json, "Print JSON (one document per line)");
  };
  add_globals(app);
  std::vector<std::pair<CLI::App*, Handler>> verbs;
  for (const Command& c : commands()) {
    CLI::App* sub = app.add_subcommand(std::string(c.name), std::string(c.help));
    if (!c.alias.empty()) sub->alias(std::string(c.alias));
    add_globals(*sub);
    verbs.emplace_back(sub, c.define(*sub));
  }
  std::string help_verb;
  CLI::App* help = app.add_subcommand("help", "Show this help, or one verb's (help VERB)");
  help->add_option("VERB", help_verb, "The verb to explain");
  CLI::App* version = app.add_subcommand("version", "Show peernetctl's version");
  add_globals(*help);
  add_globals(*version);
  // For the shell completions (ctl/completions/): not listed in the help.
  std::vector<std::string> complete_args;
  CLI::App* complete = app.add_subcommand("__complete", "")->group("");
  complete->add_option("WHAT", complete_args, "verbs | options VERB | peers | events")->required();
  add_globals(*complete);

  Typed typed = prescan(argc, argv);
  globals.verb = typed.verb;
  auto usage = [&](Error e) {
    Globals g = globals;
    g.json = g.json || typed.json;
    return report(g, io, e);
  };
  // An unknown verb: the nearest ones, rather than CLI11's "not expected".
  if (!typed.verb.empty()) {
    auto names = verb_names();
    if (typed.verb != "__complete" &&
        std::find(names.begin(), names.end(), typed.verb) == names.end())
      return usage(unknown_verb(typed.verb));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0.
    if (e.get_exit_code() == 0) return app.exit(e, io.out, io.err) == 0 ? kExitOk : kExitUsage;
    std::string msg = e.what();
    if (typed.verb.empty())
      msg = "which command? peernetctl VERB ... (peernetctl help lists the verbs)";
    else
      msg = typed.verb + ": " + msg + " (see peernetctl help " + typed.verb + ")";
    return usage(make_error(Errc::bad_request, msg));
  }
  if (version->parsed()) {
    if (globals.json)
      print_json(io, {{"version", PEERNET_VERSION}});
    else
      io.out << "peernetctl " PEERNET_VERSION "\n";
    return kExitOk;
  }
  if (complete->parsed()) return complete_words(app, complete_args, globals, io);
  if (help->parsed()) {
    if (help_verb.empty()) {
      // app.help() would explain the parsed subcommand, `help` itself.
      io.out << app.get_formatter()->make_help(&app, "peernetctl", CLI::AppFormatMode::Normal);
      return kExitOk;
    }
    for (auto& [sub, handler] : verbs)
      if (sub->check_name(help_verb)) {
        io.out << sub->help("peernetctl");
        return kExitOk;
      }
    if (help_verb == "help" || help_verb == "version") {
      io.out << (help_verb == "help" ? help : version)->help("peernetctl");
      return kExitOk;
    }
    return usage(unknown_verb(help_verb));
  }
  for (auto& [sub, handler] : verbs)
    if (sub->parsed()) return handler(globals, io);
  return kExitUsage;  // require_subcommand(1) makes this unreachable
}

namespace {

// What an admin-only method does, in the user's words.
std::string admin_action(std::string_view method) {
  if (method == control::method::TrustAdd::kName) return "pair with (trust) a peer";
  if (method == control::method::TrustRemove::kName) return "untrust a peer";
  if (method == control::method::PairOpen::kName || method == control::method::PairWait::kName)
    return "open a pairing window";
  if (method == control::method::PairJoin::kName) return "pair by a code";
  return "do this";
}

// The daemon refuses an admin method as "METHOD: uid N is not an admin
// (...)". Said in the terms of the command the user typed, with the way to
// get the right; nullopt for any other error.
std::optional<std::string> admin_refusal(const Globals& g, const Error& e) {
  if (e.code != Errc::forbidden) return std::nullopt;
  size_t colon = e.message.find(": uid ");
  size_t tail = e.message.find(" is not an admin");
  if (colon == std::string::npos || tail == std::string::npos || tail < colon) return std::nullopt;
  std::string method = e.message.substr(0, colon);
  std::string uid = e.message.substr(colon + 6, tail - colon - 6);
  std::string verb = g.verb.empty() ? method : g.verb;
  return verb + ": refused: only an admin of this peernetd may " + admin_action(method) +
         ", and uid " + uid +
         " is not one. Admins are root, the daemon's own user, and members of the group "
         "named by control.admin_group in peernetd.toml (see peernetd.toml(5)): run it with "
         "sudo, or have an admin add you to that group";
}

// Says which sockets were tried, and how to start a daemon, when the
// default socket (no --socket, no $PEERNET_SOCKET) is missing.
std::optional<std::string> no_daemon_hint(const Globals& g, const Error& e) {
  if (e.code != Errc::closed || !g.socket.empty()) return std::nullopt;
  auto in = current_socket_path_inputs(std::nullopt);
  if (in.env_socket && !in.env_socket->empty()) return std::nullopt;
  std::string user = control::default_socket_path(false, in.euid, in.xdg_runtime_dir);
  std::string system = control::default_socket_path(true, in.euid, in.xdg_runtime_dir);
  const std::string& first = in.euid == 0 ? system : user;
  const std::string& second = in.euid == 0 ? user : system;
  if (e.message.find(" no socket at ") == std::string::npos) return std::nullopt;
  return "peernetd is not running: no socket at " + first + " nor at " + second +
         ". Start the system service with: sudo systemctl start peernetd; or your own "
         "daemon with: peernetd --user (or systemctl --user start peernetd)";
}

}  // namespace

std::string socket_path(const Globals& g) {
  // --socket, else $PEERNET_SOCKET, else the default: decided by the
  // installed libpeernet-client, so peernetctl and the applications that
  // link it agree on which daemon "the default" is.
  return ::peernet::resolve_socket_path(g.socket);
}

Result<Client> open_client(const Globals& g) {
  PEERNET_TRY(Client client, Client::connect(socket_path(g)));
  PEERNET_TRY_VOID(client.hello("peernetctl " PEERNET_VERSION));
  return client;
}

int report(const Globals& g, Io& io, const Error& e) {
  std::string code(to_string(e.code));
  std::string message = e.message;
  if (auto m = admin_refusal(g, e)) message = *m;
  if (auto m = no_daemon_hint(g, e)) message = *m;
  // `closed` is the client's own "no daemon" (ctl/client.hpp), which the
  // message says in words; other codes are worth seeing, scripts branch on them.
  bool say_code = e.code != Errc::closed || message.empty();
  io.err << "peernetctl: " << (message.empty() ? code : message)
         << (say_code && !message.empty() ? " (" + code + ")" : "") << '\n';
  if (g.json) print_json(io, {{"error", {{"code", code}, {"message", message}}}});
  return exit_code(e.code);
}

void print_json(Io& io, const nlohmann::ordered_json& value) {
  io.out << dump_json(value) << '\n' << std::flush;
}

Result<std::string> read_all(int fd, size_t max) {
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io_error, std::string("reading stdin: ") + ::strerror(errno));
    }
    if (n == 0) return data;
    if (data.size() + static_cast<size_t>(n) > max)
      return make_error(Errc::payload_too_large,
                        "more than " + std::to_string(max) + " bytes on stdin");
    data.append(buf, static_cast<size_t>(n));
  }
}

bool peer_named(const std::string& given, const PublicKey& id,
                const std::optional<std::string>& name) {
  if (name && *name == given) return true;
  std::string g;
  for (char c : given)
    if (c != '-') g += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return !g.empty() && peer_id_compact(id).starts_with(g);
}

Result<Bytes> args_from_json(const std::string& text, bool given, Io& io) {
  if (!given) return Bytes{0xc0};
  if (text == "-") {
    PEERNET_TRY(std::string in, read_all(io.in_fd, control::kDefaultMaxMessage));
    return json_text_to_msgpack(in);
  }
  return json_text_to_msgpack(text);
}

}  // namespace peernet::ctl
