// guides/protocol.md §9, reproduced byte for byte by the C++ implementation.
//
// tests/interop/worked_example.json holds every value of §9 as the
// independent Python implementation computed them. Two Links with the
// example's fixed keys must produce exactly its frames, and the lower-level
// pieces must agree on everything a Link keeps inside: the split keys and
// the rekeyed key (a CipherState keyed with them must turn each plaintext
// into the frame's body, and back), and the plaintexts (RecordWriter must
// pack the example's envelopes into them).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "proto/link/link.hpp"
#include "proto/noise/cipher_state.hpp"
#include "proto/noise/crypto.hpp"

#ifndef PEERNET_WORKED_EXAMPLE
#error "tests/meson.build defines PEERNET_WORKED_EXAMPLE as the path of worked_example.json"
#endif

namespace peernet {
namespace {

// Ordered, so that a JSON object becomes a msgpack map with its keys in the
// file's order; integers above 2^53 (the request id) stay exact uint64.
using Json = nlohmann::ordered_json;

const Json& example() {
  static const Json j = [] {
    std::ifstream in(PEERNET_WORKED_EXAMPLE);
    return Json::parse(in, nullptr, /*allow_exceptions=*/false);
  }();
  return j;
}

Bytes hex(const Json& v) {
  auto b = from_hex(v.get<std::string>());
  EXPECT_TRUE(b.ok()) << v;
  return b.ok() ? *b : Bytes{};
}

std::string sha256_hex(ByteView data) { return to_hex(noise::hash({data}).value()); }

// A value the JSON gives whole ("<name>": hex) or, when large, by size,
// first 16 bytes and SHA-256.
void expect_bytes(const Json& obj, const std::string& name, ByteView data) {
  if (obj.contains(name)) {
    EXPECT_EQ(to_hex(data), obj[name].get<std::string>()) << name;
    return;
  }
  ASSERT_TRUE(obj.contains(name + "_sha256")) << name;
  EXPECT_EQ(data.size(), obj[name + "_size"].get<size_t>()) << name;
  EXPECT_EQ(to_hex(data.first(std::min<size_t>(16, data.size()))), obj[name + "_head"].get<std::string>())
      << name;
  EXPECT_EQ(sha256_hex(data), obj[name + "_sha256"].get<std::string>()) << name;
}

// The example's one value too large to spell out: §9.6's bin.
Bytes blob() {
  Bytes b(70000);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i % 256);
  return b;
}

// JSON as msgpack in the smallest encodings, as the example's sender wrote it.
void put(MsgpackWriter& w, const Json& v) {
  if (v.is_object() && v.size() == 1 && v.contains("bin")) {
    w.bin(blob());  // the placeholder for §9.6's bin
  } else if (v.is_object()) {
    w.map(static_cast<uint32_t>(v.size()));
    for (const auto& [key, value] : v.items()) {
      w.str(key);
      put(w, value);
    }
  } else if (v.is_array()) {
    w.array(static_cast<uint32_t>(v.size()));
    for (const auto& e : v) put(w, e);
  } else if (v.is_string()) {
    w.str(v.get<std::string>());
  } else if (v.is_number_unsigned()) {
    w.uint(v.get<uint64_t>());
  } else {
    ADD_FAILURE() << "the example has no such value: " << v;
  }
}

Bytes args_of(const Json& v) {
  Bytes out;
  MsgpackWriter w(out);
  put(w, v);
  return out;
}

// An envelope from its JSON value, e.g. [1, id, "echo", {"text": "hello"}].
Envelope envelope_of(const Json& v) {
  switch (v[0].get<int>()) {
    case 1: return Call{v[1].get<uint64_t>(), v[2].get<std::string>(), args_of(v[3])};
    case 2: return Reply{v[1].get<uint64_t>(), args_of(v[2])};
    case 4: return Send{v[1].get<std::string>(), args_of(v[2])};
    case 5: return Ping{v[1].get<uint64_t>()};
    case 6: return Pong{v[1].get<uint64_t>()};
  }
  ADD_FAILURE() << "the example has no such envelope: " << v;
  return Ping{0};
}

// Nothing in the example is random: every key is fixed.
class NoRng : public Rng {
 public:
  void fill(std::span<uint8_t> out) override {
    ADD_FAILURE() << "the worked example drew randomness";
    std::fill(out.begin(), out.end(), uint8_t{0});
  }
};

KeyPair key(const std::string& name) {
  const Json& k = example()["keys"][name];
  auto kp = keypair_from_private(hex(k["private"]));
  EXPECT_TRUE(kp.ok());
  return kp.ok() ? *kp : KeyPair{};
}

class WorkedExample : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(example().is_discarded()) << "cannot read " << PEERNET_WORKED_EXAMPLE;
    ASSERT_EQ(example()["protocol"], std::string(kNoiseProtocolName));
    ASSERT_EQ(hex(example()["prologue"]), Bytes(kPrologue.begin(), kPrologue.end()));
  }
};

