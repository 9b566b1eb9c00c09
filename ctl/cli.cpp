// Builds peernetctl's command line from the table in commands.cpp and runs
// the chosen verb. Nothing here knows any verb.
#include "cli.hpp"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cctype>

#include "ctl/socket_path.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"
#include "proto/control/methods.hpp"
#include "proto/peer_id.hpp"

#ifndef PEERNET_VERSION
#define PEERNET_VERSION "unknown"
#endif

namespace peernet::ctl {

int run_cli(int argc, const char* const* argv, Io& io) {
  CLI::App app("peernetctl: pair peers, call and send to their handles, serve handles, "
               "inspect peernetd",
               "peernetctl");
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", "peernetctl " PEERNET_VERSION);
  app.footer(
      "Exit codes: 0 ok, 1 error, 2 usage, 3 peer offline (or send dropped for it), 4 timeout, "
      "5 denied, 6 no such peer or handle, 7 busy or too large, 8 peernetd not running.");

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0.
    return app.exit(e, io.out, io.err) == 0 ? kExitOk : kExitUsage;
  }
  for (auto& [sub, handler] : verbs)
    if (sub->parsed()) return handler(globals, io);
  return kExitUsage;  // require_subcommand(1) makes this unreachable
}

Result<Client> open_client(const Globals& g) {
  std::optional<std::string> flag;
  if (!g.socket.empty()) flag = g.socket;
  PEERNET_TRY(Client client, Client::connect(resolve_socket_path(flag)));
  PEERNET_TRY_VOID(client.hello("peernetctl " PEERNET_VERSION));
  return client;
}

int report(const Globals& g, Io& io, const Error& e) {
  std::string code(to_string(e.code));
  // `closed` is the client's own "no daemon" (ctl/client.hpp), which the
  // message says in words; other codes are worth seeing, scripts branch on them.
  bool say_code = e.code != Errc::closed || e.message.empty();
  io.err << "peernetctl: " << (e.message.empty() ? code : e.message)
         << (say_code && !e.message.empty() ? " (" + code + ")" : "") << '\n';
  if (g.json) print_json(io, {{"error", {{"code", code}, {"message", e.message}}}});
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
