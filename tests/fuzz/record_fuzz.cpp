// Fuzz target: RecordReader over a sequence of plaintexts.
//
// The input is cut into plaintexts by 2-byte big-endian length prefixes. A
// reader with a small envelope limit (so fragments of every size are in
// reach) reads them; the envelopes it yields are then written with
// RecordWriter and read back, which must reproduce them.
#include <algorithm>
#include <vector>

#include "proto/link/record.hpp"
#include "require.hpp"

using namespace peernet;

namespace {

constexpr size_t kFuzzMaxEnvelope = 4096;

// Drains one plaintext into `out`; false once the reader failed.
bool read_one(RecordReader& reader, ByteView plaintext, std::vector<Bytes>& out, bool* rekey) {
  if (!reader.feed(plaintext).ok()) return false;
  for (;;) {
    auto env = reader.next();
    require(reader.buffered() <= kFuzzMaxEnvelope, "reassembly above the limit");
    if (!env.ok()) {
      require(reader.failed() && reader.buffered() == 0, "error without cleanup");
      return false;
    }
    if (!*env) break;
    require(!(*env)->empty() && (*env)->size() <= kFuzzMaxEnvelope, "bad envelope size");
    out.emplace_back((*env)->begin(), (*env)->end());
  }
  if (rekey) *rekey = reader.rekey();
  return true;
}

Bytes prefixed(std::initializer_list<Bytes> plaintexts) {
  Bytes out;
  for (const auto& p : plaintexts) {
    out.push_back(static_cast<uint8_t>(p.size() >> 8));
    out.push_back(static_cast<uint8_t>(p.size()));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace

std::vector<Bytes> FuzzSeeds() {
  RecordWriter w(kFuzzMaxEnvelope);
  (void)w.push(Bytes{0x92, 0x05, 0x07});
  (void)w.push(Bytes{0xc0});
  Bytes coalesced;
  w.write(coalesced, true);
  return {
      prefixed({coalesced}),
      prefixed({Bytes{2, 0, 6, 0, 0, 0, 4, 1, 2}, Bytes{3, 0, 2, 3, 4}}),  // FIRST + MORE
      prefixed({Bytes{1, 0, 1, 0xc0, 4, 0, 0}, Bytes{4, 0, 0}}),
      prefixed({Bytes{2, 0, 5, 0, 0, 0x10, 0x01, 9}}),  // total above the limit
      prefixed({Bytes{3, 0, 1, 1}}),                    // MORE without FIRST
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RecordReader reader(kFuzzMaxEnvelope);
  std::vector<Bytes> envelopes;
  size_t pos = 0;
  bool ok = true;
  while (ok && pos + 2 <= size) {
    size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    len = std::min(len, size - pos);
    ok = read_one(reader, ByteView(data + pos, len), envelopes, nullptr);
    pos += len;
  }

  // What was read must survive the writer and a fresh reader.
  RecordWriter writer(kFuzzMaxEnvelope);
  for (const auto& e : envelopes) require(writer.push(e).ok(), "writer refused an envelope");
  RecordReader again(kFuzzMaxEnvelope);
  std::vector<Bytes> round;
  for (int i = 0; !writer.empty(); ++i) {
    Bytes p;
    bool rekey = i % 3 == 0;
    require(writer.write(p, rekey) > 0 && p.size() <= kMaxPlaintext, "bad plaintext");
    bool saw_rekey = false;
    require(read_one(again, p, round, &saw_rekey), "writer output rejected");
    require(saw_rekey == rekey, "REKEY flag lost");
  }
  require(round == envelopes, "round trip changed the envelopes");
  require(!again.fragment_pending(), "fragment left pending");
  return 0;
}
