// The control methods of pairing by code (guides/protocol.md §10,
// guides/control-api.md "pair.open", "pair.wait", "pair.join"):
//
//   pair.open  (admin)  opens a pairing window on this box and returns its
//                       code; the window belongs to the connection that
//                       opened it and closes with it
//   pair.wait  (admin)  answers once that connection's window ends: the
//                       peer that paired, or `timeout` (the window closed
//                       with nobody paired), or `pairing_failed` (too many
//                       failed attempts closed it)
//   pair.join  (admin)  finds the box whose window has the code's
//                       nameplate (on the LAN, or at `addr`), pairs with it
//                       and answers with that peer; `pairing_failed` for a
//                       wrong code, `no_such_peer` when no such box was found
//
// Both sides trust each other afterwards and dial as for any trusted peer.
#pragma once

#include <optional>
#include <string>
#include <tuple>

#include "proto/control/daemon_methods.hpp"
#include "proto/control/methods.hpp"
#include "proto/control/schema.hpp"
#include "proto/keys.hpp"

namespace peernet::control {

namespace method {
struct PairOpen;
struct PairWait;
struct PairJoin;
}  // namespace method

inline constexpr double kMaxPairWindow = 3600;  // seconds
inline constexpr size_t kMaxPairCode = 64;      // what a person may type, spaces included

struct PairOpenParams {
  using Method = method::PairOpen;
  std::optional<double> window;     // seconds the window stays open; nullopt: pairing.window
  std::optional<std::string> name;  // the alias to give the peer; nullopt: its host name
  static constexpr auto kFields = std::tuple{
      field("window", &PairOpenParams::window, omitted(Number{})),
      field("name", &PairOpenParams::name, omitted(Str{kMaxAlias})),
  };
  // 0 < window <= kMaxPairWindow (methods.cpp).
  static Status check(const PairOpenParams& p, const Fields& f);
  friend bool operator==(const PairOpenParams&, const PairOpenParams&) = default;
};

struct PairOpenResult {
  std::string code;          // "417-k7hx2": what the other box types
  double expires_in_s = 0;   // how long the window stays open
  uint64_t attempts = 0;     // failed attempts that close the window
  static constexpr auto kFields = std::tuple{
      field("code", &PairOpenResult::code, Str{kMaxPairCode}),
      field("expires_in_s", &PairOpenResult::expires_in_s, Number{}),
      field("attempts", &PairOpenResult::attempts, Uint{}),
  };
  friend bool operator==(const PairOpenResult&, const PairOpenResult&) = default;
};

struct PairWaitParams {
  using Method = method::PairWait;
  static constexpr auto kFields = std::tuple{};
  friend bool operator==(const PairWaitParams&, const PairWaitParams&) = default;
};

struct PairJoinParams {
  using Method = method::PairJoin;
  std::string code;                 // as the person typed it
  std::optional<std::string> addr;  // "host:port" of the other box; nullopt: find it on the LAN
  std::optional<std::string> name;  // the alias to give the peer; nullopt: its host name
  static constexpr auto kFields = std::tuple{
      field("code", &PairJoinParams::code, Str{kMaxPairCode}),
      field("addr", &PairJoinParams::addr, omitted(Str{kMaxAddress})),
      field("name", &PairJoinParams::name, omitted(Str{kMaxAlias})),
  };
  friend bool operator==(const PairJoinParams&, const PairJoinParams&) = default;
};

// The peer that paired: now on the trust list under `name`.
struct PairedResult {
  PublicKey id;
  std::string name;         // its alias here
  std::string fingerprint;  // proto/peer_id.hpp fingerprint(), to compare on both screens
  static constexpr auto kFields = std::tuple{
      field("id", &PairedResult::id, PeerIdText{}),
      field("name", &PairedResult::name, Str{kMaxResultString}),
      field("fingerprint", &PairedResult::fingerprint, Str{kMaxResultString}),
  };
  friend bool operator==(const PairedResult&, const PairedResult&) = default;
};

namespace method {
struct PairOpen : AdminRequest<PairOpenParams, PairOpenResult> {
  static constexpr std::string_view kName = "pair.open";
  static constexpr std::string_view kHelp =
      "open a pairing window on this box and get the code to type on the other";
};
struct PairWait : AdminRequest<PairWaitParams, PairedResult> {
  static constexpr std::string_view kName = "pair.wait";
  static constexpr std::string_view kHelp =
      "wait until this connection's pairing window ends; the peer that paired";
};
struct PairJoin : AdminRequest<PairJoinParams, PairedResult> {
  static constexpr std::string_view kName = "pair.join";
  static constexpr std::string_view kHelp =
      "pair with the box whose pairing window shows this code";
};
}  // namespace method

using PairMethods = std::tuple<method::PairOpen, method::PairWait, method::PairJoin>;

}  // namespace peernet::control
