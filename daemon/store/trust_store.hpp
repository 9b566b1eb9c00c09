// The trust list: the peers this daemon talks to. Default-deny: a key that
// is not here gets no session, whatever it knows.
//
// Kept in <state_dir>/trust.toml, mode 0600, written atomically:
//
//   # managed by peernetctl pair/untrust; edits take effect on SIGHUP
//   [[peer]]
//   id = "ABCDEFG-HIJKLMN-…"         # peer id text (proto/peer_id.hpp)
//   name = "laptop"                  # optional alias, unique
//   addrs = ["198.18.0.2:7469"]      # optional static addresses
//
// Peers are named by alias (exact match first), full peer id, or a unique
// prefix of at least 4 characters of the compact id (case and dashes
// ignored).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/endpoint.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet {

struct TrustedPeer {
  PublicKey key;
  std::string name;              // alias; empty when none
  std::vector<Endpoint> addrs;   // static addresses to dial

  friend bool operator==(const TrustedPeer&, const TrustedPeer&) = default;
};

// 1–64 characters of [A-Za-z0-9_.-], not starting with '-' (so an alias
// never looks like a command-line option).
bool is_valid_alias(std::string_view name);

class TrustStore {
 public:
  // Errc::config_error "SOURCE:LINE:COL: <what is wrong>" for bad TOML, an
  // unknown key, a bad id, alias or address, a duplicate id or alias, or
  // the daemon's own key.
  // With `own` (the daemon's key), an entry holding it is an error too.
  static Result<TrustStore> parse(std::string_view text, std::string_view source_name,
                                  const PublicKey* own = nullptr);
  // A missing file is an empty list. Refuses a file others can read or
  // write (Errc::insecure_file), like every state file.
  static Result<TrustStore> load(const std::string& path, const PublicKey* own = nullptr);

  // The file contents, header comment included; parse(serialize()) round-trips.
  std::string serialize() const;
  // write_file_atomic(path, serialize(), 0600).
  Status save(const std::string& path) const;

  const TrustedPeer* find(const PublicKey& key) const;
  // By alias, full peer id (which need not be trusted: the caller decides),
  // or unique prefix. Errc::no_such_peer, Errc::ambiguous_peer (listing the
  // candidates) or Errc::bad_peer_id (a full-length id with a typo).
  Result<PublicKey> resolve(std::string_view name) const;

  // Insert, or replace the entry with the same key. Errc::bad_request for a
  // bad alias, Errc::exists when another peer has the alias.
  Status add_or_update(TrustedPeer peer);
  // False when the key was not trusted.
  bool remove(const PublicKey& key);

  // In file order (insertion order for new peers).
  const std::vector<TrustedPeer>& peers() const { return peers_; }
  size_t size() const { return peers_.size(); }

 private:
  std::vector<TrustedPeer> peers_;
};

}  // namespace peernet
