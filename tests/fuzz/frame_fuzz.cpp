// Fuzz target: FrameDecoder over any stream, split any way.
//
// Checks that decoding the input in one chunk and in small chunks (sizes
// taken from the input itself) yields the same frames and the same verdict,
// that the decoder's buffer stays within one frame, and that re-framing the
// bodies reproduces the bytes consumed.
#include <algorithm>
#include <vector>

#include "proto/link/frame.hpp"
#include "require.hpp"

using namespace peernet;

namespace {

struct Outcome {
  std::vector<Bytes> frames;
  bool failed = false;
};

Outcome decode(ByteView stream, ByteView chunk_sizes) {
  FrameDecoder dec;
  Outcome out;
  size_t pos = 0, k = 0;
  while (pos < stream.size() && !out.failed) {
    size_t n = chunk_sizes.empty() ? stream.size() : 1 + chunk_sizes[k++ % chunk_sizes.size()] % 9;
    n = std::min(n, stream.size() - pos);
    require(dec.feed(stream.subspan(pos, n)).ok(), "feed refused a drained decoder");
    pos += n;
    for (;;) {
      auto body = dec.next();
      require(dec.buffered() <= kFrameHeaderSize + kMaxFrameBody, "buffer above one frame");
      if (!body.ok()) {
        require(body.error().code == Errc::protocol_error, "unexpected error code");
        require(dec.failed(), "error without failed()");
        out.failed = true;
        break;
      }
      if (!*body) break;
      require(!(*body)->empty() && (*body)->size() <= kMaxFrameBody, "bad frame size");
      out.frames.emplace_back((*body)->begin(), (*body)->end());
    }
  }
  return out;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  std::vector<Bytes> seeds;
  Bytes two;
  (void)append_frame(two, Bytes{1, 2, 3});
  (void)append_frame(two, Bytes(300, 0x55));
  seeds.push_back(two);
  Bytes one;
  (void)append_frame(one, Bytes{0});
  seeds.push_back(one);
  seeds.push_back(Bytes{0, 0, 0, 0});        // length 0
  seeds.push_back(Bytes{0, 1, 0, 0, 1});     // length 65536
  seeds.push_back(Bytes{0, 0, 0, 5, 1, 2});  // truncated body
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  Outcome whole = decode(input, {});
  Outcome split = decode(input, input.first(std::min<size_t>(size, 16)));
  require(whole.frames == split.frames && whole.failed == split.failed, "split changed the result");

  // The frames are exactly a prefix of the stream.
  Bytes reframed;
  for (const auto& f : whole.frames) require(append_frame(reframed, f).ok(), "append_frame failed");
  require(reframed.size() <= size && std::equal(reframed.begin(), reframed.end(), data),
          "frames are not a prefix of the stream");
  return 0;
}
