// The control methods for an operator: peer.show, peer.ping, metrics and doctor
// (operator_methods.hpp; guides/control-api.md §6).
#include <array>
#include <utility>

#include "control/connection.hpp"
#include "control/metrics.hpp"
#include "proto/units.hpp"

namespace peernet {

template <>
void serve<control::method::PeerShow>(ControlClient& c, uint32_t msgid, control::PeerShowParams p) {
  c.respond(msgid, [&]() -> Result<Bytes> {
    PEERNET_TRY(PublicKey key, c.resolve(p.peer, true));
    PEERNET_TRY(control::PeerShowResult r, c.daemon_.show(key));
    return control::encode_result(r);
  }());
}

template <>
void serve<control::method::PeerPing>(ControlClient& c, uint32_t msgid, control::PeerPingParams p) {
  if (p.timeout && !(*p.timeout > 0 && *p.timeout <= control::kMaxPingTimeout))
    return c.respond(msgid, make_error(Errc::bad_request, "peer.ping: \"timeout\": " + format_number(*p.timeout) +
                                                              " seconds is not in (0, 60]"));
  auto key = c.resolve(p.peer, true);
  if (!key) return c.respond(msgid, std::move(key).error());
  uint64_t token = c.next_token();
  auto answer = c.async_answer(token);
  Daemon* daemon = &c.daemon_;
  PublicKey id = *key;
  Status st = c.daemon_.ping(id, p.timeout.value_or(5), [answer, daemon, id](Result<double> r) {
    if (!r) return answer(std::move(r).error());
    control::PeerPingResult out{id, *r, {}};
    for (const PeerInfo& info : daemon->peers())
      if (info.id == id && info.session) out.remote = info.session->remote;
    if (out.remote.empty()) out.remote = "-";
    answer(control::encode_result(out));
  });
  if (!st) return c.respond(msgid, std::move(st).error());
  c.begin_async(token, msgid);
}

template <>
void serve<control::method::Metrics>(ControlClient& c, uint32_t msgid, control::MetricsParams p) {
  metrics::Format format = p.openmetrics ? metrics::Format::openmetrics : metrics::Format::prometheus;
  control::MetricsResult r{metrics_text(c.daemon_, c.ctx_.counters, format),
                           std::string(metrics::content_type(format))};
  c.respond(msgid, control::encode_result(r));
}

template <>
void serve<control::method::Doctor>(ControlClient& c, uint32_t msgid, control::DoctorParams) {
  c.respond(msgid, control::encode_result(c.daemon_.doctor()));
}

namespace {
constexpr std::array kRoutes = {
    route<control::method::PeerShow>(),
    route<control::method::PeerPing>(),
    route<control::method::Metrics>(),
    route<control::method::Doctor>(),
};
}  // namespace

std::span<const ControlRoute> operator_routes() { return kRoutes; }

}  // namespace peernet
