// peernetctl chat PEER: a walkie-talkie. Each line typed is sent to PEER's
// "chat" handle; lines PEER sends to ours are printed with its alias. Both
// sides run `peernetctl chat` (or anything that exposes and sends to
// "chat"). Like every send, a line typed while PEER is offline is dropped,
// and chat says so. Ctrl-D (end of input), Ctrl-C or SIGTERM ends it.
//
// A chat tells the other side when it starts and when it ends, with a
// send of {"chat": "joined"} or {"chat": "left"} (a line is always a
// string). Once PEER has left, or gone offline, the lines typed are not
// sent, and chat says so for each; they go again once PEER is back.
//
// Human output:   laptop: hello            a line from the peer
//                 * laptop is online       peer.up / peer.down
//                 * laptop left the chat   joined / left
// --json, one object per line:
//   {"kind": "message", "from": "<peer id>", "from_name": "laptop" | null, "text": "hello"}
//   {"kind": "dropped", "reason": "peer_offline" | "peer_left" | …, "message": "…", "text": "<your line>"}
//   {"kind": "peer.up" | "peer.down" | "joined" | "left", "id": "<peer id>", "name": "laptop" | null}
//
// The handle "chat" is this daemon's: one chat at a time per daemon, and
// only PEER may send to it.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "cli.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {
namespace {

constexpr std::string_view kChatHandle = "chat";
constexpr size_t kMaxLine = 64 * 1024;

// Set by SIGINT and SIGTERM: say goodbye, then end.
volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

// The notices a chat sends besides lines: {"chat": "joined" | "left"}.
Bytes notice(std::string_view what) {
  return *json_to_msgpack(nlohmann::ordered_json{{"chat", std::string(what)}});
}
// "joined" or "left" when `args` is such a notice, else "".
std::string notice_of(const Bytes& args) {
  auto j = msgpack_to_json(args);
  if (!j || !j->is_object() || j->size() != 1 || !j->contains("chat") || !(*j)["chat"].is_string())
    return "";
  std::string what = (*j)["chat"].get<std::string>();
  return what == "joined" || what == "left" ? what : "";
}

nlohmann::ordered_json name_json(const std::optional<std::string>& n) {
  return n ? nlohmann::ordered_json(*n) : nlohmann::ordered_json(nullptr);
}

class Chat {
 public:
  Chat(std::string peer, const Globals& g, Io& io) : peer_(std::move(peer)), g_(g), io_(io) {}

