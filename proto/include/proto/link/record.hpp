// The record layer inside Noise transport messages (guides/protocol.md,
// "Records").
//
// A transport message's plaintext is at most 65535 - 16 = 65519 bytes
// (kMaxPlaintext: the Noise message cap minus the ChaChaPoly tag) and is a
// sequence of records:
//
//     record = type:u8 | length:u16 big-endian | body:length bytes
//
//     0x01 ENVELOPE        body = one whole encoded envelope (length >= 1)
//     0x02 FRAGMENT_FIRST  body = total:u32 BE | first chunk (>= 1 byte)
//     0x03 FRAGMENT_MORE   body = next chunk (>= 1 byte)
//     0x04 REKEY           length 0; the last record of its message
//
// One message can carry several small envelopes (each AEAD operation has a
// fixed cost, so coalescing is what makes small-message throughput), and one
// large envelope can span several messages. Grammar of the record stream,
// across message boundaries:
//
//     stream   = *( ENVELOPE | fragment | REKEY )
//     fragment = FRAGMENT_FIRST *FRAGMENT_MORE   ; chunks add up to `total`
//
// so a fragmented envelope's records are consecutive, and nothing else comes
// between its FRAGMENT_FIRST and its last chunk (a REKEY may, since it only
// ends a message). A sender uses ENVELOPE for every envelope that fits in one
// record of an empty message, save one edge case (see RecordWriter); the
// reader accepts a fragmented small envelope too. 1 <= total <= the reader's
// max envelope size (default 1 MiB); a larger total is
// Errc::payload_too_large, reported before anything is allocated, as is an
// ENVELOPE record above that size. Chunks beyond the total are an error.
// Every other violation is Errc::protocol_error.
//
// REKEY tells the receiver that the sender rekeys its sending CipherState
// (Noise spec rev 34, §11.3) right after this message, so the receiver must
// rekey its receiving CipherState after decrypting this message and before
// decrypting the next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kMaxPlaintext = 65535 - 16;
inline constexpr size_t kRecordHeaderSize = 3;
inline constexpr size_t kFragmentTotalSize = 4;
// The largest envelope that travels as one ENVELOPE record.
inline constexpr size_t kMaxUnfragmentedEnvelope = kMaxPlaintext - kRecordHeaderSize;
inline constexpr size_t kDefaultMaxEnvelope = size_t{1} << 20;

enum class RecordType : uint8_t {
  envelope = 0x01,
  fragment_first = 0x02,
  fragment_more = 0x03,
  rekey = 0x04,
};

// Packs queued envelopes into plaintexts, FIFO. Each envelope is copied once,
// from the queue into the plaintext.
//
// Policy (guides/protocol.md §4.1 states it normatively, and the worked
// example depends on it): with `room` the bytes left in the current plaintext
// (65519, less 3 when it ends with REKEY, less what is written), the next
// envelope of n bytes goes in
//   - as one ENVELOPE record if 3 + n <= room;
//   - else, if n <= kMaxUnfragmentedEnvelope and the plaintext already holds
//     a record, whole at the start of the next plaintext;
//   - else fragmented: FRAGMENT_FIRST with the first room - 7 bytes (if
//     room >= 8, else the plaintext ends), then FRAGMENT_MORE records of
//     min(rest, room - 3) bytes, each the first record of the next plaintext;
//     what follows the last fragment shares its plaintext.
// So an envelope that fits in a plaintext is split only when that plaintext
// ends with REKEY and the envelope is 65514..65516 bytes.
class RecordWriter {
 public:
  explicit RecordWriter(size_t max_envelope = kDefaultMaxEnvelope) : max_envelope_(max_envelope) {}

  // Queues one encoded envelope (moved, not copied). Errc::payload_too_large
  // if it is larger than max_envelope (the peer would refuse it), and
  // Errc::invalid_state if it is empty.
  Status push(Bytes envelope);

  bool empty() const { return queue_.empty(); }
  // Envelopes queued, counting one that is partly written.
  size_t queued() const { return queue_.size(); }
  // Envelope bytes not yet written into a plaintext.
  size_t queued_bytes() const { return queued_bytes_ - head_offset_; }

  // Appends the next plaintext (at most kMaxPlaintext bytes) to `out`; what is
  // already in `out` is kept, so a caller can leave room for a frame header in
  // front. With `rekey`, the plaintext ends with a REKEY record (it may then
  // hold nothing else). Returns the number of bytes appended: 0 only when
  // nothing is queued and `rekey` is false.
  size_t write(Bytes& out, bool rekey = false);

 private:
  size_t max_envelope_;
  std::deque<Bytes> queue_;
  size_t head_offset_ = 0;   // bytes of queue_.front() already written
  size_t queued_bytes_ = 0;  // total size of the envelopes in queue_
};

// Reads the records of each decrypted plaintext and reassembles fragmented
// envelopes. Memory: one reassembly buffer of exactly `total` bytes while a
// fragmented envelope is pending, nothing otherwise.
//
//     PEERNET_TRY_VOID(reader.feed(plaintext));
//     for (;;) {
//       PEERNET_TRY(auto env, reader.next());
//       if (!env) break;
//       handle(*env);
//     }
//     if (reader.rekey()) receive_cipher.rekey();
//
// After any error the reader stays failed and returns that error forever.
class RecordReader {
 public:
  explicit RecordReader(size_t max_envelope = kDefaultMaxEnvelope) : max_envelope_(max_envelope) {}

  // Hands over one plaintext. The reader keeps a view of it, not a copy,
  // until next() has returned nullopt; feeding again before that is
  // Errc::invalid_state. An empty plaintext, or one above kMaxPlaintext, is
  // Errc::protocol_error.
  Status feed(ByteView plaintext);

  // The next complete envelope, or nullopt once the plaintext is used up. The
  // view points into the plaintext, or into the reassembly buffer for a
  // fragmented envelope; it is valid until the next call of feed() or next().
  Result<std::optional<ByteView>> next();

  // After next() returned nullopt: whether this plaintext ended with REKEY.
  bool rekey() const { return rekey_; }
  bool failed() const { return error_.has_value(); }
  // Whether a fragmented envelope is waiting for more chunks.
  bool fragment_pending() const { return expected_ > 0; }
  // Bytes allocated for reassembly.
  size_t buffered() const { return assembly_.capacity(); }

 private:
  Error fail(Errc code, std::string message);

  size_t max_envelope_;
  ByteView input_;          // the unread rest of the current plaintext
  Bytes assembly_;          // chunks of the pending fragmented envelope
  size_t expected_ = 0;     // its total; 0 when none is pending
  bool delivered_ = false;  // assembly_ holds an envelope already returned
  bool rekey_ = false;
  std::optional<Error> error_;
};

}  // namespace peernet
