// peernetctl wait [--timeout S] [--online PEER]: until the daemon answers
// on its control socket, and with --online until PEER is online too. For
// scripts that start peernetd and use it at once, and for the README's
// Quick start: a socket that is not there yet (or a daemon that restarts)
// is tried again every 50 ms until the timeout.
//
// Exit 0 once it holds; 4 (timeout) with the last reason otherwise; any
// other error that waiting cannot cure (no permission on the socket, an
// ambiguous PEER) ends it at once with its own code.
//
//   --json  {"socket": "<path>", "id": "<this daemon's peer id>"}, with
//           --online also "peer": {"id": "<peer id>", "name": "bee" | null}
#include <chrono>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "ctl/socket_path.hpp"
#include "exit_code.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {
namespace {

constexpr auto kRetry = std::chrono::milliseconds(50);
constexpr double kDefaultTimeout = 30;

struct WaitOptions {
  double timeout = kDefaultTimeout;
  std::string online;  // empty: only the daemon
};

std::string seconds_text(double s) {
  std::string t = std::to_string(s);
  t.erase(t.find_last_not_of('0') + 1);
  if (t.back() == '.') t.pop_back();
  return t + " s";
}

// Finds PEER among the daemon's peers: nullopt when none is named so
// (not yet paired, perhaps); ambiguous_peer when several are.
Result<std::optional<control::PeerInfo>> find_peer(Client& c, const std::string& peer) {
  PEERNET_TRY(auto peers, c.request<control::method::Peers>({false}));
  std::optional<control::PeerInfo> found;
  for (auto& p : peers) {
    if (!peer_named(peer, p.id, p.name)) continue;
    if (found && !(p.name && *p.name == peer))
      return make_error(Errc::ambiguous_peer, "\"" + peer + "\" names more than one peer");
    if (!found || (p.name && *p.name == peer)) found = p;
  }
  return found;
}

class Waiter {
 public:
  Waiter(const WaitOptions& o, const Globals& g, Io& io)
      : o_(o), g_(g), io_(io), end_(Deadline::after(o.timeout)) {}

  int run() {
    std::string path = socket_path(g_);
    for (;;) {
      auto r = attempt(path);
      if (r) return *r;
      // Only "nobody there (yet)" is worth another try.
      if (r.error().code != Errc::closed) return report(g_, io_, r.error());
      last_ = r.error().message;
      if (end_.passed()) return timed_out(path);
      std::this_thread::sleep_for(kRetry);
    }
  }

 private:
  // One connection: an exit code once done, or why it failed.
  Result<int> attempt(const std::string& path) {
    PEERNET_TRY(Client c, Client::connect(path));
    PEERNET_TRY(auto hello, c.hello("peernetctl " PEERNET_VERSION));
    nlohmann::ordered_json out = {{"socket", path}, {"id", peer_id_text(hello.id)}};
    if (o_.online.empty()) {
      if (g_.json) print_json(io_, out);
      return kExitOk;
    }
    // Subscribed before looking, so that a peer coming up in between is
    // not missed.
    PEERNET_TRY_VOID(c.subscribe(std::vector{control::PeerEventKind::up}));
    for (;;) {
      PEERNET_TRY(auto p, find_peer(c, o_.online));
      if (p && p->state == PeerState::online) {
        if (g_.json) {
          out["peer"] = {{"id", peer_id_text(p->id)},
                         {"name", p->name ? nlohmann::ordered_json(*p->name) : nullptr}};
          print_json(io_, out);
        }
        return kExitOk;
      }
      last_ = p ? "\"" + o_.online + "\" is " + std::string(control::to_string(p->state))
                : "no trusted peer is named \"" + o_.online + "\"";
      // Any peer.up may be ours (an alias given meanwhile, say): look again.
      PEERNET_TRY(auto in, c.next_incoming(end_));
      if (!in) return timed_out(path);
    }
  }

  int timed_out(const std::string& path) {
    std::string what = o_.online.empty() ? "peernetd did not answer on " + path
                                         : "\"" + o_.online + "\" did not come online";
    return report(g_, io_,
                  make_error(Errc::timeout, what + " within " + seconds_text(o_.timeout) +
                                                (last_.empty() ? "" : " (" + last_ + ")")));
  }

  const WaitOptions& o_;
  const Globals& g_;
  Io& io_;
  Deadline end_;
  std::string last_;
};

}  // namespace

Handler define_wait(CLI::App& sub) {
  auto o = std::make_shared<WaitOptions>();
  sub.add_option("-t,--timeout", o->timeout, "Seconds to wait at most (default: 30)");
  sub.add_option("--online", o->online, "Also wait until this peer (id, prefix or alias) is online");
  return [o](const Globals& g, Io& io) {
    if (!(o->timeout >= 0 && o->timeout <= control::kMaxTimeout))
      return report(g, io, make_error(Errc::bad_request,
                                      "--timeout must be at least 0 and at most 3600 seconds"));
    Waiter w(*o, g, io);
    return w.run();
  };
}

}  // namespace peernet::ctl