  int run(Client& c) {
    // Best effort: a peer that is not chatting yet drops it.
    (void)c.send(peer_, kChatHandle, notice("joined"));
    for (;;) {
      if (g_stop) return bye(c, 0);
      // Whatever arrived while we sent is in the inbox; poll() would not see it.
      for (;;) {
        auto in = c.next_incoming(Deadline::now());
        if (!in) return report(g_, io_, in.error());
        if (!*in) break;
        if (auto st = show(c, **in); !st) return report(g_, io_, st.error());
      }
      pollfd p[2] = {{io_.in_fd, POLLIN, 0}, {c.fd(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return report(g_, io_, make_error(Errc::io_error, "poll failed"));
      }
      if (p[0].revents != 0) {
        char buf[4096];
        ssize_t n = ::read(io_.in_fd, buf, sizeof buf);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
          return report(g_, io_, make_error(Errc::io_error, "reading stdin failed"));
        if (n == 0) {  // Ctrl-D: what is left is the last line
          if (!line_.empty() && !say(c, std::exchange(line_, {}))) return exit_;
          return bye(c, 0);
        }
        if (n > 0) {
          line_.append(buf, static_cast<size_t>(n));
          if (auto st = send_lines(c); !st) return exit_;
        }
      }
    }
  }

 private:
  // Tells PEER this chat ends (best effort) and returns `code`.
  int bye(Client& c, int code) {
    (void)c.send(peer_, kChatHandle, notice("left"));
    return code;
  }

  Status send_lines(Client& c) {
    for (size_t nl; (nl = line_.find('\n')) != std::string::npos || line_.size() >= kMaxLine;) {
      size_t end = nl == std::string::npos ? kMaxLine : nl;
      std::string text = line_.substr(0, end);
      line_.erase(0, nl == std::string::npos ? end : end + 1);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      PEERNET_TRY_VOID(say(c, text));
    }
    return {};
  }

  // Sends one line. A drop is reported and chat goes on; an error ends it.
  Status say(Client& c, const std::string& text) {
    if (left_) {
      not_sent("peer_left", peer_ + " left the chat", text);
      return {};
    }
    auto args = json_to_msgpack(nlohmann::ordered_json(text));
    if (!args) return fail(args.error());
    auto r = c.send(peer_, kChatHandle, std::move(*args));
    if (!r) return fail(r.error());
    if (r->delivered) return {};
    std::string why = r->reason == Errc::peer_offline ? peer_ + " is offline"
                      : r->reason == Errc::busy        ? "the connection to " + peer_ + " is busy"
                                                       : "the line is too large";
    not_sent(std::string(to_string(r->reason)), g_.json ? r->message : why, text);
    return {};
  }

  void not_sent(const std::string& reason, const std::string& why, const std::string& text) {
    if (g_.json)
      print_json(io_, {{"kind", "dropped"}, {"reason", reason}, {"message", why}, {"text", text}});
    else
      io_.err << "(not sent: " << why << ")\n" << std::flush;
  }

  Status fail(const Error& e) {
    exit_ = report(g_, io_, e);
    return e;
  }

  Status show(Client& c, const Incoming& in) {
    if (const auto* call = std::get_if<IncomingCall>(&in)) {
      show_line(call->call.peer, call->call.peer_name, call->call.args);
      return c.answer(call->msgid, reply(Bytes{0xc0}));
    }
    if (const auto* s = std::get_if<control::HandleSend>(&in)) {
      if (std::string what = notice_of(s->args); !what.empty()) {
        left_ = what == "left";
        show_event(what, s->peer, s->peer_name,
                   what == "left" ? " left the chat; lines typed now are not sent"
                                  : " joined the chat");
        return {};
      }
      show_line(s->peer, s->peer_name, s->args);
      return {};
    }
    const auto& e = std::get<control::PeerEvent>(in);
    if (!peer_named(peer_, e.id, e.name)) return {};
    if (e.kind != control::PeerEventKind::up && e.kind != control::PeerEventKind::down) return {};
    bool up = e.kind == control::PeerEventKind::up;
    show_event(std::string(control::to_string(e.kind)), e.id, e.name,
               up ? " is online" : " went offline; lines typed now are not sent");
    return {};
  }

  void show_event(const std::string& kind, const PublicKey& id, const std::optional<std::string>& name,
                  const std::string& human) {
    if (g_.json)
      print_json(io_, {{"kind", kind}, {"id", peer_id_text(id)}, {"name", name_json(name)}});
    else
      io_.out << "* " << name.value_or(short_peer_id(id)) << human << '\n' << std::flush;
  }

  void show_line(const PublicKey& from, const std::optional<std::string>& name, const Bytes& args) {
    auto j = msgpack_to_json(args);
    std::string text = !j ? "(unreadable message)" : j->is_string() ? j->get<std::string>() : dump_json(*j);
    if (g_.json) {
      print_json(io_, {{"kind", "message"},
                       {"from", peer_id_text(from)},
                       {"from_name", name_json(name)},
                       {"text", text}});
    } else {
      io_.out << name.value_or(short_peer_id(from)) << ": " << text << '\n' << std::flush;
    }
  }

  std::string peer_;
  const Globals& g_;
  Io& io_;
  std::string line_;
  bool left_ = false;  // PEER said it left, and has not joined again
  int exit_ = kExitError;
};

}  // namespace

Handler define_chat(CLI::App& sub) {
  auto peer = std::make_shared<std::string>();
  sub.add_option("PEER", *peer, "Peer id, unique prefix or alias")->required();
  return [peer](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    if (auto st = client->expose(kChatHandle, std::vector<std::string>{*peer}); !st)
      return report(g, io, st.error());
    using control::PeerEventKind;
    if (auto st = client->subscribe(std::vector{PeerEventKind::up, PeerEventKind::down}); !st)
      return report(g, io, st.error());
    // On stderr even with --json: scripts wait for it before they send.
    io.err << "chatting with " << *peer << ": type a line and press Enter to send; Ctrl-D ends\n"
           << std::flush;
    // Ctrl-C and SIGTERM end the chat after telling the peer; poll() is
    // interrupted (no SA_RESTART) and the loop sees the flag.
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    struct sigaction old_int, old_term;
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
    g_stop = 0;
    Chat chat(*peer, g, io);
    int code = chat.run(*client);
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    return code;
  };
}

}  // namespace peernet::ctl