TEST_F(WorkedExample, Keys) {
  for (const auto& [name, k] : example()["keys"].items())
    EXPECT_EQ(to_hex(key(name).pub.view()), k["public"].get<std::string>()) << name;
}

TEST_F(WorkedExample, Hello) {
  const Json& h = example()["hello"];
  Hello hello{h["value"]["port"].get<uint16_t>(), {}, std::nullopt, std::nullopt};
  ASSERT_EQ(h["value"]["v"], 1);
  ASSERT_TRUE(h["value"]["caps"].empty());
  EXPECT_EQ(to_hex(encode_hello(hello)), h["msgpack"].get<std::string>());
  auto back = decode_hello(hex(h["msgpack"]));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, hello);
}

TEST_F(WorkedExample, Envelopes) {
  const Json& call = example()["transport"][0]["envelopes"][0]["value"];
  // Above 2^53: the JSON reader must not have gone through a double.
  EXPECT_EQ(call[1].get<uint64_t>(), 0x0102030405060708u);
  for (const auto& step : example()["transport"]) {
    for (const auto& e : step["envelopes"]) {
      Envelope env = envelope_of(e["value"]);
      Bytes encoded = encode(env);
      expect_bytes(e, "msgpack", encoded);
      auto back = decode_envelope(encoded);
      ASSERT_TRUE(back.ok()) << back.error().describe();
      EXPECT_EQ(*back, env);
    }
  }
}

Link make_link(bool initiator) {
  const std::string who = initiator ? "initiator" : "responder";
  LinkConfig c;
  c.initiator = initiator;
  c.local = key(who + "_static");
  c.fixed_ephemeral = key(who + "_ephemeral");
  c.hello.port = example()["hello"]["value"]["port"].get<uint16_t>();
  static NoRng rng;  // with both keys fixed, nothing draws from it
  auto link = Link::create(std::move(c), rng);
  EXPECT_TRUE(link.ok());
  return std::move(link).value();
}

// Takes `from`'s output, checks each frame, and feeds them all to `to`.
std::vector<Bytes> pass(Link& from, Link& to, Link::Received& got) {
  std::vector<Bytes> frames;
  EXPECT_TRUE(from.take_output(frames).ok());
  RemoteCheck accept = [](const PublicKey&, const Hello&) -> Status { return {}; };
  for (const auto& f : frames) {
    Status s = to.receive(f, accept, got);
    EXPECT_TRUE(s.ok()) << s.error().describe();
  }
  return frames;
}

