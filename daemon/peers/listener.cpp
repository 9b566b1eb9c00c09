#include "peers/listener.hpp"

namespace peernet {

Status Listener::listen(const std::vector<Endpoint>& at, const uv::TcpOptions& options) {
  std::vector<uv::TcpListener> bound;
  for (const Endpoint& ep : at) {
    PEERNET_TRY(auto l, uv::TcpListener::listen(loop_, ep, options,
                                                [this](Result<uv::TcpStream> r) { on_accept(std::move(r)); }));
    log_.info("listening on " + (l.local_address() ? l.local_address()->to_string() : ep.to_string()));
    bound.push_back(std::move(l));
  }
  listeners_ = std::move(bound);
  return {};
}

void Listener::close() { listeners_.clear(); }

std::vector<Endpoint> Listener::addresses() const {
  std::vector<Endpoint> out;
  for (const auto& l : listeners_)
    if (auto a = l.local_address()) out.push_back(a->to_endpoint());
  return out;
}

uint16_t Listener::port() const { return listeners_.empty() ? 0 : listeners_.front().port(); }

void Listener::on_accept(Result<uv::TcpStream> r) {
  if (!r) {
    // Typically EMFILE: the listener keeps going, and logging every failed
    // accept of a flood would be a flood of its own.
    if (!refusing_) log_.warning("accepting a connection failed: " + r.error().describe() + ", ignoring");
    return;
  }
  if (pending_() >= max_pending_) {
    ++refused_total_;
    ++refused_burst_;
    if (!refusing_) {
      refusing_ = true;
      log_.info(std::to_string(max_pending_) +
                " connections are in their handshake; closing new connections until one finishes");
    }
    return;  // `r` closes the connection as it goes out of scope
  }
  if (refusing_) {
    refusing_ = false;
    log_.info("accepting connections again; closed " + std::to_string(refused_burst_) + " meanwhile");
    refused_burst_ = 0;
  }
  on_accept_(std::move(*r));
}

}  // namespace peernet
