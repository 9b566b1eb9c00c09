#include "proto/link/hello.hpp"

#include <optional>

namespace peernet {
namespace {

Error bad(std::string message) {
  return make_error(Errc::protocol_error, "hello: " + std::move(message));
}

}  // namespace

Bytes encode_hello(const Hello& hello) {
  Bytes out;
  MsgpackWriter w(out);
  w.map(3 + (hello.max_envelope ? 1 : 0) + (hello.pair ? 1 : 0));
  w.str("v");
  w.uint(kProtocolVersion);
  w.str("port");
  w.uint(hello.port);
  w.str("caps");
  w.array(static_cast<uint32_t>(hello.caps.size()));
  for (const auto& cap : hello.caps) w.str(cap);
  if (hello.max_envelope) {
    w.str("max_envelope");
    w.uint(*hello.max_envelope);
  }
  if (hello.pair) {
    w.str("pair");
    w.str(*hello.pair);
  }
  return out;
}

Result<Hello> decode_hello(ByteView payload, const MsgpackLimits& limits) {
  MsgpackReader r(payload);
  PEERNET_TRY(uint32_t entries, r.map("hello"));
  if (entries > kMaxHelloEntries)
    return bad(std::to_string(entries) + " entries exceed the limit of 64");

  // First collect the known values, so that the version is judged before
  // anything else whatever the key order.
  std::optional<ByteView> version, port, caps, max_envelope, pair;
  for (uint32_t i = 0; i < entries; ++i) {
    PEERNET_TRY(std::string_view key, r.str("hello key"));
    std::optional<ByteView>* slot = key == "v"      ? &version
                                    : key == "port" ? &port
                                    : key == "caps" ? &caps
                                    : key == "pair" ? &pair
                                    : key == "max_envelope" ? &max_envelope
                                                    : nullptr;
    PEERNET_TRY(ByteView value,
                r.object(slot ? "hello \"" + std::string(key) + "\"" : "hello value", limits));
    if (!slot) continue;  // a key from a later version
    if (slot->has_value()) return bad("duplicate key \"" + std::string(key) + "\"");
    *slot = value;
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " bytes after the map");

  if (!version) return bad("missing \"v\"");
  PEERNET_TRY(uint64_t v, MsgpackReader(*version).uint("hello \"v\""));
  if (v != kProtocolVersion)
    return make_error(Errc::unsupported,
                      "peer speaks protocol version " + std::to_string(v) + ", we speak 1");

  Hello hello;
  if (!port) return bad("missing \"port\"");
  PEERNET_TRY(uint64_t p, MsgpackReader(*port).uint("hello \"port\""));
  if (p > 65535) return bad("port " + std::to_string(p) + " is above 65535");
  hello.port = static_cast<uint16_t>(p);

  if (!caps) return bad("missing \"caps\"");
  MsgpackReader cr(*caps);
  PEERNET_TRY(uint32_t count, cr.array("hello \"caps\""));
  if (count > kMaxCaps) return bad(std::to_string(count) + " caps exceed the limit of 32");
  hello.caps.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    PEERNET_TRY(std::string_view cap, cr.str("hello cap"));
    if (cap.empty() || cap.size() > kMaxCapLength)
      return bad("a cap of " + std::to_string(cap.size()) + " bytes is not 1..64");
    hello.caps.emplace_back(cap);
  }

  if (max_envelope) {
    PEERNET_TRY(uint64_t m, MsgpackReader(*max_envelope).uint("hello \"max_envelope\""));
    if (m < kMinAnnouncedEnvelope || m > kMaxAnnouncedEnvelope)
      return bad("\"max_envelope\" " + std::to_string(m) + " is not within " +
                 std::to_string(kMinAnnouncedEnvelope) + ".." + std::to_string(kMaxAnnouncedEnvelope));
    hello.max_envelope = m;
  }

  if (pair) {
    PEERNET_TRY(std::string_view nameplate, MsgpackReader(*pair).str("hello \"pair\""));
    if (nameplate.size() != 3 || nameplate.find_first_not_of("0123456789") != std::string_view::npos)
      return bad("\"pair\" is not a nameplate of 3 digits");
    hello.pair = std::string(nameplate);
  }
  return hello;
}

}  // namespace peernet
