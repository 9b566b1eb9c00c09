// peernetctl: the command-line client of peernetd. The verbs live in
// cmd_<verb>.cpp, listed in commands.cpp; run_cli() parses and dispatches.
#include <signal.h>

#include <iostream>

#include "cli.hpp"
#include "ctl/socket_path.hpp"
#include "peernet/client.hpp"

namespace peernet::ctl {

// Which socket a verb connects to (cli.cpp's open_client): --socket, else
// $PEERNET_SOCKET, else the default, as the installed libpeernet-client
// decides it for every program that links it. Defined here, this replaces
// the static peernet-ctl's definition for peernetctl alone (the linker takes
// no archive member for a symbol already defined); unit tests keep
// socket_path.cpp's, which the library runs too.
std::string resolve_socket_path(std::optional<std::string> flag) {
  return peernet::resolve_socket_path(flag.value_or(std::string()));
}

}  // namespace peernet::ctl

int main(int argc, char** argv) {
  // A closed stdout (peernetctl listen | head -1) or a daemon that went away
  // must be an error we report, not a silent death.
  ::signal(SIGPIPE, SIG_IGN);
  peernet::ctl::Io io{std::cout, std::cerr, 0};
  return peernet::ctl::run_cli(argc, argv, io);
}
