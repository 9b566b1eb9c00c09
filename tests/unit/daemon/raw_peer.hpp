// A peer of the wire protocol driven by a bare Link inside the test, over a
// uv TCP stream, so that a test can misbehave on purpose: stop reading,
// ignore pings, count the frames the other side sent, send raw bytes.
#pragma once

#include <optional>
#include <vector>

#include "proto/link/frame.hpp"
#include "proto/link/link.hpp"
#include "uv/tcp.hpp"

namespace peernet::testing {

class RawPeer {
 public:
  RawPeer(Rng& rng, bool initiator, const KeyPair& keys, uint16_t hello_port = 0) : keys_(keys) {
    LinkConfig lc;
    lc.initiator = initiator;
    lc.local = keys;
    lc.hello.port = hello_port;
    link_.emplace(*Link::create(std::move(lc), rng));
  }

  // Takes over a connected stream: starts reading and, as initiator,
  // writes message 1.
  void attach(uv::TcpStream s) {
    stream_ = std::move(s);
    (void)stream_.read_start([this](ByteView d) { on_data(d); }, [this] { eof = true; },
                             [this](const Error&) { eof = true; });
    if (link_->initiator() && link_->state() == Link::State::initial) {
      (void)link_->start();
      flush();
    }
  }

  // Stop reading from the socket (a peer that does not read).
  void stop_reading() { stream_.read_stop(); }
  void close() { stream_.close(); }
  bool write_raw(Bytes b) { return stream_.write({std::move(b)}).ok(); }
  bool send(const Envelope& e) {
    if (!link_->queue(e)) return false;
    flush();
    return true;
  }

  const PublicKey& key() const { return keys_.pub; }
  bool established() const { return link_->established(); }
  // Complete frames the other side sent us, handshake frames included.
  size_t frames_received() const {
    size_t n = 0, at = 0;
    while (at + kFrameHeaderSize <= bytes_.size()) {
      size_t len = (size_t{bytes_[at]} << 24) | (size_t{bytes_[at + 1]} << 16) | (size_t{bytes_[at + 2]} << 8) |
                   bytes_[at + 3];
      if (at + kFrameHeaderSize + len > bytes_.size()) break;
      at += kFrameHeaderSize + len;
      ++n;
    }
    return n;
  }

  bool answer_pings = true;
  bool confirm_acceptance = true;
  bool eof = false;
  std::vector<Envelope> received;

 private:
  void on_data(ByteView d) {
    bytes_.insert(bytes_.end(), d.begin(), d.end());
    Link::Received got;
    auto accept_anyone = [](const PublicKey&, const Hello&) -> Status { return {}; };
    bool was_established = link_->established();
    (void)link_->receive(d, accept_anyone, got);
    // A responder that accepts says so at once with a transport message
    // (protocol.md §3); unless told to stay silent, like any conforming peer.
    if (!was_established && link_->established() && !link_->initiator() && confirm_acceptance)
      (void)link_->queue(Ping{0});
    for (Envelope& e : got.envelopes) {
      if (auto* p = std::get_if<Ping>(&e); p != nullptr && answer_pings) (void)link_->queue(Pong{p->nonce});
      received.push_back(std::move(e));
    }
    flush();
  }
  void flush() {
    std::vector<Bytes> frames;
    (void)link_->take_output(frames);
    if (!frames.empty()) (void)stream_.write(std::move(frames));
  }

  KeyPair keys_;
  std::optional<Link> link_;
  uv::TcpStream stream_;
  Bytes bytes_;
};

}  // namespace peernet::testing
