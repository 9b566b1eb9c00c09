#include "proto/control/results.hpp"

#include <array>

#include "fields.hpp"
#include "proto/link/envelope.hpp"
#include "proto/peer_id.hpp"

namespace peernet::control {
namespace {

using detail::Fields;
using detail::Side;
using detail::Writer;

constexpr Side kClient = Side::client;

constexpr std::array<std::string_view, 4> kHelloKeys = {"version", "daemon", "id", "admin"};
constexpr std::array<std::string_view, 3> kIdentityKeys = {"id", "fingerprint", "public_key"};
constexpr std::array<std::string_view, 7> kStatusKeys = {
    "id", "uptime_s", "sessions", "peers_online", "peers_total", "handles", "counters"};
constexpr std::array<std::string_view, 9> kPeerKeys = {
    "id", "name", "state", "trusted", "addrs", "last_seen", "rtt_ms", "since", "session"};
constexpr std::array<std::string_view, 2> kSessionKeys = {"initiator", "remote"};
constexpr std::array<std::string_view, 3> kTrustKeys = {"id", "name", "addrs"};
constexpr std::array<std::string_view, 1> kIdKeys = {"id"};
constexpr std::array<std::string_view, 3> kSendKeys = {"delivered", "reason", "message"};

// Lists in results are bounded by the message size and MsgpackLimits only;
// these bounds apply to the strings inside them.
constexpr size_t kMaxResultString = 4096;
constexpr size_t kMaxAddressList = 1024;
constexpr size_t kMaxCounterName = 64;

Result<Fields> open(ByteView data, std::string_view method, detail::Keys keys) {
  return Fields::open(data, std::string(method), kClient, keys);
}

Result<std::map<std::string, uint64_t>> decode_counters(ByteView data) {
  auto bad = [](std::string problem) {
    return make_error(Errc::protocol_error, "status: \"counters\": " + problem);
  };
  MsgpackReader r(data);
  PEERNET_TRY(uint32_t n, r.map("status: \"counters\""));
  std::map<std::string, uint64_t> counters;
  for (uint32_t i = 0; i < n; ++i) {
    PEERNET_TRY(std::string_view name, r.str("status: \"counters\" key"));
    if (name.empty() || name.size() > kMaxCounterName)
      return bad(std::to_string(name.size()) + "-byte name, not 1..64");
    PEERNET_TRY(uint64_t value, r.uint("status: \"counters\" value"));
    if (!counters.emplace(name, value).second)
      return bad("duplicate name \"" + std::string(name) + "\"");
  }
  return counters;
}

Result<PeerInfo> decode_peer(ByteView data, size_t index) {
  PEERNET_TRY(Fields f, detail::open_element(data, method::kPeers, index, kClient, kPeerKeys));
  PeerInfo p;
  PEERNET_TRY(p.id, f.peer_id("id"));
  PEERNET_TRY(p.name, f.opt_str("name", kMaxResultString));
  PEERNET_TRY(std::string state, f.str("state", 32));
  auto s = peer_state_from_string(state);
  if (!s) return f.error("state", "unknown state \"" + state + "\"");
  p.state = *s;
  PEERNET_TRY(p.trusted, f.boolean("trusted"));
  PEERNET_TRY(p.addrs, f.str_list("addrs", kMaxAddressList, kMaxAddress));
  PEERNET_TRY(p.last_seen, f.opt_number("last_seen"));
  PEERNET_TRY(p.rtt_ms, f.opt_number("rtt_ms"));
  PEERNET_TRY(p.since, f.opt_number("since"));
  PEERNET_TRY(auto session, f.opt_map("session"));
  if (session) {
    PEERNET_TRY(Fields sf,
                Fields::open(*session, f.context() + ": \"session\"", kClient, kSessionKeys));
    SessionInfo info;
    PEERNET_TRY(info.initiator, sf.boolean("initiator"));
    PEERNET_TRY(info.remote, sf.str("remote", kMaxAddress));
    p.session = std::move(info);
  }
  return p;
}

Result<TrustEntry> decode_trust_entry(ByteView data, size_t index) {
  PEERNET_TRY(Fields f, detail::open_element(data, method::kTrustList, index, kClient, kTrustKeys));
  TrustEntry t;
  PEERNET_TRY(t.id, f.peer_id("id"));
  PEERNET_TRY(t.name, f.opt_str("name", kMaxResultString));
  PEERNET_TRY(t.addrs, f.str_list("addrs", kMaxAddressList, kMaxAddress));
  return t;
}

template <class T, class F>
Result<std::vector<T>> decode_list(ByteView data, std::string_view method, F decode_one) {
  PEERNET_TRY(auto elements, detail::array_elements(data, method, Errc::protocol_error));
  std::vector<T> out;
  out.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    PEERNET_TRY(T item, decode_one(elements[i], i));
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

// --- hello, identity, status -------------------------------------------------

Bytes encode_result(const HelloResult& r) {
  Bytes out;
  Writer w(out);
  w.map(4);
  w.key("version").uint(r.version);
  w.key("daemon").str(r.daemon);
  w.key("id").peer_id(r.id);
  w.key("admin").boolean(r.admin);
  return out;
}

Result<HelloResult> decode_hello_result(ByteView result) {
  PEERNET_TRY(Fields f, open(result, method::kHello, kHelloKeys));
  HelloResult r;
  PEERNET_TRY(r.version, f.uint("version"));
  PEERNET_TRY(r.daemon, f.str("daemon", kMaxResultString));
  PEERNET_TRY(r.id, f.peer_id("id"));
  PEERNET_TRY(r.admin, f.boolean("admin"));
  return r;
}

Bytes encode_result(const IdentityResult& r) {
  Bytes out;
  Writer w(out);
  w.map(3);
  w.key("id").peer_id(r.id);
  w.key("fingerprint").str(r.fingerprint);
  w.key("public_key").bin(r.id.view());
  return out;
}

Result<IdentityResult> decode_identity_result(ByteView result) {
  PEERNET_TRY(Fields f, open(result, method::kIdentity, kIdentityKeys));
  IdentityResult r;
  PEERNET_TRY(r.id, f.peer_id("id"));
  PEERNET_TRY(r.fingerprint, f.str("fingerprint", kMaxResultString));
  PEERNET_TRY(Bytes key, f.bin("public_key"));
  if (key != Bytes(r.id.bytes.begin(), r.id.bytes.end()))
    return f.error("public_key", "does not match \"id\"");
  return r;
}

Bytes encode_result(const StatusResult& r) {
  Bytes out;
  Writer w(out);
  w.map(7);
  w.key("id").peer_id(r.id);
  w.key("uptime_s").real(r.uptime_s);
  w.key("sessions").uint(r.sessions);
  w.key("peers_online").uint(r.peers_online);
  w.key("peers_total").uint(r.peers_total);
  w.key("handles").uint(r.handles);
  w.key("counters").map(static_cast<uint32_t>(r.counters.size()));
  for (const auto& [name, value] : r.counters) {
    w.str(name);
    w.uint(value);
  }
  return out;
}

Result<StatusResult> decode_status_result(ByteView result) {
  PEERNET_TRY(Fields f, open(result, method::kStatus, kStatusKeys));
  StatusResult r;
  PEERNET_TRY(r.id, f.peer_id("id"));
  PEERNET_TRY(r.uptime_s, f.number("uptime_s"));
  PEERNET_TRY(r.sessions, f.uint("sessions"));
  PEERNET_TRY(r.peers_online, f.uint("peers_online"));
  PEERNET_TRY(r.peers_total, f.uint("peers_total"));
  PEERNET_TRY(r.handles, f.uint("handles"));
  PEERNET_TRY(ByteView counters, f.map("counters"));
  PEERNET_TRY(r.counters, decode_counters(counters));
  return r;
}

// --- peers, trust ------------------------------------------------------------

Bytes encode_result(const std::vector<PeerInfo>& peers) {
  Bytes out;
  Writer w(out);
  w.array(static_cast<uint32_t>(peers.size()));
  for (const auto& p : peers) {
    w.map(9);
    w.key("id").peer_id(p.id);
    w.key("name").opt_str(p.name);
    w.key("state").str(to_string(p.state));
    w.key("trusted").boolean(p.trusted);
    w.key("addrs").str_list(p.addrs);
    w.key("last_seen").opt_real(p.last_seen);
    w.key("rtt_ms").opt_real(p.rtt_ms);
    w.key("since").opt_real(p.since);
    w.key("session");
    if (p.session) {
      w.map(2);
      w.key("initiator").boolean(p.session->initiator);
      w.key("remote").str(p.session->remote);
    } else {
      w.nil();
    }
  }
  return out;
}

Result<std::vector<PeerInfo>> decode_peers_result(ByteView result) {
  return decode_list<PeerInfo>(result, method::kPeers, decode_peer);
}

Bytes encode_result(const std::vector<TrustEntry>& trust) {
  Bytes out;
  Writer w(out);
  w.array(static_cast<uint32_t>(trust.size()));
  for (const auto& t : trust) {
    w.map(3);
    w.key("id").peer_id(t.id);
    w.key("name").opt_str(t.name);
    w.key("addrs").str_list(t.addrs);
  }
  return out;
}

Result<std::vector<TrustEntry>> decode_trust_list_result(ByteView result) {
  return decode_list<TrustEntry>(result, method::kTrustList, decode_trust_entry);
}

Bytes encode_result(const IdResult& r) {
  Bytes out;
  Writer w(out);
  w.map(1);
  w.key("id").peer_id(r.id);
  return out;
}

Result<IdResult> decode_id_result(ByteView result, std::string_view method) {
  PEERNET_TRY(Fields f, open(result, method, kIdKeys));
  IdResult r;
  PEERNET_TRY(r.id, f.peer_id("id"));
  return r;
}

// --- send, empty -------------------------------------------------------------

bool is_drop_reason(Errc code) {
  return code == Errc::peer_offline || code == Errc::busy || code == Errc::payload_too_large;
}

SendResult SendResult::from(const Status& status) {
  if (status.ok()) return SendResult{};
  return SendResult{false, status.error().code, status.error().message};
}

Bytes encode_result(const SendResult& r) {
  Bytes out;
  Writer w(out);
  if (r.delivered) {
    w.map(1);
    w.key("delivered").boolean(true);
    return out;
  }
  w.map(3);
  w.key("delivered").boolean(false);
  w.key("reason").str(to_string(r.reason));
  w.key("message").str(r.message);
  return out;
}

Result<SendResult> decode_send_result(ByteView result) {
  PEERNET_TRY(Fields f, open(result, method::kSend, kSendKeys));
  SendResult r;
  PEERNET_TRY(r.delivered, f.boolean("delivered"));
  if (r.delivered) return r;
  PEERNET_TRY(std::string reason, f.str("reason", kMaxCode));
  auto code = errc_from_string(reason);
  if (!code) return f.error("reason", "unknown reason \"" + reason + "\"");
  r.reason = *code;
  PEERNET_TRY(auto message, f.opt_text("message", kDefaultMaxMessage));
  r.message = message.value_or("");
  return r;
}

Bytes encode_empty_result() { return Bytes{0x80}; }

Status decode_empty_result(ByteView result, std::string_view method) {
  PEERNET_TRY_VOID(open(result, method, {}));
  return {};
}

}  // namespace peernet::control
