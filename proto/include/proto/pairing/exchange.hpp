// The pairing exchange: two boxes that do not trust each other yet prove to
// each other that they know the same short code, inside the Noise session
// they already share, and learn each other's host name.
//
// It runs over a Noise XX session between the two untrusted static keys
// (guides/protocol.md §10). The joiner dialled (Noise initiator), the host
// opened the pairing window (Noise responder). Messages are `pair`
// envelopes, [8, step, data, name]:
//
//   joiner                                         host
//     [8, 1, Ya, ""]            ─────►                       (sent at once)
//                               ◄─────   [8, 2, Yb, ""]      (sent at once)
//     [8, 3, Tj, joiner name]   ─────►                       (after Yb)
//                               ◄─────   [8, 4, Th, host name] (after Tj checks)
//
// Ya and Yb are CPace messages (proto/pairing/cpace.hpp, initiator-responder
// mode) with
//   prs = the code as text ("417-k7hx2": nameplate, '-', secret)
//   CI  = "peernet/1 pair" || joiner static key || host static key
//   sid = the Noise handshake hash of this session
//   ADa = "joiner", ADb = "host"
// so the key both sides derive (ISK) depends on the code, on both static
// keys and on this very session: a man in the middle has two Noise sessions
// with two handshake hashes and cannot make one code fit both. The
// confirmations are
//   Tj = HMAC-SHA-256(ISK, "peernet pair joiner")
//   Th = HMAC-SHA-256(ISK, "peernet pair host")
// The host sends Th only after Tj checked, so a joiner with a wrong code
// learns nothing from the host but "failed". Each side accepts the other's
// key only when the other's confirmation checks.
//
// Sans-IO: the caller carries the envelopes and keeps the deadline.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proto/bytes.hpp"
#include "proto/keys.hpp"
#include "proto/link/envelope.hpp"
#include "proto/pairing/cpace.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet::pairing {

enum class Side : uint8_t { joiner, host };

struct ExchangeParams {
  Side side = Side::joiner;
  std::string code;       // the whole code text, as Code::text() writes it
  ByteView handshake_hash;
  PublicKey joiner;       // the Noise initiator's static key
  PublicKey host;         // the Noise responder's static key
  std::string own_name;   // sent to the other side once the code checked
};

// What a step produced: an envelope to send, and, once the other side is
// proven to know the code, its host name.
struct StepOutput {
  std::optional<Pair> send;
  std::optional<std::string> paired_with;  // set once: the exchange succeeded
};

class Exchange {
 public:
  // Starts the exchange; `first` is this side's CPace message, to send at
  // once (step 1 for the joiner, step 2 for the host).
  static Result<Exchange> start(const ExchangeParams& params, Rng& rng, Pair& first);

  // Handles the other side's next envelope. An error ends the exchange:
  //   Errc::pairing_failed   the other side's confirmation did not check
  //                          (a wrong code, or someone in the middle)
  //   Errc::protocol_error   a step out of order, or a malformed message
  //   Errc::bad_key          an invalid CPace element
  Result<StepOutput> on_message(const Pair& message);

  bool done() const { return state_ == State::done; }
  Side side() const { return side_; }

 private:
  enum class State { awaiting_element, awaiting_confirmation, done, failed };
  Exchange(Side side, Cpace cpace, std::string own_name)
      : side_(side), cpace_(std::move(cpace)), own_name_(std::move(own_name)) {}
  Result<StepOutput> fail(Error e);

  Side side_;
  Cpace cpace_;
  std::string own_name_;
  State state_ = State::awaiting_element;
  Isk isk_;
};

// Cuts a host name to what a `pair` envelope may carry (kMaxPairName bytes,
// at a UTF-8 boundary, control characters removed).
std::string sanitize_peer_name(std::string_view name);

}  // namespace peernet::pairing
