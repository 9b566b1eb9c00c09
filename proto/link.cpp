#include "proto/link.hpp"

#include <cassert>

namespace peernet {
namespace {

// Close before the send nonce could ever reach the reserved 2^64-1 (§6).
// Unreachable in practice: 2^64 - 2^32 messages at 10 M/s is 58,000 years.
constexpr uint64_t kNonceLimit = ~uint64_t{0} - (uint64_t{1} << 32);

// The ephemeral key is the whole of message 1 (its payload is empty).
constexpr size_t kMessage1Size = kKeySize;

// Hellos are small; this bounds what a peer can make us decode pre-trust.
constexpr size_t kMaxHello = 4096;

Bytes to_bytes(std::string_view s) {
  auto v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}

}  // namespace

std::string_view to_string(Link::State s) {
  switch (s) {
    case Link::State::initial: return "initial";
    case Link::State::wrote_message1: return "wrote_message1";
    case Link::State::read_message1: return "read_message1";
    case Link::State::wrote_message2: return "wrote_message2";
    case Link::State::read_message2: return "read_message2";
    case Link::State::established: return "established";
    case Link::State::failed: return "failed";
  }
  return "unknown";
}

Result<Link> Link::create(LinkConfig config, Rng& rng) {
  noise::HandshakeConfig hc;
  hc.protocol_name = std::string(kNoiseProtocolName);
  hc.initiator = config.initiator;
  hc.prologue = to_bytes(kPrologue);
  hc.local_static = config.local;
  hc.local_ephemeral = config.fixed_ephemeral;
  PEERNET_TRY(auto hs, noise::HandshakeState::create(hc, rng));
  return Link(std::move(config), std::move(hs));
}

Link::Link(LinkConfig config, noise::HandshakeState hs)
    : initiator_(config.initiator),
      max_envelope_(config.max_envelope),
      rekey_after_messages_(config.rekey_after_messages),
      hello_bytes_(encode_hello(config.hello)),
      handshake_(std::move(hs)),
      reader_(config.max_envelope),
      writer_(config.max_envelope) {}

Status Link::fail(Error e) {
  state_ = State::failed;
  handshake_.reset();
  return e;
}

// After the handshake, bad input from the peer is answered with a close
// envelope (protocol.md §5: best effort) before the link fails; the caller
// flushes it like any other output.
Status Link::fail_transport(Error e) {
  if (state_ == State::established) {
    std::string_view reason = "protocol_error";
    if (e.code == Errc::payload_too_large || e.code == Errc::nonce_exhausted) reason = to_string(e.code);
    queue_close(reason, e.message);
  }
  return fail(std::move(e));
}

Status Link::write_handshake_message(ByteView payload) {
  PEERNET_TRY(Bytes msg, handshake_->write_message(payload));
  Bytes frame;
  frame.reserve(kFrameHeaderSize + msg.size());
  PEERNET_TRY_VOID(append_frame(frame, msg));
  pending_frames_.push_back(std::move(frame));
  return {};
}

Status Link::start() {
  if (!initiator_ || state_ != State::initial)
    return make_error(Errc::invalid_state, "start() is for a fresh initiator");
  if (auto s = write_handshake_message({}); !s) return fail(std::move(s).error());
  state_ = State::wrote_message1;
  return {};
}

Status Link::receive(ByteView data, const RemoteCheck& check, Received& out) {
  if (state_ == State::failed) return make_error(Errc::closed, "the link has failed");
  if (auto s = frames_.feed(data); !s) return fail_transport(std::move(s).error());
  for (;;) {
    auto body = frames_.next();
    if (!body) return fail_transport(std::move(body).error());
    if (!*body) break;
    bool was_established = state_ == State::established;
    if (auto s = on_frame(**body, check, out); !s)
      return was_established ? fail_transport(std::move(s).error()) : fail(std::move(s).error());
  }
  // A burst of large messages may have grown the scratch buffer; an idle
  // session should not keep 64 KiB for it.
  if (plaintext_.capacity() > 16 * 1024) Bytes().swap(plaintext_);
  return {};
}

Status Link::on_frame(ByteView body, const RemoteCheck& check, Received& out) {
  if (state_ == State::established) return on_transport_frame(body, out);
  return on_handshake_frame(body, check, out);
}

Status Link::on_handshake_frame(ByteView body, const RemoteCheck& check, Received& out) {
  switch (state_) {
    case State::initial: {
      if (initiator_) return make_error(Errc::protocol_error, "the responder spoke first");
      if (body.size() != kMessage1Size)
        return make_error(Errc::protocol_error, "handshake message 1 must be exactly 32 bytes, got " +
                                                    std::to_string(body.size()));
      PEERNET_TRY(Bytes payload, handshake_->read_message(body));
      (void)payload;  // empty by the size check above
      state_ = State::read_message1;
      PEERNET_TRY_VOID(write_handshake_message(hello_bytes_));
      state_ = State::wrote_message2;
      return {};
    }
    case State::wrote_message1: {
      PEERNET_TRY(Bytes payload, handshake_->read_message(body));
      state_ = State::read_message2;
      if (payload.size() > kMaxHello) return make_error(Errc::protocol_error, "hello too large");
      PEERNET_TRY(Hello hello, decode_hello(payload));
      auto rs = handshake_->remote_static();
      assert(rs.has_value());
      // The check comes before message 3: we reveal our static key only to
      // a responder we trust (design §4).
      PEERNET_TRY_VOID(check(*rs, hello));
      remote_ = *rs;
      remote_hello_ = std::move(hello);
      PEERNET_TRY_VOID(write_handshake_message(hello_bytes_));
      return finish_handshake(out);
    }
    case State::wrote_message2: {
      PEERNET_TRY(Bytes payload, handshake_->read_message(body));
      if (payload.size() > kMaxHello) return make_error(Errc::protocol_error, "hello too large");
      PEERNET_TRY(Hello hello, decode_hello(payload));
      auto rs = handshake_->remote_static();
      assert(rs.has_value());
      remote_ = *rs;
      remote_hello_ = hello;
      PEERNET_TRY_VOID(finish_handshake(out));
      if (auto s = check(*rs, hello); !s) {
        // The initiator already knows who we are; tell it why we hang up.
        queue_close(to_string(s.error().code), "");
        return s;
      }
      return {};
    }
    default:
      return make_error(Errc::protocol_error, "unexpected frame in handshake state " +
                                                  std::string(to_string(state_)));
  }
}

Status Link::finish_handshake(Received& out) {
  PEERNET_TRY(auto ts, std::move(*handshake_).split());
  transport_.emplace(std::move(ts));
  handshake_.reset();
  state_ = State::established;
  out.established = true;
  return {};
}

Status Link::on_transport_frame(ByteView body, Received& out) {
  if (body.size() < noise::kTagLen)
    return make_error(Errc::protocol_error, "transport message shorter than its tag");
  plaintext_.resize(body.size() - noise::kTagLen);
  PEERNET_TRY(size_t n, transport_->decrypt(body, plaintext_));
  ++messages_received_;
  PEERNET_TRY_VOID(reader_.feed(ByteView(plaintext_.data(), n)));
  for (;;) {
    PEERNET_TRY(auto env, reader_.next());
    if (!env) break;
    PEERNET_TRY(Envelope e, decode_envelope(*env));
    out.envelopes.push_back(std::move(e));
  }
  if (reader_.rekey()) PEERNET_TRY_VOID(transport_->rekey_recv());
  return {};
}

Status Link::queue(const Envelope& e) {
  if (state_ != State::established)
    return make_error(Errc::invalid_state, "the link is not established");
  Bytes encoded = encode(e);
  if (encoded.size() > max_envelope_)
    return make_error(Errc::payload_too_large, "envelope of " + std::to_string(encoded.size()) +
                                                   " bytes exceeds the maximum of " +
                                                   std::to_string(max_envelope_));
  return writer_.push(std::move(encoded));
}

Status Link::queue_encoded(Bytes envelope) {
  if (state_ != State::established)
    return make_error(Errc::invalid_state, "the link is not established");
  return writer_.push(std::move(envelope));
}

void Link::queue_close(std::string_view reason, std::string_view message) {
  if (!transport_ || !valid_code(reason)) return;
  Close c{std::string(reason), std::string(message.substr(0, kMaxMessage))};
  (void)writer_.push(encode(c));
}

Status Link::take_output(std::vector<Bytes>& frames) {
  for (auto& f : pending_frames_) frames.push_back(std::move(f));
  pending_frames_.clear();
  if (!transport_) return {};
  while (!writer_.empty() || rekey_requested_) {
    if (transport_->send_nonce() >= kNonceLimit)
      return fail(make_error(Errc::nonce_exhausted, "send nonce limit reached"));
    bool rekey = rekey_requested_ || messages_since_rekey_ + 1 >= rekey_after_messages_;
    // Frame header, then the plaintext, encrypted in place with room for the tag.
    Bytes frame(kFrameHeaderSize);
    frame.reserve(kFrameHeaderSize + std::min(kMaxPlaintext, writer_.queued_bytes() + 16) +
                  noise::kTagLen);
    size_t n = writer_.write(frame, rekey);
    frame.resize(kFrameHeaderSize + n + noise::kTagLen);
    MutableByteView body(frame.data() + kFrameHeaderSize, n + noise::kTagLen);
    PEERNET_TRY(size_t len, transport_->encrypt(ByteView(body.data(), n), body));
    PEERNET_TRY_VOID(put_frame_header(frame, len));
    frames.push_back(std::move(frame));
    ++messages_sent_;
    if (rekey) {
      PEERNET_TRY_VOID(transport_->rekey_send());
      rekey_requested_ = false;
      messages_since_rekey_ = 0;
    } else {
      ++messages_since_rekey_;
    }
  }
  return {};
}

Bytes Link::handshake_hash() const {
  if (!transport_) return {};
  const auto& h = transport_->handshake_hash();
  return Bytes(h.begin(), h.end());
}

}  // namespace peernet
