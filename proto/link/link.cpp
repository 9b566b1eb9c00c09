#include "proto/link/link.hpp"

#include <cassert>
#include <cstddef>
#include <variant>

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

// The close reason for a failure after the handshake (§5.2): the few that
// tell the peer something it can act on, and protocol_error for anything
// wrong with its input (a bad record, envelope or hello, or a message that
// does not decrypt).
std::string_view close_reason_for(Errc code) {
  switch (code) {
    case Errc::payload_too_large:
    case Errc::nonce_exhausted:
    case Errc::unsupported:
      return to_string(code);
    default:
      return "protocol_error";
  }
}

bool is_close(const Envelope& e) { return std::holds_alternative<Close>(e); }

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
  // Our hello must be one the peer accepts (§3.1).
  if (config.hello.caps.size() > kMaxCaps)
    return make_error(Errc::bad_request, "more than 32 caps in the hello");
  for (const auto& cap : config.hello.caps)
    if (cap.empty() || cap.size() > kMaxCapLength)
      return make_error(Errc::bad_request, "a hello cap is not 1..64 bytes");
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
  // The peer can read a close only once the handshake is over on both sides:
  // not while a handshake message of ours is still waiting to be taken.
  const bool can_close = state_ == State::established && pending_frames_.empty();
  state_ = State::failed;
  handshake_.reset();
  pending_frames_.clear();
  rekey_requested_ = false;
  if (can_close && !closing_ && !remote_closed_) {
    // Replies and sends queued before the failure are not worth sending:
    // the peer will drop the connection as soon as it reads the close.
    writer_ = RecordWriter(max_envelope_);
    push_close(close_reason_for(e.code), e.message);
  }
  return e;
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
  // §5.1: the peer sends nothing after its close, and we read nothing after
  // it (the frame decoder is not fed again, so its view of `data` is moot).
  if (remote_closed_) return {};
  if (auto s = frames_.feed(data); !s) return fail(std::move(s).error());
  while (!remote_closed_) {
    auto body = frames_.next();
    if (!body) return fail(std::move(body).error());
    if (!*body) break;
    if (auto s = on_frame(**body, check, out); !s) return fail(std::move(s).error());
  }
  // A burst of large messages may have grown the scratch buffer; an idle
  // session should not keep 64 KiB for it.
  if (plaintext_size_ > 16 * 1024) {
    plaintext_.reset();
    plaintext_size_ = 0;
  }
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
      auto rs = handshake_->remote_static();
      assert(rs.has_value());
      remote_ = *rs;
      if (payload.size() > kMaxHello) return make_error(Errc::protocol_error, "hello too large");
      PEERNET_TRY(Hello hello, decode_hello(payload));
      // The check comes before message 3: we reveal our static key only to
      // a responder we trust, so that dialling an untrusted or impostor
      // address never tells it who we are (guides/protocol.md §3). Any
      // failure here, the hello's included, ends the connection without
      // message 3.
      if (!check) return make_error(Errc::untrusted_peer, "no trust check");
      PEERNET_TRY_VOID(check(*rs, hello));
      remote_hello_ = std::move(hello);
      PEERNET_TRY_VOID(write_handshake_message(hello_bytes_));
      PEERNET_TRY_VOID(finish_handshake());
      out.established = true;
      return {};
    }
    case State::wrote_message2: {
      PEERNET_TRY(Bytes payload, handshake_->read_message(body));
      auto rs = handshake_->remote_static();
      assert(rs.has_value());
      remote_ = *rs;
      // Split first: the initiator already knows who we are, so a refusal
      // (of its hello or of its key) can say why in a close (§3). A bad
      // hello fails the link, which sends protocol_error or unsupported.
      PEERNET_TRY_VOID(finish_handshake());
      if (payload.size() > kMaxHello) return make_error(Errc::protocol_error, "hello too large");
      PEERNET_TRY(Hello hello, decode_hello(payload));
      remote_hello_ = hello;
      Status verdict = check ? check(*rs, hello) : make_error(Errc::untrusted_peer, "no trust check");
      if (!verdict) {
        queue_close(to_string(verdict.error().code), "");
        return verdict;
      }
      out.established = true;
      return {};
    }
    default:
      return make_error(Errc::protocol_error, "unexpected frame in handshake state " +
                                                  std::string(to_string(state_)));
  }
}

Status Link::finish_handshake() {
  PEERNET_TRY(auto ts, std::move(*handshake_).split());
  transport_.emplace(std::move(ts));
  handshake_.reset();
  state_ = State::established;
  return {};
}

