#include "proto/noise/handshake_state.hpp"

#include <cstring>
#include <utility>

namespace peernet::noise {

// Everything a handshake message changes. A message is processed on a copy,
// which replaces the live state only when the whole message succeeded; that
// is how a tampered message leaves the handshake exactly as it was.
struct HandshakeState::Progress {
  SymmetricState ss;
  std::optional<KeyPair> e;
  std::optional<PublicKey> rs;
  std::optional<PublicKey> re;
  size_t index;
  size_t next_psk;
};

namespace {

// Which keys the pattern needs from the configuration, for one side.
struct KeyNeeds {
  bool local_static = false;
  bool local_ephemeral = false;   // pre-message "e" of this side
  bool remote_static = false;     // pre-message "s" of the peer
  bool remote_ephemeral = false;  // pre-message "e" of the peer
};

KeyNeeds key_needs(const HandshakePattern& p, bool initiator) {
  KeyNeeds needs;
  const auto& local_pre = initiator ? p.initiator_premessage : p.responder_premessage;
  const auto& remote_pre = initiator ? p.responder_premessage : p.initiator_premessage;
  for (Token t : local_pre) (t == Token::s ? needs.local_static : needs.local_ephemeral) = true;
  for (Token t : remote_pre) (t == Token::s ? needs.remote_static : needs.remote_ephemeral) = true;
  for (size_t i = 0; i < p.messages.size(); ++i) {
    bool local_writes = p.initiator_sends(i) == initiator;
    for (Token t : p.messages[i]) {
      // Tokens that use this side's s (§5.3): sending it, "ss", and the DH
      // whose letter for this side is "s" ("es" is (e, s) from the
      // initiator's view, so the responder uses its s; "se" the reverse).
      if ((t == Token::s && local_writes) || t == Token::ss ||
          (t == Token::es && !initiator) || (t == Token::se && initiator))
        needs.local_static = true;
    }
  }
  return needs;
}

}  // namespace

Result<HandshakeState> HandshakeState::create(const HandshakeConfig& config, Rng& rng) {
  PEERNET_TRY(HandshakePattern pattern, parse_protocol_name(config.protocol_name));
  const std::string& name = config.protocol_name;

  KeyNeeds needs = key_needs(pattern, config.initiator);
  if (needs.local_static && !config.local_static)
    return make_error(Errc::bad_key, name + " needs a local static key");
  if (needs.local_ephemeral && !config.local_ephemeral)
    return make_error(Errc::bad_key, name + " needs the local ephemeral key of its pre-message");
  if (needs.remote_static && !config.remote_static)
    return make_error(Errc::bad_key, name + " needs the remote static key in advance");
  if (needs.remote_ephemeral && !config.remote_ephemeral)
    return make_error(Errc::bad_key, name + " needs the remote ephemeral key in advance");
  // A remote key the pattern does not pre-share would either be ignored or
  // silently replaced by the one on the wire; both hide a caller's mistake.
  if (!needs.remote_static && config.remote_static)
    return make_error(Errc::bad_request, name + " has no pre-shared remote static key");
  if (!needs.remote_ephemeral && config.remote_ephemeral)
    return make_error(Errc::bad_request, name + " has no pre-shared remote ephemeral key");
  if (config.psks.size() != pattern.psk_count())
    return make_error(Errc::bad_request, name + " takes " + std::to_string(pattern.psk_count()) +
                                             " psks, got " + std::to_string(config.psks.size()));
  for (const Bytes& psk : config.psks)
    if (psk.size() != kPskLen)
      return make_error(Errc::bad_key, "a psk is 32 bytes, got " + std::to_string(psk.size()));

  PEERNET_TRY(SymmetricState ss, SymmetricState::initialize(name));
  HandshakeState hs(std::move(ss), std::move(pattern), config, rng);

  // §5.3 Initialize(): MixHash(prologue), then one MixHash per pre-message
  // public key, the initiator's first (§7.1).
  PEERNET_TRY_VOID(hs.ss_.mix_hash(config.prologue));
  for (bool initiators : {true, false}) {
    bool local = initiators == hs.initiator_;
    const auto& tokens =
        initiators ? hs.pattern_.initiator_premessage : hs.pattern_.responder_premessage;
    for (Token t : tokens) {
      const PublicKey& key = t == Token::s ? (local ? hs.s_->pub : *hs.rs_)
                                           : (local ? hs.e_->pub : *hs.re_);
      PEERNET_TRY_VOID(hs.ss_.mix_hash(key.view()));
      // §9.2: in a psk handshake every "e" is also mixed into the key.
      if (t == Token::e && hs.pattern_.has_psk()) PEERNET_TRY_VOID(hs.ss_.mix_key(key.view()));
    }
  }
  return hs;
}

HandshakeState::HandshakeState(SymmetricState ss, HandshakePattern pattern,
                               const HandshakeConfig& config, Rng& rng)
    : protocol_name_(config.protocol_name),
      pattern_(std::move(pattern)),
      initiator_(config.initiator),
      s_(config.local_static),
      rng_(&rng),
      ss_(std::move(ss)),
      e_(config.local_ephemeral),
      rs_(config.remote_static),
      re_(config.remote_ephemeral) {
  psks_.resize(config.psks.size());
  for (size_t i = 0; i < psks_.size(); ++i)
    std::memcpy(psks_[i].bytes.data(), config.psks[i].data(), kPskLen);
}

HandshakeState::HandshakeState(HandshakeState&&) noexcept = default;
HandshakeState& HandshakeState::operator=(HandshakeState&&) noexcept = default;

HandshakeState::~HandshakeState() = default;

Result<HandshakeState::Progress> HandshakeState::begin() const {
  PEERNET_TRY(SymmetricState ss, ss_.clone());
  return Progress{std::move(ss), e_, rs_, re_, index_, next_psk_};
}

void HandshakeState::commit(Progress&& next) {
  ss_ = std::move(next.ss);
  e_ = std::move(next.e);
  rs_ = next.rs;
  re_ = next.re;
  index_ = next.index;
  next_psk_ = next.next_psk;
}

Status HandshakeState::mix_dh(Progress& p, const KeyPair* local,
                              const std::optional<PublicKey>& remote) {
  // The pattern table and create() guarantee both keys; this guards our
  // own bugs without undefined behaviour.
  if (local == nullptr || !remote)
    return make_error(Errc::internal, "a DH token without both keys in " + protocol_name_);
  auto shared = x25519(local->priv, *remote);
  if (!shared.ok()) return std::move(shared).error();
  Status status = p.ss.mix_key(*shared);
  secure_wipe(*shared);
  return status;
}

Status HandshakeState::process_token(Progress& p, Token token, bool writing, Bytes& out,
                                     ByteView& in) {
  const KeyPair* s = s_ ? &*s_ : nullptr;
  switch (token) {
    case Token::e: {
      // Write: e = GENERATE_KEYPAIR() (or the fixed test key), append e.pub.
      // Read: re = the next DHLEN bytes. Both: MixHash(pub), and in a psk
      // handshake also MixKey(pub) (§9.2).
      PublicKey pub;
      if (writing) {
        if (!p.e) p.e = generate_keypair(*rng_);
        pub = p.e->pub;
        out.insert(out.end(), pub.bytes.begin(), pub.bytes.end());
      } else {
        if (in.size() < kDhLen)
          return make_error(Errc::protocol_error, "handshake message too short for an ephemeral key");
        std::memcpy(pub.bytes.data(), in.data(), kDhLen);
        in = in.subspan(kDhLen);
        p.re = pub;
      }
      PEERNET_TRY_VOID(p.ss.mix_hash(pub.view()));
      if (pattern_.has_psk()) PEERNET_TRY_VOID(p.ss.mix_key(pub.view()));
      return {};
    }
    case Token::s: {
      // Write: EncryptAndHash(s.pub). Read: rs = DecryptAndHash(the next
      // DHLEN + 16 bytes once a key exists, DHLEN before).
      if (writing) {
        if (s == nullptr) return make_error(Errc::internal, "no local static key to send");
        return p.ss.encrypt_and_hash(s->pub.view(), out);
      }
      size_t len = kDhLen + (p.ss.has_key() ? kTagLen : 0);
      if (in.size() < len)
        return make_error(Errc::protocol_error, "handshake message too short for a static key");
      PEERNET_TRY(Bytes rs, p.ss.decrypt_and_hash(in.first(len)));
      in = in.subspan(len);
      PEERNET_TRY(p.rs, PublicKey::from(rs));
      return {};
    }
    // DH tokens name (initiator's key, responder's key); each side maps the
    // letters to its own and the peer's keys (§5.3).
    case Token::ee:
      return mix_dh(p, p.e ? &*p.e : nullptr, p.re);
    case Token::es:
      return initiator_ ? mix_dh(p, p.e ? &*p.e : nullptr, p.rs) : mix_dh(p, s, p.re);
    case Token::se:
      return initiator_ ? mix_dh(p, s, p.re) : mix_dh(p, p.e ? &*p.e : nullptr, p.rs);
    case Token::ss:
      return mix_dh(p, s, p.rs);
    case Token::psk:
      // MixKeyAndHash(psk), with the psks used in token order (§9.2).
      if (p.next_psk >= psks_.size()) return make_error(Errc::internal, "ran out of psks");
      return p.ss.mix_key_and_hash(psks_[p.next_psk++].bytes);
  }
  return make_error(Errc::internal, "unknown handshake token");
}

Result<Bytes> HandshakeState::write_message(ByteView payload) {
  if (consumed_ || is_finished())
    return make_error(Errc::invalid_state, "the handshake is already finished");
  if (!is_my_turn())
    return make_error(Errc::invalid_state, "not our turn: handshake message " +
                                               std::to_string(index_ + 1) + " comes from the peer");
  if (payload.size() > kMaxMessageLen)
    return make_error(Errc::payload_too_large, "a Noise message is at most 65535 bytes");
  PEERNET_TRY(Progress p, begin());
  Bytes out;
  ByteView no_input;
  for (Token t : pattern_.messages[index_])
    PEERNET_TRY_VOID(process_token(p, t, true, out, no_input));
  // Then EncryptAndHash(payload) (§5.3).
  PEERNET_TRY_VOID(p.ss.encrypt_and_hash(payload, out));
  if (out.size() > kMaxMessageLen)
    return make_error(Errc::payload_too_large,
                      "handshake message " + std::to_string(index_ + 1) + " would be " +
                          std::to_string(out.size()) + " bytes; a Noise message is at most 65535");
  ++p.index;
  commit(std::move(p));
  return out;
}

Result<Bytes> HandshakeState::read_message(ByteView message) {
  if (consumed_ || is_finished())
    return make_error(Errc::invalid_state, "the handshake is already finished");
  if (is_my_turn())
    return make_error(Errc::invalid_state, "not the peer's turn: handshake message " +
                                               std::to_string(index_ + 1) + " is ours to write");
  if (message.size() > kMaxMessageLen)
    return make_error(Errc::payload_too_large, "a Noise message is at most 65535 bytes, got " +
                                                   std::to_string(message.size()));
  PEERNET_TRY(Progress p, begin());
  Bytes no_output;
  ByteView in = message;
  for (Token t : pattern_.messages[index_])
    PEERNET_TRY_VOID(process_token(p, t, false, no_output, in));
  // The rest is the payload: DecryptAndHash(rest) (§5.3).
  PEERNET_TRY(Bytes payload, p.ss.decrypt_and_hash(in));
  ++p.index;
  commit(std::move(p));
  return payload;
}

Result<TransportState> HandshakeState::split() && {
  if (consumed_) return make_error(Errc::invalid_state, "the handshake was already split");
  if (!is_finished())
    return make_error(Errc::invalid_state, "split before the handshake is finished (message " +
                                               std::to_string(index_) + " of " +
                                               std::to_string(message_count()) + ")");
  PEERNET_TRY(auto keys, ss_.split());
  auto& [initiator_to_responder, responder_to_initiator] = keys;
  CipherState send, recv;
  if (pattern_.is_one_way()) {
    // One-way patterns (§7.4) use only the first CipherState, for the
    // initiator's messages.
    (initiator_ ? send : recv) = std::move(initiator_to_responder);
  } else if (initiator_) {
    send = std::move(initiator_to_responder);
    recv = std::move(responder_to_initiator);
  } else {
    send = std::move(responder_to_initiator);
    recv = std::move(initiator_to_responder);
  }
  consumed_ = true;
  e_.reset();
  return TransportState(std::move(send), std::move(recv), initiator_, handshake_hash(), rs_);
}

}  // namespace peernet::noise
