// Fuzz target: RpcDecoder over any stream, split any way.
//
// The same stream fed whole and byte by byte must give the same sequence of
// messages and errors; recoverable errors must leave the decoder usable;
// the partial buffer must stay within the size cap; every message must
// survive encode/decode_rpc unchanged.
#include <algorithm>
#include <vector>

#include "proto/control/rpc.hpp"
#include "require.hpp"

using namespace peernet;

namespace {

constexpr size_t kFuzzMaxMessage = 2048;

struct Event {
  std::optional<RpcMessage> message;
  std::optional<Errc> error;
  std::optional<uint32_t> bad_msgid;
  bool operator==(const Event&) const = default;
};

std::vector<Event> decode(ByteView stream, size_t chunk) {
  RpcDecoder dec(kFuzzMaxMessage);
  std::vector<Event> events;
  for (size_t pos = 0; pos < stream.size() && !dec.failed(); pos += chunk) {
    require(dec.feed(stream.subspan(pos, std::min(chunk, stream.size() - pos))).ok(),
            "feed refused");
    for (;;) {
      auto m = dec.next();
      require(dec.buffered() <= kFuzzMaxMessage, "buffer above the cap");
      if (!m.ok()) {
        Errc code = m.error().code;
        require(dec.failed() == (code != Errc::bad_request), "recoverable/fatal mismatch");
        events.push_back({std::nullopt, code, dec.bad_msgid()});
        if (dec.failed()) break;
        continue;
      }
      if (!*m) break;
      events.push_back({std::move(**m), std::nullopt, std::nullopt});
    }
  }
  return events;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  std::vector<Bytes> seeds;
  Bytes stream;
  encode_to(stream,
            RpcRequest{1, "peer.call", Bytes{0x93, 0xa1, 'h', 0xc4, 0x01, 0x00, 0xcd, 0x10, 0x00}});
  encode_to(stream, RpcResponse{1, Bytes{0xc0}, Bytes{0x81, 0xa1, 'a', 0x01}});
  encode_to(stream, RpcNotification{"event.peer_up", Bytes{0x91, 0xa1, 'p'}});
  seeds.push_back(stream);
  seeds.push_back(
      Bytes{0x94, 0x00, 0xcd, 0x01, 0x02, 0xa1, 'm', 0x05, 0x93, 0x02, 0xa1, 'n', 0x90});
  seeds.push_back(Bytes{0x93, 0x02, 0xa1, 'n', 0x91, 0xdb, 0xff, 0xff, 0xff, 0xff});
  seeds.push_back(Bytes{0x94, 0x00, 0x01, 0xc1});
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  auto whole = decode(input, size == 0 ? 1 : size);
  auto bytewise = decode(input, 1);
  require(whole == bytewise, "split changed the result");
  for (const auto& e : whole) {
    if (!e.message) continue;
    auto back = decode_rpc(encode(*e.message));
    require(back.ok() && *back == *e.message, "round trip changed the message");
  }
  return 0;
}
