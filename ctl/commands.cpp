// peernetctl's verbs: one row each, {name, alias, one-line help, define}.
// The definitions live in cmd_<verb>.cpp, grouped by subject.
#include "cli.hpp"

namespace peernet::ctl {

Handler define_id(CLI::App& sub);       // cmd_id.cpp
Handler define_pair(CLI::App& sub);     // cmd_trust.cpp
Handler define_untrust(CLI::App& sub);  // cmd_trust.cpp
Handler define_list(CLI::App& sub);     // cmd_trust.cpp
Handler define_peers(CLI::App& sub);    // cmd_peers.cpp
Handler define_status(CLI::App& sub);   // cmd_status.cpp
Handler define_show(CLI::App& sub);     // cmd_show.cpp
Handler define_ping(CLI::App& sub);     // cmd_show.cpp
Handler define_metrics(CLI::App& sub);  // cmd_show.cpp
Handler define_call(CLI::App& sub);     // cmd_call.cpp
Handler define_send(CLI::App& sub);     // cmd_call.cpp
Handler define_listen(CLI::App& sub);   // cmd_listen.cpp
Handler define_chat(CLI::App& sub);     // cmd_chat.cpp
Handler define_connect(CLI::App& sub);  // cmd_connect.cpp
Handler define_exec(CLI::App& sub);     // cmd_exec.cpp
Handler define_wait(CLI::App& sub);     // cmd_wait.cpp
Handler define_events(CLI::App& sub);   // cmd_events.cpp
Handler define_doctor(CLI::App& sub);   // cmd_doctor.cpp

namespace {

constexpr Command kCommands[] = {
    {"wait", "", "Wait until peernetd answers (--online PEER: and PEER is online)", define_wait},
    {"id", "", "Show this daemon's peer id and fingerprint", define_id},
    {"pair", "trust", "Trust a peer by its id, with an alias and addresses (admin)", define_pair},
    {"untrust", "", "Stop trusting a peer (admin)", define_untrust},
    {"list", "", "List the trusted peers", define_list},
    {"peers", "", "Show peers and their connection state", define_peers},
    {"status", "", "Show the daemon's uptime, counts and counters", define_status},
    {"show", "", "Show everything about one peer: addresses, session, counters", define_show},
    {"ping", "", "Time round trips to a peer over its session", define_ping},
    {"metrics", "", "Print Prometheus metrics (daemon-wide and per peer)", define_metrics},
    {"call", "", "Call a handle on a peer and print its result as JSON", define_call},
    {"send", "", "Send to a handle on a peer, fire-and-forget", define_send},
    {"listen", "", "Expose a handle; print each message or run a command for it", define_listen},
    {"chat", "", "Chat with a peer, line by line", define_chat},
    {"events", "", "Print peer events as they happen, one line each", define_events},
    {"connect", "", "Dial HOST:PORT now", define_connect},
    {"exec", "", "Run a command on a peer that granted us admin access", define_exec},
    {"doctor", "", "Check why peers are not found: daemon, port, discovery, firewall (PEER: that peer)", define_doctor},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

}  // namespace peernet::ctl
