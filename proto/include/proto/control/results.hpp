// Results of the requests a client sends (guides/control-api.md, "Methods").
//
// The daemon encodes them (encode_result); a client decodes them
// (decode_<method>_result). Peer ids travel as peer id text. Times are
// floats: last_seen and since in Unix seconds, rtt_ms in milliseconds,
// uptime_s in seconds.
//
// A client decodes leniently where that lets the daemon grow: keys it does
// not know are skipped (so version 1 may add result keys), and an absent or
// nil optional value is nullopt. Everything else is checked, and a failure is
// Errc::protocol_error naming the key, since the daemon broke the protocol.
//
// `call` has no struct: its result is the remote handler's result, relayed
// as its raw msgpack bytes. trust.remove, expose, unexpose and subscribe
// answer an empty map.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/control/methods.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet::control {

struct HelloResult {
  uint64_t version = kVersion;
  std::string daemon;  // "peernetd 0.1.0"
  PublicKey id;
  bool admin = false;  // may call admin methods (trust.add, trust.remove)
  friend bool operator==(const HelloResult&, const HelloResult&) = default;
};

// Encoded as {id, fingerprint, public_key: bin 32}; public_key is id's key,
// and decoding checks that they agree.
struct IdentityResult {
  PublicKey id;
  std::string fingerprint;  // proto/peer_id.hpp fingerprint()
  friend bool operator==(const IdentityResult&, const IdentityResult&) = default;
};

struct StatusResult {
  PublicKey id;
  double uptime_s = 0;
  uint64_t sessions = 0;  // established peer sessions
  uint64_t peers_online = 0;
  uint64_t peers_total = 0;                  // trusted peers
  uint64_t handles = 0;                      // handles exposed by local clients
  std::map<std::string, uint64_t> counters;  // name -> count; names 1..64 bytes
  friend bool operator==(const StatusResult&, const StatusResult&) = default;
};

struct SessionInfo {
  bool initiator = false;  // this daemon dialled
  std::string remote;      // "host:port" of the other end
  friend bool operator==(const SessionInfo&, const SessionInfo&) = default;
};

struct PeerInfo {
  PublicKey id;
  std::optional<std::string> name;  // alias; nullopt when none
  PeerState state = PeerState::offline;
  bool trusted = false;
  std::vector<std::string> addrs;      // static and learned, "host:port"
  std::optional<double> last_seen;     // Unix seconds; nullopt: never
  std::optional<double> rtt_ms;        // last ping's round trip; nullopt: none yet
  std::optional<double> since;         // Unix seconds when `state` was entered
  std::optional<SessionInfo> session;  // the active session, when online
  friend bool operator==(const PeerInfo&, const PeerInfo&) = default;
};

struct TrustEntry {
  PublicKey id;
  std::optional<std::string> name;
  std::vector<std::string> addrs;
  friend bool operator==(const TrustEntry&, const TrustEntry&) = default;
};

// trust.add and connect: the peer's id.
struct IdResult {
  PublicKey id;
  friend bool operator==(const IdResult&, const IdResult&) = default;
};

// A dropped send is a result, not an error, so that a script can tell
// "dropped" (the request was fine) from "wrong request".
//   delivered: {"delivered": true}
//   dropped:   {"delivered": false, "reason": "peer_offline", "message": "…"}
struct SendResult {
  bool delivered = true;
  Errc reason = Errc::peer_offline;  // when !delivered
  std::string message;               // when !delivered
  // From Daemon::send's status. Precondition: ok, or an error that
  // is_drop_reason() accepts (any other error is answered as an error).
  static SendResult from(const Status& status);
  friend bool operator==(const SendResult&, const SendResult&) = default;
};
// peer_offline, busy, payload_too_large: the reasons a send is dropped.
bool is_drop_reason(Errc code);

Bytes encode_result(const HelloResult& r);
Bytes encode_result(const IdentityResult& r);
Bytes encode_result(const StatusResult& r);
Bytes encode_result(const std::vector<PeerInfo>& peers);
Bytes encode_result(const std::vector<TrustEntry>& trust);
Bytes encode_result(const IdResult& r);
Bytes encode_result(const SendResult& r);
// {}: trust.remove, expose, unexpose, subscribe.
Bytes encode_empty_result();

Result<HelloResult> decode_hello_result(ByteView result);
Result<IdentityResult> decode_identity_result(ByteView result);
Result<StatusResult> decode_status_result(ByteView result);
Result<std::vector<PeerInfo>> decode_peers_result(ByteView result);
Result<std::vector<TrustEntry>> decode_trust_list_result(ByteView result);
// trust.add and connect; `method` names the context in errors.
Result<IdResult> decode_id_result(ByteView result, std::string_view method);
Result<SendResult> decode_send_result(ByteView result);
// A map (keys ignored); `method` names the context in errors.
Status decode_empty_result(ByteView result, std::string_view method);

}  // namespace peernet::control
