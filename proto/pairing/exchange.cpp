#include "proto/pairing/exchange.hpp"

#include <openssl/crypto.h>

#include "proto/noise/crypto.hpp"

namespace peernet::pairing {
namespace {

constexpr std::string_view kChannelLabel = "peernet/1 pair";
constexpr std::string_view kJoinerAd = "joiner";
constexpr std::string_view kHostAd = "host";
constexpr std::string_view kJoinerConfirm = "peernet pair joiner";
constexpr std::string_view kHostConfirm = "peernet pair host";

ByteView view_of(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Result<Bytes> confirmation(const Isk& isk, std::string_view label) {
  PEERNET_TRY(noise::Digest tag, noise::hmac_hash(isk.view(), view_of(label)));
  return Bytes(tag.begin(), tag.end());
}

// Constant time, so that a guesser cannot learn from timing how many bytes
// of a confirmation matched.
bool same_tag(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string sanitize_peer_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    out += c;
  }
  if (out.size() <= kMaxPairName) return out;
  size_t cut = kMaxPairName;
  // Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
  out.resize(cut);
  return out;
}

Result<Exchange> Exchange::start(const ExchangeParams& p, Rng& rng, Pair& first) {
  Bytes ci(kChannelLabel.begin(), kChannelLabel.end());
  ci.insert(ci.end(), p.joiner.bytes.begin(), p.joiner.bytes.end());
  ci.insert(ci.end(), p.host.bytes.begin(), p.host.bytes.end());
  bool joiner = p.side == Side::joiner;
  PEERNET_TRY(CpaceStart s, Cpace::start(joiner ? Role::initiator : Role::responder, view_of(p.code), ci,
                                         p.handshake_hash, view_of(joiner ? kJoinerAd : kHostAd), rng));
  first = Pair{static_cast<uint8_t>(joiner ? 1 : 2), Bytes(s.message.begin(), s.message.end()), {}};
  return Exchange(p.side, std::move(s.state), sanitize_peer_name(p.own_name));
}

Result<StepOutput> Exchange::fail(Error e) {
  state_ = State::failed;
  return e;
}

Result<StepOutput> Exchange::on_message(const Pair& m) {
  const bool joiner = side_ == Side::joiner;
  const uint8_t their_element = joiner ? 2 : 1;
  const uint8_t their_confirm = joiner ? 4 : 3;
  switch (state_) {
    case State::awaiting_element: {
      if (m.step != their_element)
        return fail(make_error(Errc::protocol_error, "pair: expected step " + std::to_string(their_element) +
                                                         ", got " + std::to_string(m.step)));
      auto isk = cpace_.finish(m.data, view_of(joiner ? kHostAd : kJoinerAd));
      if (!isk) return fail(std::move(isk).error());
      isk_ = *isk;
      state_ = State::awaiting_confirmation;
      StepOutput out;
      if (joiner) {
        PEERNET_TRY(Bytes tag, confirmation(isk_, kJoinerConfirm));
        out.send = Pair{3, std::move(tag), own_name_};
      }
      return out;
    }
    case State::awaiting_confirmation: {
      if (m.step != their_confirm)
        return fail(make_error(Errc::protocol_error, "pair: expected step " + std::to_string(their_confirm) +
                                                         ", got " + std::to_string(m.step)));
      if (auto st = validate(Envelope(m)); !st)
        return fail(make_error(Errc::protocol_error, st.error().message));
      PEERNET_TRY(Bytes expected, confirmation(isk_, joiner ? kHostConfirm : kJoinerConfirm));
      if (!same_tag(expected, m.data))
        return fail(make_error(Errc::pairing_failed, "the other side does not know the pairing code"));
      state_ = State::done;
      StepOutput out;
      out.paired_with = m.name;
      if (!joiner) {
        PEERNET_TRY(Bytes tag, confirmation(isk_, kHostConfirm));
        out.send = Pair{4, std::move(tag), own_name_};
      }
      return out;
    }
    case State::done:
    case State::failed:
      break;
  }
  return make_error(Errc::invalid_state, "pair: the exchange is over");
}

}  // namespace peernet::pairing
