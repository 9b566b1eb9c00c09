// CPace, the balanced PAKE of the CFRG draft draft-irtf-cfrg-cpace (revision
// 21), in its cipher suite CPACE-RISTR255-SHA512: the group ristretto255
// (libsodium) and SHA-512 as H. Section numbers below are the draft's.
//
// Two parties who share a short code typed by a person (PRS) each send one
// group element and derive the same intermediate session key ISK if and only
// if they used the same PRS, CI and sid and saw the same two messages. An
// eavesdropper learns nothing that lets it test codes offline, and an active
// attacker tests exactly one code per run it takes part in.
//
// The construction, with || for concatenation and lv_cat() the
// length-prefixed concatenation of §6.3 (each part preceded by its length
// in LEB128):
//
//   gen_str = lv_cat("CPaceRistretto255", PRS, zero_bytes(len_zpad), CI, sid)
//   g       = element_derivation(SHA-512(gen_str))            (§8.1, §8.3)
//   ya      = sample_scalar()           Ya = ya * g     A -> B: Ya, ADa
//   yb      = sample_scalar()           Yb = yb * g     B -> A: Yb, ADb
//   K       = scalar_mult_vfy(ya, Yb) = scalar_mult_vfy(yb, Ya) = ya*yb*g
//   ISK     = SHA-512(lv_cat("CPaceRistretto255_ISK", sid, K)
//                     || lv_cat(Ya, ADa) || lv_cat(Yb, ADb))     (§7.2, §6.3)
//
// Why each input is there:
//  - PRS, the code, is hashed into the generator, so each side's message is a
//    random-looking element whose discrete logarithm to the other side's
//    generator is unknown unless the codes match. It is padded with zeros to
//    fill SHA-512's first 128-byte block, so for any code shorter than that
//    the hashing work does not depend on the code's length.
//  - CI, the channel identifier, is context both parties must agree on and
//    that never goes on the wire, so it may be confidential (for instance
//    both identities, initiator first).
//  - sid, the session identifier, makes the generator unique to one session,
//    so a guess made in one session is useless in any other. peernetd will
//    pass the handshake hash of the Noise XX session that carries the
//    exchange: it commits to both static keys, so a matching code then
//    authenticates the two keys of that very session.
//  - ADa / ADb, associated data, travel in clear next to Ya / Yb and are
//    authenticated by the ISK: it matches only if both saw the same ones.
//  - The initiator-responder transcript (Ya's message first) is used because
//    the Noise session already fixes who is initiator, and §10.1 prefers this
//    mode when the associated data are not unique.
//  - K itself is never exposed by the two-party API (§10.3): a leaked K
//    would allow an offline search for the code.
//
// Errors: a peer element that is not exactly 32 bytes, is not a canonical
// ristretto255 encoding, or makes the shared point the identity (G.I, which
// the draft's scalar_mult_vfy returns and the caller must abort on) is
// refused with Errc::bad_key. Errc::invalid_state is a misuse of the state
// (finishing twice); Errc::internal means libsodium could not start.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "proto/bytes.hpp"
#include "proto/result.hpp"
#include "proto/rng.hpp"

namespace peernet::pairing {

inline constexpr size_t kPointLen = 32;    // an encoded ristretto255 element
inline constexpr size_t kScalarLen = 32;   // a little-endian scalar
inline constexpr size_t kHashLen = 64;     // SHA-512
inline constexpr size_t kHashBlockLen = 128;  // SHA-512's s_in_bytes (§6.2)
inline constexpr std::string_view kDsi = "CPaceRistretto255";          // §8.3
inline constexpr std::string_view kDsiIsk = "CPaceRistretto255_ISK";   // §7.2

using Point = std::array<uint8_t, kPointLen>;
using Digest = std::array<uint8_t, kHashLen>;

// A secret scalar. It wipes itself when destroyed, and every copy does too.
struct Scalar {
  std::array<uint8_t, kScalarLen> bytes{};

  Scalar() = default;
  Scalar(const Scalar&) = default;
  Scalar& operator=(const Scalar&) = default;
  ~Scalar() { secure_wipe(bytes); }
  // Exactly 32 little-endian bytes (Errc::bad_key otherwise); any value is
  // accepted and used modulo the group order.
  static Result<Scalar> from(ByteView b);
};

// The intermediate session key: 64 bytes, wiped when destroyed. Callers run
// it through a KDF before use (§10.3).
struct Isk {
  std::array<uint8_t, kHashLen> bytes{};

