// Framing of the peer wire protocol (guides/protocol.md, "Framing").
//
// The TCP stream is a sequence of frames:
//
//     frame = length:u32 big-endian | body:length bytes
//
// and every body is exactly one Noise message, handshake or transport. Noise
// caps a message at 65535 bytes (Noise spec rev 34, §3), so a length of 0 or
// above 65535 is Errc::protocol_error, reported as soon as the four length
// bytes are in and before any body byte is buffered.
#pragma once

#include <cstddef>
#include <optional>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

inline constexpr size_t kFrameHeaderSize = 4;
inline constexpr size_t kMaxFrameBody = 65535;

// Writes the header of a frame whose body is `body_len` bytes into out[0..4).
// Fails with Errc::invalid_state if out is shorter than 4 bytes and with
// Errc::payload_too_large if body_len is 0 or above kMaxFrameBody.
Status put_frame_header(MutableByteView out, size_t body_len);
// Appends header and body to `out`; same errors.
Status append_frame(Bytes& out, ByteView body);

// Splits the stream into frame bodies, for any split of the stream into
// chunks. Pull style, copy only when a frame straddles chunks:
//
//     PEERNET_TRY_VOID(dec.feed(chunk));
//     for (;;) {
//       PEERNET_TRY(auto body, dec.next());
//       if (!body) break;           // needs more of the stream
//       handle(*body);
//     }
//
// Memory: the decoder's own buffer holds at most one frame's header and body
// (kFrameHeaderSize + kMaxFrameBody bytes), whatever the chunk sizes.
// After any error the decoder stays failed and returns that error forever.
class FrameDecoder {
 public:
  // Hands over the next chunk of the stream. The decoder keeps a view of
  // `data`, not a copy, until next() has returned nullopt: the chunk must
  // stay alive and unchanged until then. Feeding again before that is
  // Errc::invalid_state (a misuse, not a stream error; the decoder stays usable).
  Status feed(ByteView data);

  // The next complete frame body, or nullopt when the rest of the chunk has
  // been taken in and more of the stream is needed. The view points into the
  // fed chunk, or into the decoder's buffer for a frame that straddled chunks;
  // it is valid until the next call of feed() or next().
  Result<std::optional<ByteView>> next();

  bool failed() const { return error_.has_value(); }
  // Bytes held in the decoder's own buffer (a partial frame).
  size_t buffered() const { return partial_.size(); }

 private:
  Error fail(std::string message);

  ByteView input_;             // the unread rest of the fed chunk
  Bytes partial_;              // header and body bytes of a frame that straddles chunks
  bool partial_done_ = false;  // partial_ holds a frame already returned by next()
  std::optional<Error> error_;
};

}  // namespace peernet
