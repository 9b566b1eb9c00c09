#include "store/identity_file.hpp"

#include "store/secret_file.hpp"

namespace peernet {
namespace {

Result<KeyPair> decode_file(const std::string& path, ByteView raw) {
  auto kp = decode_identity_file(as_chars(raw));
  if (!kp.ok()) return make_error(Errc::bad_key, path + ": " + kp.error().message);
  return kp;
}

}  // namespace

Result<KeyPair> load_identity(const std::string& path) {
  PEERNET_TRY(Bytes raw, read_secret_file(path));
  auto kp = decode_file(path, raw);
  secure_wipe(raw);
  return kp;
}

Result<KeyPair> load_or_create_identity(const std::string& path, Rng& rng, bool* created) {
  if (created) *created = false;
  bool missing = false;
  auto raw = read_secret_file(path, &missing);
  if (raw.ok()) {
    auto kp = decode_file(path, *raw);
    secure_wipe(*raw);
    return kp;
  }
  if (!missing) return std::move(raw).error();

  // Two daemons creating the same identity at once would each rename its
  // own file into place; guarding the state directory against a second
  // daemon is the daemon's job (one daemon per state directory).
  KeyPair kp = generate_keypair(rng);
  std::string text = encode_identity_file(kp);
  Status st = write_file_atomic(path, as_bytes(text), 0600);
  secure_wipe(text);
  if (!st.ok())
    return make_error(st.error().code, "creating a new identity failed: " + st.error().message);
  if (created) *created = true;
  return kp;
}

}  // namespace peernet