  Isk() = default;
  Isk(const Isk&) = default;
  Isk& operator=(const Isk&) = default;
  ~Isk() { secure_wipe(bytes); }
  ByteView view() const { return bytes; }
};

// ---- The draft's functions, one for one (public for the test vectors) ----

// data preceded by its length in LEB128 (§6.3, appendix A.1.1).
Bytes prepend_len(ByteView data);
// prepend_len(a0) || prepend_len(a1) || ... (appendix A.1.3).
Bytes lv_cat(std::initializer_list<ByteView> parts);
// Lexicographic order of appendix A.3.1: true if a > b (a proper prefix is
// the smaller).
bool lexicographically_larger(ByteView a, ByteView b);
// "oc" || larger || smaller (appendix A.3.2).
Bytes o_cat(ByteView a, ByteView b);
// lv_cat(Ya, ADa) || lv_cat(Yb, ADb), the initiator-responder transcript.
Bytes transcript_ir(ByteView ya, ByteView ada, ByteView yb, ByteView adb);
// o_cat(lv_cat(Ya, ADa), lv_cat(Yb, ADb)), the symmetric one (not used by
// the two-party API, here for completeness of the vectors).
Bytes transcript_oc(ByteView ya, ByteView ada, ByteView yb, ByteView adb);

// lv_cat(dsi, prs, zero_bytes(len_zpad), ci, sid) with
// len_zpad = max(0, s_in_bytes - 1 - len(prepend_len(prs))
//                   - len(prepend_len(dsi)))       (§8.1, appendix A.2).
// The result contains the code: the caller wipes it.
Bytes generator_string(ByteView dsi, ByteView prs, ByteView ci, ByteView sid,
                       size_t s_in_bytes);

// The encoded generator g: ristretto255's element derivation (RFC 9496's
// one-way map) of SHA-512(generator_string(kDsi, prs, ci, sid, 128)).
// Errc::internal only if libsodium cannot start.
Result<Point> calculate_generator(ByteView prs, ByteView ci, ByteView sid);

// 32 random bytes from rng with the bits above the 252nd cleared (§8.3),
// drawn again in the negligible case that they are all zero.
Scalar sample_scalar(Rng& rng);

// encode(y * g) for a generator this side derived itself. Errc::bad_key if
// g does not decode or y is zero modulo the group order.
Result<Point> scalar_mult(const Scalar& y, const Point& g);

// encode(y * decode(x)) for an element received from the peer (§8.3).
// Where the draft returns G.I this returns Errc::bad_key: x is not 32 bytes,
// does not decode under RFC 9496 (a value >= p, bit 255 included, a
// negative field element, or no element at all), or the result is the
// identity (x is the identity's encoding, all zeros).
Result<Point> scalar_mult_vfy(const Scalar& y, ByteView x);

// SHA-512(lv_cat(kDsiIsk, sid, k) || transcript) (§7.2).
Isk derive_isk(ByteView sid, const Point& k, ByteView transcript);

// SHA-512("CPaceSidOutput" || transcript), a public session identifier for
// runs without a sid (§10.6).
Digest sid_output(ByteView transcript);

// ---- Two parties ----

// The initiator is party A of the draft (its message comes first in the
// transcript), the responder is party B.
enum class Role : uint8_t { initiator, responder };

struct CpaceStart;

// One side of one run. start() computes this side's message; finish() takes
// the peer's and yields the ISK. The state holds the secret scalar until
// finish() (or destruction) wipes it; a run is finished once, successfully
// or not, because a run that met an invalid element must abort (§7.2).
class Cpace {
 public:
  // Begin a run: this side's element Y (to send with `ad`) and its state.
  // prs, ci and sid must be the same on both sides.
  static Result<CpaceStart> start(Role role, ByteView prs, ByteView ci, ByteView sid,
                                  ByteView ad, Rng& rng);
  // The same with a given scalar instead of a random one (test vectors).
  static Result<CpaceStart> start_with_scalar(Role role, ByteView prs, ByteView ci,
                                              ByteView sid, ByteView ad, const Scalar& y);

  // The ISK from the peer's element and associated data. Errc::bad_key for
  // an invalid element (see the top of this file), Errc::invalid_state on a
  // second call.
  Result<Isk> finish(ByteView peer_message, ByteView peer_ad);

  // Move-only: a copy would let one scalar answer two peers (§10.9). A
  // moved-from state holds no scalar and counts as finished.
  Cpace(Cpace&& other) noexcept;
  Cpace& operator=(Cpace&& other) noexcept;
  Cpace(const Cpace&) = delete;
  Cpace& operator=(const Cpace&) = delete;
  ~Cpace() = default;

  Role role() const { return role_; }
  const Point& message() const { return own_; }
  bool finished() const { return finished_; }

 private:
  Cpace() = default;

  Role role_ = Role::initiator;
  Scalar y_;
  Point own_{};
  Bytes ad_;
  Bytes sid_;
  bool finished_ = false;
};

struct CpaceStart {
  Cpace state;
  Point message;  // this side's Y, sent with its associated data
};

}  // namespace peernet::pairing
