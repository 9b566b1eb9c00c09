// Fuzz target: the JSON <-> msgpack mapping (proto/json). The first input
// byte picks the direction:
//   even  the rest is JSON text (what peernetctl reads from a script, and a
//         command handle's stdout): accepted text becomes msgpack within the
//         protocol's limits, which maps back to JSON and to the same msgpack;
//   odd   the rest is msgpack (call args from a remote peer): accepted
//         msgpack becomes JSON whose text parses again.
// Errors are Errc::bad_request from JSON and Errc::protocol_error from
// msgpack.
#include <string>
#include <vector>

#include "json/json_msgpack.hpp"
#include "proto/msgpack_check.hpp"
#include "require.hpp"

using namespace peernet;

std::vector<Bytes> FuzzSeeds() {
  std::vector<std::string> json = {
      R"({"a":1,"b":[true,null,1.5,-3],"c":{"$bin":"AAEC"}})",
      R"([{"$ext":5,"$data":"AQI="},"h\u00e9",18446744073709551615,-9223372036854775808])",
      R"({"k":1,"k":2,"z":{}})",
      std::string(40, '[') + std::string(40, ']'),
  };
  std::vector<Bytes> seeds;
  for (const auto& j : json) {
    Bytes b(j.begin(), j.end());
    b.insert(b.begin(), 0);  // the direction byte: JSON text
    seeds.push_back(b);
  }
  seeds.push_back(Bytes{1, 0x83, 0xa1, 'a', 0x01, 0x01, 0xc0, 0xc0, 0xc4, 0x02, 0xff, 0xfe});
  seeds.push_back(Bytes{1, 0x92, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0xd6, 0xff, 0, 0, 0, 1});
  seeds.push_back(Bytes{1, 0x91, 0xa2, 0xff, 0xc3});
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ByteView rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto mp = json_text_to_msgpack(as_chars(rest));
    if (!mp.ok()) {
      require(mp.error().code == Errc::bad_request, "unexpected error code from JSON");
      return 0;
    }
    auto j = msgpack_to_json(*mp);
    require(j.ok(), "msgpack made from JSON does not map back");
    auto again = json_to_msgpack(*j);
    require(again.ok() && *again == *mp, "JSON -> msgpack -> JSON -> msgpack changed the value");
    auto text = parse_json(dump_json(*j));
    require(text.ok(), "dump_json wrote text parse_json refuses");
  } else {
    auto j = msgpack_to_json(rest);
    if (!j.ok()) {
      require(j.error().code == Errc::protocol_error, "unexpected error code from msgpack");
      return 0;
    }
    auto text = parse_json(dump_json(*j));
    require(text.ok(), "dump_json wrote text parse_json refuses");
  }
  return 0;
}