// A transport message is processed whole or not at all (§4.2): if any of its
// records or envelopes is bad, none of its envelopes is handed out, whatever
// the order, so what the peer sees does not depend on how TCP split the
// stream into receive() calls.
Status Link::on_transport_frame(ByteView body, Received& out) {
  const size_t mark = out.envelopes.size();
  Status s = read_transport_message(body, out);
  if (!s) out.envelopes.erase(out.envelopes.begin() + static_cast<ptrdiff_t>(mark), out.envelopes.end());
  return s;
}

Status Link::read_transport_message(ByteView body, Received& out) {
  if (body.size() < noise::kTagLen)
    return make_error(Errc::protocol_error, "transport message shorter than its tag");
  const size_t size = body.size() - noise::kTagLen;
  if (plaintext_size_ < size) {
    plaintext_.reset(new uint8_t[size]);
    plaintext_size_ = size;
  }
  PEERNET_TRY(size_t n, transport_->decrypt(body, MutableByteView(plaintext_.get(), size)));
  ++messages_received_;
  PEERNET_TRY_VOID(reader_.feed(ByteView(plaintext_.get(), n)));
  bool closed = false;
  for (;;) {
    PEERNET_TRY(auto env, reader_.next());
    if (!env) break;
    // Envelopes after a close are still checked, as part of their message,
    // but not handed out.
    PEERNET_TRY(Envelope e, decode_envelope(*env));
    if (closed) continue;
    closed = is_close(e);
    out.envelopes.push_back(std::move(e));
  }
  if (closed) {
    // §5.1: the receiver of a close sends nothing more, not even what it
    // had queued, nor a close of its own.
    remote_closed_ = true;
    writer_ = RecordWriter(max_envelope_);
    rekey_requested_ = false;
    return {};
  }
  if (reader_.rekey()) PEERNET_TRY_VOID(transport_->rekey_recv());
  return {};
}

Status Link::queue(const Envelope& e) {
  if (state_ != State::established)
    return make_error(Errc::invalid_state, "the link is not established");
  if (closing_ || remote_closed_) return make_error(Errc::closed, "the link is closing");
  Bytes encoded = encode(e);
  PEERNET_TRY_VOID(check_send_size(encoded.size()));
  return writer_.push(std::move(encoded));
}

// Our own maximum, and the one the peer announced in its hello: an
// envelope above either is refused here, for that envelope only.
Status Link::check_send_size(size_t size) const {
  if (size > max_envelope_)
    return make_error(Errc::payload_too_large, "envelope of " + std::to_string(size) +
                                                   " bytes exceeds the maximum of " + std::to_string(max_envelope_));
  if (remote_hello_ && remote_hello_->max_envelope && size > *remote_hello_->max_envelope)
    return make_error(Errc::payload_too_large, "envelope of " + std::to_string(size) +
                                                   " bytes exceeds the peer's maximum of " +
                                                   std::to_string(*remote_hello_->max_envelope));
  return {};
}

Status Link::queue_encoded(Bytes envelope) {
  if (state_ != State::established)
    return make_error(Errc::invalid_state, "the link is not established");
  if (closing_ || remote_closed_) return make_error(Errc::closed, "the link is closing");
  PEERNET_TRY_VOID(check_send_size(envelope.size()));
  return writer_.push(std::move(envelope));
}

void Link::queue_close(std::string_view reason, std::string_view message) {
  if (state_ != State::established || closing_ || remote_closed_ || !valid_code(reason)) return;
  push_close(reason, message);
}

void Link::push_close(std::string_view reason, std::string_view message) {
  Close c{std::string(reason), std::string(message.substr(0, kMaxMessage))};
  (void)writer_.push(encode(c));
  closing_ = true;
  rekey_requested_ = false;
}

void Link::request_rekey() {
  if (state_ == State::established && !closing_) rekey_requested_ = true;
}

Status Link::take_output(std::vector<Bytes>& frames) {
  for (auto& f : pending_frames_) frames.push_back(std::move(f));
  pending_frames_.clear();
  if (!transport_) return {};
  Status status;
  // Checked once per flush: the limit leaves 2^32 messages of margin, more
  // than one flush can use, so a fragmented envelope is never cut short and
  // the close that fail() queues still goes out.
  if (state_ == State::established && (!writer_.empty() || rekey_requested_) &&
      transport_->send_nonce() >= kNonceLimit)
    status = fail(make_error(Errc::nonce_exhausted, "send nonce limit reached"));
  while (!writer_.empty() || rekey_requested_) {
    // Nothing follows a close, a REKEY included.
    const bool rekey = !closing_ && (rekey_requested_ || messages_since_rekey_ + 1 >= rekey_after_messages_);
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
  return status;
}

Bytes Link::handshake_hash() const {
  if (!transport_) return {};
  const auto& h = transport_->handshake_hash();
  return Bytes(h.begin(), h.end());
}

}  // namespace peernet
