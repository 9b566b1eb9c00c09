#include "proto/control/schema.hpp"

#include "proto/control/methods.hpp"
#include "proto/link/envelope.hpp"

namespace peernet::control {

Status Str::read(const Fields& f, std::string_view key, std::string& out) const {
  PEERNET_TRY(out, f.str(key, max));
  return {};
}

Status Text::read(const Fields& f, std::string_view key, std::string& out) const {
  PEERNET_TRY(auto text, f.opt_text(key, max));
  out = text.value_or("");
  return {};
}

Status HandleName::read(const Fields& f, std::string_view key, std::string& out) const {
  PEERNET_TRY(std::string h, f.str(key, kMaxHandleName));
  if (!valid_handle_name(h))
    return f.error(key, "\"" + h + "\" is not 1..128 bytes of [A-Za-z0-9_.:/-]");
  out = std::move(h);
  return {};
}

Status PeerIdText::read(const Fields& f, std::string_view key, PublicKey& out) const {
  PEERNET_TRY(out, f.peer_id(key));
  return {};
}

Status KeyBytes::read(const Fields& f, std::string_view key, PublicKey& out) const {
  PEERNET_TRY(Bytes bytes, f.bin(key));
  if (bytes != Bytes(out.bytes.begin(), out.bytes.end()))
    return f.error(key, "does not match \"" + std::string(same_as) + "\"");
  return {};
}

Status Bool::read(const Fields& f, std::string_view key, bool& out) const {
  PEERNET_TRY(out, f.boolean(key));
  return {};
}

Status Flag::read(const Fields& f, std::string_view key, bool& out) const {
  PEERNET_TRY(auto v, f.opt_boolean(key));
  out = v.value_or(false);
  return {};
}

Status Uint::read(const Fields& f, std::string_view key, uint64_t& out) const {
  PEERNET_TRY(out, f.uint(key));
  return {};
}

Status Number::read(const Fields& f, std::string_view key, double& out) const {
  PEERNET_TRY(out, f.number(key));
  return {};
}

Status ProtocolVersion::read(const Fields& f, std::string_view key, uint64_t& out) const {
  PEERNET_TRY(out, f.uint(key));
  if (out != kVersion)
    return make_error(Errc::unsupported,
                      f.context() + ": the client speaks control protocol version " +
                          std::to_string(out) + ", the daemon speaks " + std::to_string(kVersion));
  return {};
}

Status Raw::read(const Fields& f, std::string_view key, Bytes& out) const {
  PEERNET_TRY(ByteView v, f.any(key));
  out.assign(v.begin(), v.end());
  return {};
}

Status StrList::read(const Fields& f, std::string_view key, std::vector<std::string>& out) const {
  PEERNET_TRY(out, f.str_list(key, max_items, max_len));
  return {};
}

namespace {
constexpr size_t kMaxCounterName = 64;
}  // namespace

void Counters::write(Writer& w, const std::map<std::string, uint64_t>& v) const {
  w.map(static_cast<uint32_t>(v.size()));
  for (const auto& [name, value] : v) {
    w.str(name);
    w.uint(value);
  }
}

Status Counters::read(const Fields& f, std::string_view key,
                      std::map<std::string, uint64_t>& out) const {
  PEERNET_TRY(ByteView data, f.map(key));
  const std::string where = f.context() + ": \"" + std::string(key) + "\"";
  auto bad = [&](std::string problem) { return make_error(f.errc(), where + ": " + problem); };
  MsgpackReader r(data);
  PEERNET_TRY(uint32_t n, r.map(where));
  out.clear();
  for (uint32_t i = 0; i < n; ++i) {
    PEERNET_TRY(std::string_view name, r.str(where + " key"));
    if (name.empty() || name.size() > kMaxCounterName)
      return bad(std::to_string(name.size()) + "-byte name, not 1..64");
    PEERNET_TRY(uint64_t value, r.uint(where + " value"));
    if (!out.emplace(name, value).second)
      return bad("duplicate name \"" + std::string(name) + "\"");
  }
  return {};
}

}  // namespace peernet::control
