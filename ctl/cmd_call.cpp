// Talking to a peer's handles: call and send.
//
//   call PEER HANDLE [ARGS_JSON] [--timeout SECONDS]
//       Prints the handler's result as one line of JSON, with or without
//       --json. The remote handler's error is reported like any other.
//   send PEER HANDLE [ARGS_JSON]
//       Fire-and-forget. Prints "sent": handed to the peer's live session,
//       not yet delivered to a program there ("delivered" in --json keeps
//       its old name and that meaning). A send that cannot leave now is
//       dropped, not queued: exit code 3 when the peer is offline, 7 when
//       busy or too large. A peer that has no such handle for us reports
//       it later (guides/protocol.md §5.1): counted in `show`, logged, and
//       a `send.refused` notification to a connection still open.
//       --json  {"delivered": true}
//               {"delivered": false, "reason": "peer_offline", "message": "…"}
//
//   send PEER HANDLE --stream [--timeout SECONDS]
//       Streams: one JSON value per line of stdin (blank lines skipped), each
//       a send without an answer of its own (the `send` notification,
//       guides/control-api.md "Streaming sends"), as fast as the session to
//       the peer takes them. Drops are reported on stderr as they come
//       ("lines 3-5 not delivered: …"); a line that is not JSON is reported
//       and not sent. At the end of input it waits for send.flush and
//       prints "N sent: D delivered, K dropped (reason n, …)" on stderr.
//       Exit 0 when everything was delivered; else the exit code of the
//       first drop's reason (2 for a bad line), or 4 when the peer did not
//       confirm it read them within --timeout.
//       --json  prints {"sent", "delivered", "dropped", "reasons", "confirmed"}
//
// ARGS_JSON is any JSON value (json/json_msgpack.hpp says how it maps to
// msgpack); absent means null; "-" reads it from stdin. It is checked
// before anything is sent, so bad JSON is a usage error (exit code 2).
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "cli.hpp"
#include "exit_code.hpp"
#include "json/json_msgpack.hpp"

