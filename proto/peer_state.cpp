#include "proto/peer_state.hpp"

namespace peernet {
namespace {

struct ReasonText {
  std::string_view reason;
  std::string_view message;
};

constexpr std::array<ReasonText, 6> kDownMessages = {{
    {kReasonTimeout, "nothing received from the peer in time"},
    {kReasonShutdown, "the peer is shutting down"},
    {kReasonUntrusted, "the peer is not trusted (any more)"},
    {kReasonDuplicate, "the session was replaced by another"},
    {kReasonClosed, "the connection closed"},
    {kReasonNetworkChanged, "the local address of the session went away"},
}};

template <class E, size_t N>
std::optional<E> find_name(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

std::optional<PeerState> peer_state_from_string(std::string_view name) {
  return find_name<PeerState>(kPeerStateNames, name);
}

std::optional<PeerEventKind> peer_event_from_string(std::string_view name) {
  return find_name<PeerEventKind>(kPeerEventNames, name);
}

std::string down_message(std::string_view reason) {
  for (const auto& r : kDownMessages)
    if (r.reason == reason) return std::string(r.message);
  return "the session closed: " + std::string(reason);
}

}  // namespace peernet
