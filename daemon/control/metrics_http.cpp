#include "control/metrics_http.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "control/metrics.hpp"
#include "proto/units.hpp"

namespace peernet {
namespace {

uv::Stream& stream_of(std::variant<uv::TcpStream, uv::PipeStream>& v) {
  return std::visit([](auto& s) -> uv::Stream& { return s; }, v);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of header `name` (lowercase) in `head`, or "".
std::string header(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && lower(line.substr(0, colon)) == name) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      return std::string(v);
    }
    pos = end;
  }
  return "";
}

}  // namespace

MetricsHttp::MetricsHttp(uv_loop_t* loop, const Daemon& daemon, Logger& log, ControlCounters& counters,
                         const Config::Metrics& settings)
    : loop_(loop),
      daemon_(daemon),
      log_(log),
      counters_(counters),
      settings_(settings),
      deadlines_(
          loop,
          [this](uint64_t key, uint64_t token) {
            auto it = conns_.find(key);
            return it != conns_.end() && it->second.token == token && !it->second.answered;
          },
          [this](std::vector<uint64_t> keys) {
            for (uint64_t id : keys) {
              auto it = conns_.find(id);
              if (it == conns_.end()) continue;
              it->second.token = 0;  // expired: no longer counted by deadlines_
              ++counters_.metrics_bad_requests;
              answer(id, 408, "Request Timeout", "text/plain; charset=utf-8", "request timeout\n", false);
            }
          }) {}

MetricsHttp::~MetricsHttp() = default;

Result<std::unique_ptr<MetricsHttp>> MetricsHttp::start(uv_loop_t* loop, const Daemon& daemon, Logger& log,
                                                        ControlCounters& counters, const Config::Metrics& settings) {
  std::unique_ptr<MetricsHttp> m(new MetricsHttp(loop, daemon, log, counters, settings));
  MetricsHttp* self = m.get();
  const std::string& at = settings.listen;
  if (!at.empty() && at[0] == '/') {
    // Our own stale socket from an earlier run: the state lock says no
    // other peernetd of this state directory is running.
    struct stat st {};
    if (::lstat(at.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode))
        return make_error(Errc::exists, "metrics.listen: " + quote(at) + " exists and is not a socket");
      ::unlink(at.c_str());
    }
    uv::PipeListenOptions options;
    options.mode = 0660;
    PEERNET_TRY(m->pipe_, uv::PipeListener::listen(loop, at, options, [self](Result<uv::PipeStream> s) {
      if (s) self->accept(std::move(*s));
    }));
    m->url_ = "unix:" + at;
  } else {
    PEERNET_TRY(Endpoint ep, Endpoint::parse(at, EndpointUse::listen));
    PEERNET_TRY(m->tcp_, uv::TcpListener::listen(loop, ep, uv::TcpOptions{}, [self](Result<uv::TcpStream> s) {
      if (s) self->accept(std::move(*s));
    }));
    PEERNET_TRY(SockAddr bound, m->tcp_.local_address());
    m->url_ = "http://" + bound.to_string() + "/metrics";
  }
  log.notice("serving metrics at " + m->url_);
  return m;
}

void MetricsHttp::accept(AnyStream stream) {
  if (conns_.size() >= settings_.max_connections) {
    ++counters_.metrics_refused;
    return;  // `stream` closes as it goes out of scope
  }
  uint64_t id = next_id_++;
  Conn& c = conns_[id];
  c.stream = std::move(stream);
  c.token = deadlines_.add(id, deadlines_.deadline_in(seconds_to_ms(settings_.request_timeout)));
  Status st = stream_of(c.stream).read_start([this, id](ByteView data) { on_data(id, data); },
                                             [this, id] { drop(id); }, [this, id](const Error&) { drop(id); });
  if (!st) drop(id);
}

void MetricsHttp::on_data(uint64_t id, ByteView data) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.answered) return;
  Conn& c = it->second;
  size_t room = settings_.max_request - std::min<size_t>(settings_.max_request, c.head.size());
  c.head.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
  size_t end = c.head.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (c.head.size() >= settings_.max_request || data.size() > room) {
      ++counters_.metrics_bad_requests;
      answer(id, 431, "Request Header Fields Too Large", "text/plain; charset=utf-8",
             "request head over " + std::to_string(settings_.max_request) + " bytes\n", false);
    }
    return;
  }
  std::string head = c.head.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  // "METHOD TARGET HTTP/1.x"
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || line.compare(sp2 + 1, 7, "HTTP/1.") != 0) {
    ++counters_.metrics_bad_requests;
    return answer(id, 400, "Bad Request", "text/plain; charset=utf-8", "bad request line\n", false);
  }
  std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string path = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") {
    ++counters_.metrics_bad_requests;
    return answer(id, 405, "Method Not Allowed", "text/plain; charset=utf-8", "only GET\n", false);
  }
  bool head_only = method == "HEAD";
  if (path != "/metrics") {
    ++counters_.metrics_bad_requests;
    return answer(id, 404, "Not Found", "text/plain; charset=utf-8", "see /metrics\n", head_only);
  }
  metrics::Format format = lower(header(head, "accept")).find("application/openmetrics-text") != std::string::npos
                               ? metrics::Format::openmetrics
                               : metrics::Format::prometheus;
  ++counters_.metrics_requests;
  answer(id, 200, "OK", std::string(metrics::content_type(format)), metrics_text(daemon_, counters_, format),
         head_only);
}

void MetricsHttp::answer(uint64_t id, int status, std::string_view reason, std::string content_type,
                         std::string body, bool head_only) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  if (!c.answered && c.token != 0) deadlines_.forget();
  c.answered = true;
  uv::Stream& s = stream_of(c.stream);
  s.read_stop();
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  Status st = s.write({Bytes(out.begin(), out.end())}, [this, id](Status) { drop(id); });
  if (!st) drop(id);
}

void MetricsHttp::drop(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  if (!it->second.answered && it->second.token != 0) deadlines_.forget();
  conns_.erase(it);  // closes the stream
}

}  // namespace peernet
