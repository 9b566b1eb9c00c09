// CPACE-RISTR255-SHA512 on libsodium; the construction and the reasons for
// its inputs are at the top of proto/pairing/cpace.hpp.
//
// Some values derived from the code are as secret as the code itself: the
// generator string, its hash and the generator g each let an attacker test
// guesses offline, and so does K. Each is wiped as soon as it has been used,
// on the error paths too.
#include "proto/pairing/cpace.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>

namespace peernet::pairing {
namespace {

static_assert(kPointLen == crypto_core_ristretto255_BYTES);
static_assert(kScalarLen == crypto_core_ristretto255_SCALARBYTES);
static_assert(kHashLen == crypto_hash_sha512_BYTES);
static_assert(kHashLen == crypto_core_ristretto255_HASHBYTES);

// libsodium asks for sodium_init() before any other call. It is idempotent
// and thread-safe; the function-local static runs it once per process. It
// also readies libsodium's own random generator from the kernel, which
// nothing here draws from: randomness comes through Rng, as everywhere in
// proto/. The hashing functions below need no initialisation.
Status ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) return make_error(Errc::internal, "libsodium failed to initialise");
  return {};
}

void append_lv(Bytes& out, ByteView data) {
  // LEB128: seven bits per byte, least significant first, the high bit set
  // on every byte but the last.
  size_t n = data.size();
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    if (n != 0) b |= 0x80;
    out.push_back(b);
  } while (n != 0);
  out.insert(out.end(), data.begin(), data.end());
}

size_t lv_size(ByteView data) {
  size_t len = 1;
  for (size_t n = data.size() >> 7; n != 0; n >>= 7) ++len;
  return len + data.size();
}

void wipe(Bytes& b) {
  secure_wipe(b);
  b.clear();
}

// y reduced modulo the group order, so that every 32-byte value means what
// it says (libsodium's scalar multiplication would otherwise drop bit 255).
// The caller wipes the result.
std::array<uint8_t, kScalarLen> reduced(const Scalar& y) {
  std::array<uint8_t, crypto_core_ristretto255_NONREDUCEDSCALARBYTES> wide{};
  std::copy(y.bytes.begin(), y.bytes.end(), wide.begin());
  std::array<uint8_t, kScalarLen> out{};
  crypto_core_ristretto255_scalar_reduce(out.data(), wide.data());
  sodium_memzero(wide.data(), wide.size());
  return out;
}

// y * x for an encoding x already known to decode. Errc::bad_key when the
// result is the identity: y is zero modulo the order, or x is the identity.
Result<Point> multiply(const Scalar& y, const uint8_t* x) {
  auto r = reduced(y);
  Point out{};
  int rc = crypto_scalarmult_ristretto255(out.data(), r.data(), x);
  sodium_memzero(r.data(), r.size());
  if (rc != 0) {
    // libsodium fails exactly when the product is the identity; the output
    // then holds its encoding, which carries no secret.
    return make_error(Errc::bad_key, "ristretto255: the product is the identity element");
  }
  return out;
}

}  // namespace

Result<Scalar> Scalar::from(ByteView b) {
  if (b.size() != kScalarLen)
    return make_error(Errc::bad_key, "a ristretto255 scalar is " + std::to_string(kScalarLen) +
                                         " bytes, not " + std::to_string(b.size()));
  Scalar s;
  std::copy(b.begin(), b.end(), s.bytes.begin());
  return s;
}

Bytes prepend_len(ByteView data) {
  Bytes out;
  out.reserve(lv_size(data));
  append_lv(out, data);
  return out;
}

Bytes lv_cat(std::initializer_list<ByteView> parts) {
  size_t total = 0;
  for (ByteView p : parts) total += lv_size(p);
  Bytes out;
  out.reserve(total);
  for (ByteView p : parts) append_lv(out, p);
  return out;
}

bool lexicographically_larger(ByteView a, ByteView b) {
  size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (a[i] != b[i]) return a[i] > b[i];
  }
  return a.size() > b.size();
}

