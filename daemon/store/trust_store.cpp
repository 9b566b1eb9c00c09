#include "store/trust_store.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>
#include <toml++/toml.h>

#include "base/log.hpp"
#include "base/toml_position.hpp"
#include "proto/peer_id.hpp"
#include "store/secret_file.hpp"

namespace peernet {
namespace {

// Length of peer_id_compact(): 52 base32 characters plus 4 check characters.
// A name this long (once normalized) is meant as a full id, so a typo in it
// is reported as one instead of "no such peer".
constexpr size_t kCompactIdLength = 56;
constexpr size_t kMinPrefix = 4;

constexpr std::string_view kHeader =
    "# peernetd trust list: the peers this daemon talks to.\n"
    "# managed by peernetctl pair/untrust; edits take effect on SIGHUP\n";

Error entry_error(std::string_view source, const toml::source_region& where, std::string_view key,
                  std::string_view what) {
  return make_error(Errc::config_error, toml_position(source, where) + ": key \"" + std::string(key) +
                                            "\": " + std::string(what));
}

// A TOML basic string.
std::string toml_string(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string normalize_id(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '-' && c != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string describe_peer(const TrustedPeer& p) {
  std::string s = peer_tag(p.key);
  if (!p.name.empty()) s += " " + quote(p.name);
  return s;
}

// One [[peer]] table into `out`; the first problem, positioned.
Status parse_peer(std::string_view source, const toml::table& t, TrustedPeer& out) {
  bool have_id = false;
  for (const auto& [key, node] : t) {
    std::string full = "peer." + std::string(key.str());
    if (key.str() == "id") {
      auto s = node.as_string();
      if (!s) return entry_error(source, node.source(), full, "expected a string");
      auto k = parse_peer_id(s->get());
      if (!k) return entry_error(source, node.source(), full, k.error().message);
      out.key = *k;
      have_id = true;
    } else if (key.str() == "name") {
      auto s = node.as_string();
      if (!s) return entry_error(source, node.source(), full, "expected a string");
      if (!is_valid_alias(s->get()))
        return entry_error(source, node.source(), full,
                           "alias " + quote(s->get()) +
                               " must be 1 to 64 characters of A-Z a-z 0-9 _ . - not starting with '-'");
      out.name = s->get();
    } else if (key.str() == "addrs") {
      auto arr = node.as_array();
      if (!arr) return entry_error(source, node.source(), full, "expected an array of \"HOST:PORT\" strings");
      for (const auto& item : *arr) {
        auto s = item.as_string();
        if (!s) return entry_error(source, item.source(), full, "expected a \"HOST:PORT\" string");
        auto ep = Endpoint::parse(s->get());
        if (!ep) return entry_error(source, item.source(), full, ep.error().message);
        out.addrs.push_back(std::move(*ep));
      }
    } else {
      return entry_error(source, key.source(), full, "unknown key (expected id, name or addrs)");
    }
  }
  if (!have_id) return entry_error(source, t.source(), "peer.id", "missing: every [[peer]] needs an id");
  return {};
}

}  // namespace

bool is_valid_alias(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Result<TrustStore> TrustStore::parse(std::string_view text, std::string_view source_name, const PublicKey* own) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return make_error(Errc::config_error, toml_position(source_name, e.source()) + ": " + std::string(e.description()));
  }

  TrustStore store;
  // Index of each id and alias seen so far, so that a list of thousands of
  // peers is checked for duplicates in linear time.
  std::unordered_map<PublicKey, size_t> by_key;
  std::unordered_map<std::string, size_t> by_name;
  for (const auto& [key, node] : root) {
    if (key.str() != "peer")
      return entry_error(source_name, key.source(), key.str(), "unknown key (expected [[peer]] tables)");
    auto arr = node.as_array();
    if (!arr) return entry_error(source_name, node.source(), "peer", "expected [[peer]] tables");
    for (const auto& item : *arr) {
      auto table = item.as_table();
      if (!table) return entry_error(source_name, item.source(), "peer", "expected a table");
      TrustedPeer peer;
      PEERNET_TRY_VOID(parse_peer(source_name, *table, peer));
      if (own != nullptr && peer.key == *own)
        return entry_error(source_name, (*table)["id"].node()->source(), "peer.id",
                           "is this daemon's own key " + peer_tag(peer.key) + "; a daemon does not trust itself");
      // Errors point at the later entry; the earlier one is named.
      if (by_key.contains(peer.key))
        return entry_error(source_name, (*table)["id"].node()->source(), "peer.id",
                           "listed twice: " + peer_tag(peer.key));
      if (auto seen = by_name.find(peer.name); !peer.name.empty() && seen != by_name.end())
        return entry_error(source_name, (*table)["name"].node()->source(), "peer.name",
                           "alias " + quote(peer.name) + " already names " +
                               peer_tag(store.peers_[seen->second].key));
      by_key.emplace(peer.key, store.peers_.size());
      if (!peer.name.empty()) by_name.emplace(peer.name, store.peers_.size());
      store.peers_.push_back(std::move(peer));
    }
  }
  return store;
}

Result<TrustStore> TrustStore::load(const std::string& path, const PublicKey* own) {
  bool missing = false;
  auto bytes = read_secret_file(path, &missing, kMaxTrustFileSize);
  if (!bytes) {
    if (missing) return TrustStore{};
    return std::move(bytes).error();
  }
  return parse(as_chars(*bytes), path, own);
}

std::string TrustStore::serialize() const {
  std::string out(kHeader);
  for (const auto& p : peers_) {
    out += "\n[[peer]]\nid = " + toml_string(peer_id_text(p.key)) + "\n";
    if (!p.name.empty()) out += "name = " + toml_string(p.name) + "\n";
    if (!p.addrs.empty()) {
      out += "addrs = [";
      for (size_t i = 0; i < p.addrs.size(); ++i) {
        if (i) out += ", ";
        out += toml_string(p.addrs[i].to_string());
      }
      out += "]\n";
    }
  }
  return out;
}

Status TrustStore::save(const std::string& path) const {
  return write_file_atomic(path, as_bytes(serialize()), 0600);
}

const TrustedPeer* TrustStore::find(const PublicKey& key) const {
  // Linear: trust lists hold a handful to a few hundred peers.
  for (const auto& p : peers_)
    if (p.key == key) return &p;
  return nullptr;
}

Result<PublicKey> TrustStore::resolve(std::string_view name) const {
  if (name.empty()) return make_error(Errc::no_such_peer, "empty peer name");
  for (const auto& p : peers_)
    if (!p.name.empty() && p.name == name) return p.key;

  std::string id = normalize_id(name);
  if (id.size() >= kCompactIdLength) return parse_peer_id(name);
  if (id.size() < kMinPrefix)
    return make_error(Errc::no_such_peer, "no trusted peer named " + quote(name) + " (a peer id prefix needs at least " +
                                              std::to_string(kMinPrefix) + " characters)");
  std::vector<const TrustedPeer*> matches;
  for (const auto& p : peers_)
    if (peer_id_compact(p.key).starts_with(id)) matches.push_back(&p);
  if (matches.empty())
    return make_error(Errc::no_such_peer, "no trusted peer is named or has a peer id starting with " + quote(name));
  if (matches.size() > 1) {
    std::string msg = quote(name) + " matches " + std::to_string(matches.size()) + " trusted peers:";
    for (size_t i = 0; i < matches.size(); ++i) msg += (i ? ", " : " ") + describe_peer(*matches[i]);
    return make_error(Errc::ambiguous_peer, msg);
  }
  return matches.front()->key;
}

Status TrustStore::add_or_update(TrustedPeer peer) {
  if (!peer.name.empty() && !is_valid_alias(peer.name))
    return make_error(Errc::bad_request, "alias " + quote(peer.name) +
                                             " must be 1 to 64 characters of A-Z a-z 0-9 _ . - not starting with '-'");
  for (const auto& ep : peer.addrs)
    if (ep.port == 0) return make_error(Errc::bad_request, "address " + ep.to_string() + " has no port");
  TrustedPeer* existing = nullptr;
  for (auto& p : peers_) {
    if (p.key == peer.key)
      existing = &p;
    else if (!peer.name.empty() && p.name == peer.name)
      return make_error(Errc::exists, "alias " + quote(peer.name) + " already names " + peer_tag(p.key));
  }
  if (existing)
    *existing = std::move(peer);
  else
    peers_.push_back(std::move(peer));
  return {};
}

bool TrustStore::remove(const PublicKey& key) {
  auto it = std::find_if(peers_.begin(), peers_.end(), [&](const TrustedPeer& p) { return p.key == key; });
  if (it == peers_.end()) return false;
  peers_.erase(it);
  return true;
}

}  // namespace peernet