namespace peernet::ctl {
namespace {

struct Target {
  std::string peer, handle, args;
  CLI::Option* args_option = nullptr;
  void add_to(CLI::App& sub) {
    sub.add_option("PEER", peer, "Peer id, unique prefix or alias")->required();
    sub.add_option("HANDLE", handle, "The handle's name on the peer")->required();
    args_option =
        sub.add_option("ARGS_JSON", args, "Arguments as JSON (default null; - reads stdin)");
  }
  bool has_args() const { return args_option->count() > 0; }
};

}  // namespace

Handler define_call(CLI::App& sub) {
  struct Options : Target {
    double timeout = 0;
  };
  auto o = std::make_shared<Options>();
  o->add_to(sub);
  CLI::Option* timeout = sub.add_option(
      "-t,--timeout", o->timeout, "Seconds to wait for the answer (default: the daemon's, 30)");
  return [o, timeout](const Globals& g, Io& io) {
    std::optional<double> t;
    if (timeout->count() > 0) {
      if (!(o->timeout > 0 && o->timeout <= control::kMaxTimeout))
        return report(g, io,
                      make_error(Errc::bad_request,
                                 "--timeout must be more than 0 and at most 3600 seconds"));
      t = o->timeout;
    }
    auto args = args_from_json(o->args, o->has_args(), io);
    if (!args) return report(g, io, args.error());

    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto result = client->call(o->peer, o->handle, std::move(*args), t);
    if (!result) return report(g, io, result.error());
    auto j = msgpack_to_json(*result);
    if (!j) return report(g, io, j.error());
    print_json(io, *j);
    return 0;
  };
}

namespace {

// Reads stdin a line at a time. A line longer than the bound is skipped
// (reported by too_long) without holding more than the bound in memory.
class LineReader {
 public:
  LineReader(int fd, size_t max_line) : fd_(fd), max_line_(max_line) {}
  struct Line {
    std::string text;
    bool too_long = false;
  };
  // The next line without its newline; nullopt at end of input.
  Result<std::optional<Line>> next() {
    for (;;) {
      if (auto nl = buf_.find('\n', scanned_); nl != std::string::npos) {
        Line line{buf_.substr(0, nl), skipping_};
        if (skipping_) line.text.clear();
        skipping_ = false;
        buf_.erase(0, nl + 1);
        scanned_ = 0;
        return std::optional<Line>(std::move(line));
      }
      if (buf_.size() > max_line_) {
        skipping_ = true;  // keep nothing of it but the fact
        buf_.clear();
      }
      scanned_ = buf_.size();
      if (eof_) {
        if (buf_.empty() && !skipping_) return std::optional<Line>();
        Line line{skipping_ ? std::string() : std::move(buf_), skipping_};
        buf_.clear();
        scanned_ = 0;
        skipping_ = false;
        return std::optional<Line>(std::move(line));
      }
      char chunk[64 * 1024];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return make_error(Errc::io_error, std::string("reading stdin: ") + std::strerror(errno));
      if (n == 0) eof_ = true;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  size_t max_line_;
  std::string buf_;
  size_t scanned_ = 0;
  bool eof_ = false;
  bool skipping_ = false;
};

std::string line_range(uint64_t first, uint64_t count) {
  if (count == 1) return "line " + std::to_string(first);
  return "lines " + std::to_string(first) + "-" + std::to_string(first + count - 1);
}

int stream_sends(const Globals& g, Io& io, const std::string& peer, const std::string& handle,
                 std::optional<double> timeout) {
  auto client = open_client(g);
  if (!client) return report(g, io, client.error());
  LineReader lines(io.in_fd, control::kDefaultMaxMessage);
  std::vector<uint64_t> line_of;  // line_of[seq - 1]: the stdin line of send seq
  std::map<std::string, uint64_t> reasons;
  std::optional<Errc> first_reason;
  uint64_t bad_lines = 0;
  auto count = [&](const std::string& reason, uint64_t n) {
    reasons[reason] += n;
    if (!first_reason) first_reason = errc_from_string(reason).value_or(Errc::internal);
  };
  auto show_drops = [&] {
    for (const control::SendDropped& d : client->take_dropped()) {
      count(d.reason, d.count);
      std::string which;
      if (d.first && *d.first >= 1 && *d.first + d.count - 1 <= line_of.size()) {
        uint64_t a = line_of[*d.first - 1], b = line_of[*d.first + d.count - 2];
        which = b - a + 1 == d.count ? line_range(a, d.count)
                                     : std::to_string(d.count) + " lines from line " + std::to_string(a);
      } else {
        which = d.count == 1 ? "one send" : std::to_string(d.count) + " sends";
      }
      io.err << "peernetctl: send: " << which << " not delivered: " << d.message << " (" << d.reason << ")\n";
    }
  };
  uint64_t line_no = 0;
  for (;;) {
    auto line = lines.next();
    if (!line) return report(g, io, line.error());
    if (!*line) break;
    ++line_no;
    if ((*line)->too_long) {
      ++bad_lines;
      count(std::string(to_string(Errc::payload_too_large)), 1);
      io.err << "peernetctl: send: line " << line_no << " not sent: longer than "
             << control::kDefaultMaxMessage << " bytes\n";
      continue;
    }
    const std::string& text = (*line)->text;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto args = json_text_to_msgpack(text);
    if (!args) {
      ++bad_lines;
      count(std::string(to_string(Errc::bad_request)), 1);
      io.err << "peernetctl: send: line " << line_no << " not sent: " << args.error().message << "\n";
      continue;
    }
    auto seq = client->stream_send(peer, handle, std::move(*args));
    if (!seq) return report(g, io, seq.error());
    line_of.push_back(line_no);
    show_drops();
  }
  auto totals = client->flush_sends(timeout);
  if (!totals) return report(g, io, totals.error());
  show_drops();
  const uint64_t dropped = totals->dropped + bad_lines;
  const uint64_t sent = totals->sent + bad_lines;
  const uint64_t delivered = totals->sent - std::min(totals->sent, totals->dropped);
  if (g.json) {
    nlohmann::ordered_json r = {{"sent", sent}, {"delivered", delivered}, {"dropped", dropped},
                                {"reasons", nlohmann::ordered_json::object()}, {"confirmed", totals->confirmed}};
    for (const auto& [reason, n] : reasons) r["reasons"][reason] = n;
    print_json(io, r);
  }
  std::string summary = std::to_string(sent) + " sent: " + std::to_string(delivered) + " delivered, " +
                        std::to_string(dropped) + " dropped";
  if (!reasons.empty()) {
    summary += " (";
    bool first = true;
    for (const auto& [reason, n] : reasons) {
      summary += (first ? "" : ", ") + reason + " " + std::to_string(n);
      first = false;
    }
    summary += ")";
  }
  io.err << summary << "\n";
  if (dropped > 0) return exit_code(first_reason.value_or(Errc::internal));
  if (!totals->confirmed) {
    io.err << "peernetctl: send: the peer did not confirm it read them in time (they were sent)\n";
    return kExitTimeout;
  }
  return 0;
}

}  // namespace

Handler define_send(CLI::App& sub) {
  struct Options : Target {
    bool stream = false;
    double timeout = 0;
  };
  auto o = std::make_shared<Options>();
  o->add_to(sub);
  sub.add_flag("--stream", o->stream,
               "Send each line of stdin (one JSON value per line) without waiting for answers; "
               "summary at the end");
  CLI::Option* timeout = sub.add_option(
      "-t,--timeout", o->timeout, "With --stream: seconds the peer may take to confirm it read them (default 30)");
  return [o, timeout](const Globals& g, Io& io) {
    std::optional<double> t;
    if (timeout->count() > 0) {
      if (!o->stream) return report(g, io, make_error(Errc::bad_request, "--timeout goes with --stream"));
      if (!(o->timeout > 0 && o->timeout <= control::kMaxTimeout))
        return report(g, io,
                      make_error(Errc::bad_request,
                                 "--timeout must be more than 0 and at most 3600 seconds"));
      t = o->timeout;
    }
    if (o->stream) {
      if (o->has_args())
        return report(g, io, make_error(Errc::bad_request, "--stream reads its values from stdin, not ARGS_JSON"));
      return stream_sends(g, io, o->peer, o->handle, t);
    }
    auto args = args_from_json(o->args, o->has_args(), io);
    if (!args) return report(g, io, args.error());

    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->send(o->peer, o->handle, std::move(*args));
    if (!r) return report(g, io, r.error());
    if (r->delivered) {
      if (g.json)
        print_json(io, {{"delivered", true}});
      else
        io.out << "sent\n";
      return 0;
    }
    std::string reason(to_string(r->reason));
    if (g.json) print_json(io, {{"delivered", false}, {"reason", reason}, {"message", r->message}});
    io.err << "peernetctl: dropped, not sent: " << r->message << " (" << reason << ")\n";
    return exit_code(r->reason);
  };
}

}  // namespace peernet::ctl