TEST_F(WorkedExample, LinksProduceEveryFrame) {
  Link ini = make_link(true);
  Link res = make_link(false);
  const Json& hs = example()["handshake"];
  ASSERT_EQ(hs.size(), 3u);

  ASSERT_TRUE(ini.start().ok());
  Link::Received r1, r2, r3;
  auto m1 = pass(ini, res, r1);
  auto m2 = pass(res, ini, r2);
  auto m3 = pass(ini, res, r3);
  ASSERT_EQ(m1.size(), 1u);
  ASSERT_EQ(m2.size(), 1u);
  ASSERT_EQ(m3.size(), 1u);
  EXPECT_EQ(to_hex(m1[0]), hs[0]["frame"].get<std::string>());
  EXPECT_EQ(to_hex(m2[0]), hs[1]["frame"].get<std::string>());
  EXPECT_EQ(to_hex(m3[0]), hs[2]["frame"].get<std::string>());
  EXPECT_TRUE(r2.established);
  EXPECT_TRUE(r3.established);
  ASSERT_TRUE(ini.established());
  ASSERT_TRUE(res.established());
  EXPECT_EQ(*ini.remote_static(), key("responder_static").pub);
  EXPECT_EQ(*res.remote_static(), key("initiator_static").pub);
  EXPECT_EQ(to_hex(ini.handshake_hash()), example()["handshake_hash"].get<std::string>());
  EXPECT_EQ(to_hex(res.handshake_hash()), example()["handshake_hash"].get<std::string>());

  for (const auto& step : example()["transport"]) {
    const bool from_initiator = step["direction"] == "initiator -> responder";
    Link& from = from_initiator ? ini : res;
    Link& to = from_initiator ? res : ini;
    std::vector<Envelope> sent;
    for (const auto& e : step["envelopes"]) {
      sent.push_back(envelope_of(e["value"]));
      ASSERT_TRUE(from.queue(sent.back()).ok());
    }
    if (step["rekey_requested"].get<bool>()) from.request_rekey();
    Link::Received got;
    auto frames = pass(from, to, got);
    ASSERT_EQ(frames.size(), step["messages"].size());
    for (size_t i = 0; i < frames.size(); ++i) expect_bytes(step["messages"][i], "frame", frames[i]);
    EXPECT_EQ(got.envelopes, sent);
  }
}

// The keys a Link keeps to itself: keyed with the example's split keys, and
// the example's key after REKEY, a CipherState turns each plaintext into the
// frame's body under the frame's nonce, and back. The REKEY() of the old key
// must give the same ciphertext as the example's new key.
TEST_F(WorkedExample, SplitKeysRekeyAndPlaintexts) {
  const Json& keys = example()["transport_keys"];
  Bytes key_i = hex(keys["initiator_to_responder"]), key_r = hex(keys["responder_to_initiator"]);
  std::optional<Bytes> rekeyed_from;  // the key before the last REKEY, once one happened
  RecordWriter writer_i, writer_r;

  for (const auto& step : example()["transport"]) {
    const bool from_initiator = step["direction"] == "initiator -> responder";
    Bytes& k = from_initiator ? key_i : key_r;
    RecordWriter& writer = from_initiator ? writer_i : writer_r;
    for (const auto& e : step["envelopes"]) ASSERT_TRUE(writer.push(encode(envelope_of(e["value"]))).ok());

    for (const auto& m : step["messages"]) {
      const auto nonce = m["nonce"].get<uint64_t>();
      // The plaintext, as the sender's record policy (§4.1) packs it.
      Bytes plaintext;
      writer.write(plaintext, m["rekey"].get<bool>());
      expect_bytes(m, "plaintext", plaintext);

      noise::CipherState cs;
      ASSERT_TRUE(cs.initialize_key(k).ok());
      cs.set_nonce(nonce);
      Bytes body = cs.encrypt_with_ad({}, plaintext).value();
      Bytes frame(kFrameHeaderSize);
      put_u32be(frame.data(), static_cast<uint32_t>(body.size()));
      frame.insert(frame.end(), body.begin(), body.end());
      expect_bytes(m, "frame", frame);
      cs.set_nonce(nonce);
      auto back = cs.decrypt_with_ad({}, body);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(*back, plaintext);

      if (rekeyed_from && from_initiator) {
        // Rekey() of the old key encrypts exactly as the new key does.
        noise::CipherState old;
        ASSERT_TRUE(old.initialize_key(*rekeyed_from).ok());
        ASSERT_TRUE(old.rekey().ok());
        old.set_nonce(nonce);
        EXPECT_EQ(old.encrypt_with_ad({}, plaintext).value(), body);
        rekeyed_from.reset();
      }
    }
    EXPECT_TRUE(writer.empty());
    if (step.contains("key_after_rekey")) {
      ASSERT_TRUE(from_initiator);  // the example rekeys the initiator's direction
      rekeyed_from = k;
      k = hex(step["key_after_rekey"]);
    }
  }
  EXPECT_FALSE(rekeyed_from.has_value()) << "no message was sent after the REKEY";
}

}  // namespace
}  // namespace peernet
