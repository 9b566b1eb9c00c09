// Fuzz target: a Link after a completed handshake, fed by the peer it
// shook hands with. Each run does a real handshake in memory (the Link as
// responder, the fixed peer as a raw Noise initiator, fixed keys), then
// feeds the input as the peer's transport traffic. The first input byte
// picks its form:
//   even  the rest is ciphertext: the stream of frames itself;
//   odd   the rest is a sequence of plaintexts (a u16 length, then the
//         bytes), each encrypted by the peer and framed: records, fragments,
//         envelopes and REKEY as the peer sends them. When a plaintext ends
//         with a REKEY record the peer rekeys its sending side, as the
//         protocol asks.
// After each piece the Link queues back every envelope it received (what a
// busy session does), is asked to rekey when the piece's first byte is odd,
// and everything it writes must be readable by the peer: frames that
// decrypt, records that parse, envelopes that decode. After an error the
// link is failed and reads nothing more.
#include <variant>
#include <vector>

#include "peer.hpp"
#include "proto/link/envelope.hpp"
#include "proto/link/record.hpp"
#include "proto/msgpack_check.hpp"
#include "proto/noise/transport_state.hpp"

using namespace peernet;
using namespace peernet::fuzz;

namespace {

struct Session {
  FixedRng rng, peer_rng;
  Link link = make_link(false, rng);
  std::optional<noise::TransportState> peer;
  RecordReader peer_reader;

  Session() {
    auto ini = make_peer(true, peer_rng);
    Link::Received got;
    Bytes msg1 = ini.write_message({}).value();
    require(link.receive(framed(msg1), accept_peer(), got).ok(), "message 1 refused");
    auto b = bodies(take_all(link));
    require(b.size() == 1 && ini.read_message(b[0]).ok(), "message 2 unreadable");
    Bytes msg3 = ini.write_message(encode_hello(Hello{1, {}, std::nullopt, std::nullopt})).value();
    require(link.receive(framed(msg3), accept_peer(), got).ok() && got.established,
            "the handshake did not complete");
    auto ts = std::move(ini).split();
    require(ts.ok(), "split failed");
    peer.emplace(std::move(*ts));
  }

  // The peer reads what the link wrote.
  void peer_reads() {
    for (const Bytes& body : bodies(take_all(link))) {
      auto plain = peer->decrypt(body);
      require(plain.ok(), "the peer cannot decrypt what the link sent");
      require(peer_reader.feed(*plain).ok(), "the link sent a bad plaintext");
      for (;;) {
        auto env = peer_reader.next();
        require(env.ok(), "the link sent bad records");
        if (!*env) break;
        auto e = decode_envelope(**env);
        require(e.ok(), "the link sent a bad envelope");
      }
      if (peer_reader.rekey()) require(peer->rekey_recv().ok(), "rekey_recv failed");
    }
  }
};

// Whether a plaintext's records end with REKEY, as RecordReader sees it.
bool ends_with_rekey(ByteView p) {
  size_t at = 0;
  bool rekey = false;
  while (at + kRecordHeaderSize <= p.size()) {
    rekey = p[at] == static_cast<uint8_t>(RecordType::rekey);
    at += kRecordHeaderSize + get_u16be(&p[at + 1]);
  }
  return rekey && at == p.size();
}

Bytes record(RecordType t, ByteView body) {
  Bytes out = {static_cast<uint8_t>(t), static_cast<uint8_t>(body.size() >> 8),
               static_cast<uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  std::vector<Bytes> seeds;
  std::vector<Envelope> all = {
      Call{1, "svc.echo", Bytes{0x91, 0x01}}, Reply{1, Bytes{0xc0}}, ErrorReply{2, "timeout", "slow"},
      Send{"chat", Bytes{0xa2, 0x68, 0x69}},   Ping{7},                Pong{7},
      Close{"shutdown", "bye"},
  };
  Bytes plain_all;
  for (const auto& e : all) {
    if (std::holds_alternative<Close>(e)) continue;
    Bytes r = record(RecordType::envelope, encode(e));
    plain_all.insert(plain_all.end(), r.begin(), r.end());
  }
  Bytes seed = {1};
  put_piece(seed, plain_all);
  seeds.push_back(seed);
  // A fragmented envelope, a REKEY, then more after it, then a close.
  Bytes big = encode(Send{"bulk", [] {
                            Bytes b;
                            MsgpackWriter(b).bin(Bytes(300, 0x33));
                            return b;
                          }()});
  Bytes first(4);
  put_u32be(first.data(), static_cast<uint32_t>(big.size()));
  first.insert(first.end(), big.begin(), big.begin() + 100);
  seed = {1};
  Bytes p1 = record(RecordType::fragment_first, first);
  Bytes rk = record(RecordType::rekey, {});
  p1.insert(p1.end(), rk.begin(), rk.end());
  put_piece(seed, p1);
  put_piece(seed, record(RecordType::fragment_more, ByteView(big).subspan(100)));
  put_piece(seed, record(RecordType::envelope, encode(Ping{9})));
  put_piece(seed, record(RecordType::envelope, encode(Close{"shutdown", ""})));
  seeds.push_back(seed);
  // Ciphertext: a frame of garbage, and a frame shorter than a tag.
  seeds.push_back(Bytes{0, 0, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                        18, 19, 20});
  seeds.push_back(Bytes{2, 0, 0, 0, 3, 1, 2, 3});
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Session s;
  const RemoteCheck check = accept_peer();
  Status status;
  bool closed = false;
  auto after = [&](Link::Received& got, ByteView piece) {
    for (const Envelope& e : got.envelopes) {
      if (std::holds_alternative<Close>(e)) {
        closed = true;
        continue;
      }
      (void)s.link.queue(e);
    }
    if (!piece.empty() && (piece[0] & 1)) s.link.request_rekey();
    s.peer_reads();
  };
  if (data[0] % 2 == 0) {
    Link::Received got;
    ByteView rest(data + 1, size - 1);
    status = s.link.receive(rest, check, got);
    after(got, rest);
  } else {
    Pieces pieces(data + 1, size - 1);
    while (!pieces.done() && status) {
      ByteView plain = pieces.next();
      auto msg = s.peer->encrypt(plain);
      if (!msg.ok()) break;  // empty or too large for one message
      if (ends_with_rekey(plain)) require(s.peer->rekey_send().ok(), "rekey_send failed");
      Link::Received got;
      status = s.link.receive(framed(*msg), check, got);
      after(got, plain);
    }
  }
  if (closed) require(s.link.remote_closed(), "a close envelope did not close the link");
  if (!status) {
    require(s.link.state() == Link::State::failed, "an error did not fail the link");
    Link::Received again;
    auto r = s.link.receive(Bytes{0, 0, 0, 1, 0}, check, again);
    require(!r && r.error().code == Errc::closed, "a failed link read on");
  }
  return 0;
}
