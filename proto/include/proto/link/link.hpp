// One peer connection as a pure state machine: bytes in, bytes out
// (guides/protocol.md §2–§6). No sockets, no clock, no logging: the daemon's
// session feeds it what TCP delivered and writes what it returns, and keeps
// all timer policy (handshake deadline, pings, time-based rekey) itself.
//
// Handshake states are named after the last message written or read:
//
//   initiator:  initial -> wrote_message1 -> read_message2 -> established
//                           (-> e)            (<- e,ee,s,es)  (-> s,se written)
//   responder:  initial -> read_message1 -> wrote_message2 -> established
//                           (-> e)          (<- e,ee,s,es)     (-> s,se read)
//
// Any error moves to `failed`, from which nothing more is produced except one
// best-effort close envelope (§5): queued by the link itself when the failure
// happens after the handshake and nothing of the handshake is still waiting
// to be taken; envelopes queued earlier and not yet taken are dropped. The
// caller flushes what take_output() still returns, then closes the socket.
//
// Closing (§5.1): once a close envelope is queued (queue_close(), or a
// failure) nothing more can be queued; once the peer's close has been
// received, everything after it is ignored, and nothing more is sent: what
// was queued and not yet taken is dropped, and nothing can be queued, a
// close included.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/link/envelope.hpp"
#include "proto/link/frame.hpp"
#include "proto/link/hello.hpp"
#include "proto/keys.hpp"
#include "proto/noise/handshake_state.hpp"
#include "proto/noise/transport_state.hpp"
#include "proto/link/record.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet {

inline constexpr std::string_view kNoiseProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";
inline constexpr std::string_view kPrologue = "peernet/1";

struct LinkConfig {
  bool initiator = false;
  KeyPair local;
  Hello hello;  // ours, sent encrypted in message 2 or 3
  size_t max_envelope = kDefaultMaxEnvelope;
  // Rekey the sending direction after this many transport messages (§6).
  uint64_t rekey_after_messages = 1'000'000;
  // Tests and the worked example only: a fixed ephemeral key.
  std::optional<KeyPair> fixed_ephemeral;
};

// Decides whether the remote static key may proceed; an error aborts the
// handshake. Called at most once per handshake, after the remote hello has
// been decoded: by the initiator right after reading message 2 and before
// writing message 3, by the responder right after reading message 3. The
// responder sends a close whose reason is the error's code name
// (untrusted_peer, busy, ...). An empty function refuses every peer.
using RemoteCheck = std::function<Status(const PublicKey& remote, const Hello& hello)>;

class Link {
 public:
  enum class State { initial, wrote_message1, read_message1, wrote_message2, read_message2, established, failed };

  // What one receive() produced.
  struct Received {
    // The handshake completed during this call and the RemoteCheck passed.
    bool established = false;
    // In order. After an error: those of the transport messages before the
    // bad one, all of them valid; none of the bad message's (§4.2). A Close
    // is always the last: nothing after it is read.
    std::vector<Envelope> envelopes;
  };

  static Result<Link> create(LinkConfig config, Rng& rng);

  Link(Link&&) noexcept = default;
  Link& operator=(Link&&) noexcept = default;

  // Initiator only, once: queues message 1. Errc::invalid_state otherwise
  // (a misuse: the link is left as it was).
  Status start();

  // Feeds bytes from the stream. Complete frames are processed in order.
  // On error the link is failed and the connection must be closed after
  // flushing what take_output() still returns (a close envelope, for the
  // responder refusing the initiator or its hello, and for errors after the
  // handshake). Errc::closed once failed; after the peer's close, data is
  // ignored.
  Status receive(ByteView data, const RemoteCheck& check, Received& out);

  // Queues an envelope for the next flush. Errc::invalid_state before the
  // handshake completed or after failure; Errc::closed once a close was
  // queued or received; Errc::payload_too_large above max_envelope or
  // above the maximum the peer announced in its hello (the link goes on).
  Status queue(const Envelope& e);
  Status queue_encoded(Bytes envelope);

  // Queues a close envelope after whatever is queued (best effort: ignored
  // when the link cannot send, already closes, or `reason` is not a valid
  // code). The message is cut to 1024 bytes.
  void queue_close(std::string_view reason, std::string_view message);

  // Asks for the sending direction to be rekeyed with the next message, which
  // is sent even if nothing is queued. Ignored unless established and not
  // closing. (The daemon calls this when its rekey timer fires.)
  void request_rekey();

  // Appends the handshake messages not yet taken, then encrypts everything
  // queued into frames (header included), coalescing small envelopes into
  // shared messages. Every rekey_after_messages-th message since the last
  // rekey ends with REKEY, counting that message (§6).
  // Errc::nonce_exhausted when the send nonce nears its limit: the link has
  // failed, and the frames appended (its close) are still to be written.
  Status take_output(std::vector<Bytes>& frames);

  State state() const { return state_; }
  bool established() const { return state_ == State::established; }
  bool initiator() const { return initiator_; }
  const std::optional<PublicKey>& remote_static() const { return remote_; }
  const std::optional<Hello>& remote_hello() const { return remote_hello_; }
  // Envelope bytes queued and not yet encrypted.
  size_t queued_bytes() const { return writer_.queued_bytes(); }
  bool has_output() const {
    return !pending_frames_.empty() || (transport_ && (!writer_.empty() || rekey_requested_));
  }
  // A close is queued or sent: nothing more can be queued.
  bool closing() const { return closing_; }
  // The peer's close has been received: nothing after it is read.
  bool remote_closed() const { return remote_closed_; }
  uint64_t messages_sent() const { return messages_sent_; }
  uint64_t messages_received() const { return messages_received_; }
  // The final handshake hash (a channel binding); empty before established.
  Bytes handshake_hash() const;

 private:
  Status check_send_size(size_t size) const;
  Link(LinkConfig config, noise::HandshakeState hs);

  Status on_frame(ByteView body, const RemoteCheck& check, Received& out);
  Status on_handshake_frame(ByteView body, const RemoteCheck& check, Received& out);
  Status on_transport_frame(ByteView body, Received& out);
  Status read_transport_message(ByteView body, Received& out);
  Status finish_handshake();
  Status fail(Error e);
  void push_close(std::string_view reason, std::string_view message);
  Status write_handshake_message(ByteView payload);

  bool initiator_;
  State state_ = State::initial;
  size_t max_envelope_;
  uint64_t rekey_after_messages_;
  Bytes hello_bytes_;

  std::optional<noise::HandshakeState> handshake_;
  std::optional<noise::TransportState> transport_;
  std::optional<PublicKey> remote_;
  std::optional<Hello> remote_hello_;

  FrameDecoder frames_;
  RecordReader reader_;
  RecordWriter writer_;
  std::vector<Bytes> pending_frames_;  // handshake messages not yet taken
  // Scratch for decryption: not zero-filled (every byte used is written by
  // the decryption first), freed after each receive() when large.
  std::unique_ptr<uint8_t[]> plaintext_;
  size_t plaintext_size_ = 0;
  bool rekey_requested_ = false;
  bool closing_ = false;
  bool remote_closed_ = false;
  uint64_t messages_since_rekey_ = 0;
  uint64_t messages_sent_ = 0;
  uint64_t messages_received_ = 0;
};

std::string_view to_string(Link::State s);

}  // namespace peernet