Bytes o_cat(ByteView a, ByteView b) {
  Bytes out{'o', 'c'};
  out.reserve(2 + a.size() + b.size());
  bool a_first = lexicographically_larger(a, b);
  ByteView first = a_first ? a : b, second = a_first ? b : a;
  out.insert(out.end(), first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

Bytes transcript_ir(ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
  return lv_cat({ya, ada, yb, adb});
}

Bytes transcript_oc(ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
  return o_cat(lv_cat({ya, ada}), lv_cat({yb, adb}));
}

Bytes generator_string(ByteView dsi, ByteView prs, ByteView ci, ByteView sid,
                       size_t s_in_bytes) {
  // The padding makes DSI, PRS and the zeros fill the hash's first block
  // (the 1 is the zero field's own length byte, assumed to be one byte).
  size_t used = 1 + lv_size(prs) + lv_size(dsi);
  size_t zpad = s_in_bytes > used ? s_in_bytes - used : 0;
  Bytes zeros(zpad, 0);
  return lv_cat({dsi, prs, zeros, ci, sid});
}

Result<Point> calculate_generator(ByteView prs, ByteView ci, ByteView sid) {
  PEERNET_TRY_VOID(ensure_sodium());
  Bytes gen_str = generator_string(as_bytes(kDsi), prs, ci, sid, kHashBlockLen);
  // SHA-512 gives exactly the 2 * field_size_bytes = 64 bytes that the
  // element derivation takes (§8.3).
  Digest h{};
  crypto_hash_sha512(h.data(), gen_str.data(), gen_str.size());
  wipe(gen_str);
  Point g{};
  crypto_core_ristretto255_from_hash(g.data(), h.data());
  sodium_memzero(h.data(), h.size());
  return g;
}

Scalar sample_scalar(Rng& rng) {
  Scalar y;
  do {
    rng.fill(y.bytes);
    // group_size_bits is 252: clear the top four bits, so y < 2^252 < order.
    y.bytes[kScalarLen - 1] &= 0x0f;
  } while (sodium_is_zero(y.bytes.data(), y.bytes.size()));
  return y;
}

Result<Point> scalar_mult(const Scalar& y, const Point& g) {
  PEERNET_TRY_VOID(ensure_sodium());
  if (crypto_core_ristretto255_is_valid_point(g.data()) != 1)
    return make_error(Errc::bad_key, "the generator is not a valid ristretto255 encoding");
  return multiply(y, g.data());
}

Result<Point> scalar_mult_vfy(const Scalar& y, ByteView x) {
  PEERNET_TRY_VOID(ensure_sodium());
  if (x.size() != kPointLen)
    return make_error(Errc::bad_key, "a ristretto255 element is " + std::to_string(kPointLen) +
                                         " bytes, not " + std::to_string(x.size()));
  // RFC 9496 decoding fails for any value >= p = 2^255 - 19, so for every
  // string with bit 255 set. libsodium 1.0.18 ignores that bit, which would
  // let one element be sent in two encodings; it is checked here.
  if (x[kPointLen - 1] & 0x80)
    return make_error(Errc::bad_key, "not a canonical ristretto255 encoding (bit 255 set)");
  // libsodium's decoding rejects the other non-canonical field elements,
  // negative ones and those that encode no element; the identity decodes
  // and is caught by multiply().
  if (crypto_core_ristretto255_is_valid_point(x.data()) != 1)
    return make_error(Errc::bad_key, "not a valid ristretto255 encoding");
  return multiply(y, x.data());
}

Isk derive_isk(ByteView sid, const Point& k, ByteView transcript) {
  Bytes prefix = lv_cat({as_bytes(kDsiIsk), sid, k});
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, prefix.data(), prefix.size());
  crypto_hash_sha512_update(&st, transcript.data(), transcript.size());
  Isk isk;
  crypto_hash_sha512_final(&st, isk.bytes.data());
  sodium_memzero(&st, sizeof st);
  wipe(prefix);
  return isk;
}

Digest sid_output(ByteView transcript) {
  static constexpr std::string_view kLabel = "CPaceSidOutput";
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, as_bytes(kLabel).data(), kLabel.size());
  crypto_hash_sha512_update(&st, transcript.data(), transcript.size());
  Digest out{};
  crypto_hash_sha512_final(&st, out.data());
  return out;
}

Result<CpaceStart> Cpace::start(Role role, ByteView prs, ByteView ci, ByteView sid, ByteView ad,
                                Rng& rng) {
  Scalar y = sample_scalar(rng);
  return start_with_scalar(role, prs, ci, sid, ad, y);
}

Result<CpaceStart> Cpace::start_with_scalar(Role role, ByteView prs, ByteView ci, ByteView sid,
                                            ByteView ad, const Scalar& y) {
  PEERNET_TRY(Point g, calculate_generator(prs, ci, sid));
  auto own = scalar_mult(y, g);
  sodium_memzero(g.data(), g.size());
  if (!own.ok()) return std::move(own).error();

  Cpace state;
  state.role_ = role;
  state.y_ = y;
  state.own_ = *own;
  state.ad_.assign(ad.begin(), ad.end());
  state.sid_.assign(sid.begin(), sid.end());
  Point message = state.own_;
  return CpaceStart{std::move(state), message};
}

Result<Isk> Cpace::finish(ByteView peer_message, ByteView peer_ad) {
  if (finished_) return make_error(Errc::invalid_state, "this CPace run is already finished");
  // One attempt per run: whatever the outcome, the scalar is gone after it.
  finished_ = true;
  auto k = scalar_mult_vfy(y_, peer_message);
  secure_wipe(y_.bytes);
  if (!k.ok()) return std::move(k).error();

  Bytes transcript = role_ == Role::initiator
                         ? transcript_ir(own_, ad_, peer_message, peer_ad)
                         : transcript_ir(peer_message, peer_ad, own_, ad_);
  Isk isk = derive_isk(sid_, *k, transcript);
  secure_wipe(*k);
  return isk;
}

Cpace::Cpace(Cpace&& other) noexcept
    : role_(other.role_),
      y_(other.y_),
      own_(other.own_),
      ad_(std::move(other.ad_)),
      sid_(std::move(other.sid_)),
      finished_(other.finished_) {
  secure_wipe(other.y_.bytes);
  other.finished_ = true;
}

Cpace& Cpace::operator=(Cpace&& other) noexcept {
  if (this != &other) {
    role_ = other.role_;
    y_ = other.y_;
    own_ = other.own_;
    ad_ = std::move(other.ad_);
    sid_ = std::move(other.sid_);
    finished_ = other.finished_;
    secure_wipe(other.y_.bytes);
    other.finished_ = true;
  }
  return *this;
}

}  // namespace peernet::pairing
