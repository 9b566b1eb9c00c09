// peernetctl: the command-line client of peernetd. The verbs live in
// cmd_<verb>.cpp, listed in commands.cpp; run_cli() parses and dispatches.
#include <signal.h>

#include <iostream>

#include "cli.hpp"
int main(int argc, char** argv) {
  // A closed stdout (peernetctl listen | head -1) or a daemon that went away
  // must be an error we report, not a silent death.
  ::signal(SIGPIPE, SIG_IGN);
  peernet::ctl::Io io{std::cout, std::cerr, 0};
  return peernet::ctl::run_cli(argc, argv, io);
}
