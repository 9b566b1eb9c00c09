#include "handles/table.hpp"

#include <algorithm>

namespace peernet {

Responder& Responder::operator=(Responder&& o) noexcept {
  if (this != &o) {
    // The call this one was answering must still end exactly once.
    if (sink_) fail(to_string(Errc::handler_failed), "handler dropped the call");
    sink_ = std::move(o.sink_);
    o.sink_ = nullptr;
  }
  return *this;
}

Responder::~Responder() {
  if (sink_) fail(to_string(Errc::handler_failed), "handler dropped the call");
}

void Responder::reply(Bytes result) {
  if (!sink_) return;
  Sink sink = std::move(sink_);
  sink_ = nullptr;
  sink(Reply{0, std::move(result)});
}

void Responder::fail(std::string_view code, std::string_view message) {
  if (!sink_) return;
  Sink sink = std::move(sink_);
  sink_ = nullptr;
  ErrorReply e;
  if (valid_code(code)) {
    e.code = std::string(code);
    e.message = std::string(message.substr(0, kMaxMessage));
  } else {
    // Keep what the handler meant, within the message's bounds.
    e.code = std::string(to_string(Errc::handler_failed));
    std::string m = "handler answered with an invalid error code";
    if (!message.empty()) m += ": " + std::string(message);
    e.message = m.substr(0, kMaxMessage);
  }
  sink(std::move(e));
}

Error no_such_handle(std::string_view name) {
  return make_error(Errc::no_such_handle, "no handle \"" + std::string(name) + "\"");
}

Status Handles::expose(std::string name, OwnerId owner, std::shared_ptr<Handler> handler,
                       std::vector<PublicKey> allow, Exclusion exclusion) {
  if (!valid_handle_name(name))
    return make_error(Errc::bad_request,
                      "invalid handle name: 1-128 characters of [A-Za-z0-9_.:/-] expected");
  if (!handler) return make_error(Errc::bad_request, "expose without a handler");
  // An empty list admits every trusted peer, which a concealed handle never means to.
  if (exclusion == Exclusion::conceal && allow.empty())
    return make_error(Errc::bad_request, "a concealed handle needs an allow-list");
  if (entries_.count(name) != 0)
    return make_error(Errc::handle_taken, "handle \"" + name + "\" is already exposed");
  std::sort(allow.begin(), allow.end());
  allow.erase(std::unique(allow.begin(), allow.end()), allow.end());
  entries_.emplace(std::move(name), Entry{owner, std::move(handler), std::move(allow), exclusion});
  return {};
}

Status Handles::unexpose(std::string_view name, OwnerId owner) {
  auto it = entries_.find(std::string(name));
  if (it == entries_.end())
    return make_error(Errc::no_such_handle, "handle \"" + std::string(name) + "\" is not exposed");
  if (it->second.owner != owner)
    return make_error(Errc::forbidden,
                      "handle \"" + std::string(name) + "\" was exposed by another client");
  entries_.erase(it);
  return {};
}

size_t Handles::release_owner(OwnerId owner) {
  return std::erase_if(entries_, [owner](const auto& kv) { return kv.second.owner == owner; });
}

Result<std::shared_ptr<Handler>> Handles::route(std::string_view name, const PublicKey& from) const {
  auto it = entries_.find(std::string(name));
  if (it == entries_.end()) return no_such_handle(name);
  const auto& allow = it->second.allow;
  // Excluded by the allow-list: the same answer as for a name not exposed
  // at all, so that a peer cannot learn which names others may call.
  if (!allow.empty() && !std::binary_search(allow.begin(), allow.end(), from)) return no_such_handle(name);
  return it->second.handler;
}

std::vector<HandleInfo> Handles::list() const {
  std::vector<HandleInfo> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_) out.push_back(HandleInfo{name, e.owner, e.allow});
  std::sort(out.begin(), out.end(),
            [](const HandleInfo& a, const HandleInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace peernet
