#include "handles/command_handles.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proto/peer_id.hpp"

namespace peernet {

CommandHandles::CommandHandles(uv_loop_t* loop, Logger& log, Handles& handles, const TrustStore& trust)
    : loop_(loop), log_(log), handles_(handles), trust_(trust) {}

CommandHandles::~CommandHandles() { withdraw(); }

size_t CommandHandles::running() const {
  size_t n = admin_ ? admin_->running() : 0;
  for (const auto& [name, h] : exec_) n += h->running();
  for (const auto& h : retired_) n += h->running();
  return n;
}

void CommandHandles::withdraw() {
  for (const std::string& name : exposed_) (void)handles_.unexpose(name, kCommandHandlesOwner);
  exposed_.clear();
}

std::vector<PublicKey> CommandHandles::resolve(const std::vector<std::string>& allow, const std::string& where,
                                               const std::string& key) {
  std::vector<PublicKey> keys;
  for (const std::string& entry : allow) {
    // The config parser kept ids in their canonical text and checked them.
    if (auto id = parse_peer_id(entry)) {
      keys.push_back(*id);
      continue;
    }
    const TrustedPeer* holder = nullptr;
    for (const TrustedPeer& tp : trust_.peers())
      if (tp.name == entry) holder = &tp;
    if (holder == nullptr) {
      log_.warning(where + ": " + key + ": alias " + quote(entry) + " is not in the trust list, ignoring");
      continue;
    }
    keys.push_back(holder->key);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void CommandHandles::apply(const Config& config) {
  // The trust list object lives as long as the daemon; its contents change.
  const TrustStore* trust = &trust_;
  auto name_of = [trust](const PublicKey& key) {
    const TrustedPeer* tp = trust->find(key);
    return tp ? tp->name : std::string();
  };

  // Everything routed from here on sees only the new set.
  withdraw();
  std::map<std::string, std::shared_ptr<ExecHandle>> next;
  for (const CommandHandleConfig& hc : config.handles) {
    std::string what = "handle " + quote(hc.name);
    std::vector<PublicKey> allow = resolve(hc.allow, hc.where, "handle.allow");
    if (allow.empty()) {
      log_.warning(hc.where + ": " + what + " allows no peer, so nobody can reach it");
      continue;
    }
    if (!hc.command.empty() && ::access(hc.command[0].c_str(), X_OK) != 0)
      log_.warning(hc.where + ": " + what + ": " + quote(hc.command[0]) +
                   " cannot be executed (" + std::strerror(errno) + "); its calls will fail");
    auto it = exec_.find(hc.name);
    std::shared_ptr<ExecHandle> h =
        it != exec_.end() ? it->second : std::make_shared<ExecHandle>(loop_, log_, name_of);
    h->configure(hc, allow);
    if (auto st = handles_.expose(hc.name, kCommandHandlesOwner, h, allow); !st) {
      log_.warning(hc.where + ": " + what + ": " + st.error().message + ", ignoring");
      continue;
    }
    exposed_.push_back(hc.name);
    next[hc.name] = std::move(h);
  }
  for (auto& [name, h] : exec_)
    if (next.count(name) == 0) retired_.push_back(std::move(h));
  std::erase_if(retired_, [](const auto& h) { return h->running() == 0; });
  exec_ = std::move(next);

  std::vector<PublicKey> granted = resolve(config.admin.allow, config.admin.where, "admin.allow");
  if (granted.empty()) {
    if (!config.admin.allow.empty())
      log_.warning(config.admin.where + ": admin.allow: no listed peer is known, admin access is off");
    return;
  }
  if (!admin_) admin_ = std::make_shared<AdminHandle>(loop_, log_, name_of);
  std::string names;
  for (const PublicKey& k : granted) names += (names.empty() ? "" : ", ") + peer_tag(k);
  admin_->configure(config.admin, config.session.max_envelope, granted);
  if (auto st = handles_.expose(std::string(kAdminHandle), kCommandHandlesOwner, admin_, granted,
                                Exclusion::conceal);
      !st) {
    log_.error("admin access is off: " + st.error().describe());
    return;
  }
  exposed_.emplace_back(kAdminHandle);
  log_.notice("admin access granted to " + names);
}

}  // namespace peernet
