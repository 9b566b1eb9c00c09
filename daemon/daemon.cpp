#include "daemon.hpp"

#include "proto/identity.hpp"
#include "random.hpp"

namespace peernet {

// Interim: the public API compiles and create() loads the identity and the
// trust list; the session layer behind it follows.
struct Daemon::Impl {
  uv_loop_t* loop;
  Config config;
  Logger& log;
  OsRng rng;
  KeyPair identity;
  TrustStore trust;
  Handles handles;
};

namespace {
Error not_yet() { return make_error(Errc::unsupported, "not implemented yet"); }
}  // namespace

std::string_view to_string(PeerState s) {
  switch (s) {
    case PeerState::offline: return "offline";
    case PeerState::connecting: return "connecting";
    case PeerState::online: return "online";
  }
  return "unknown";
}

std::string_view to_string(PeerEvent::Kind k) {
  switch (k) {
    case PeerEvent::Kind::connecting: return "connecting";
    case PeerEvent::Kind::up: return "up";
    case PeerEvent::Kind::down: return "down";
  }
  return "unknown";
}

Result<std::unique_ptr<Daemon>> Daemon::create(uv_loop_t* loop, Config config, Logger& log) {
  auto impl = std::unique_ptr<Impl>(new Impl{loop, std::move(config), log, {}, {}, {}, {}});
  PEERNET_TRY(impl->identity,
              load_or_create_identity(impl->config.daemon.state_dir + "/identity.key", impl->rng));
  PEERNET_TRY(impl->trust, TrustStore::load(impl->config.daemon.state_dir + "/trust.toml"));
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Status Daemon::start() { return not_yet(); }
void Daemon::stop(DoneCallback) {}
Status Daemon::reload(Config) { return not_yet(); }
Status Daemon::call(const PublicKey&, std::string, Bytes, double, CallCallback) { return not_yet(); }
Status Daemon::send(const PublicKey&, std::string, Bytes) { return not_yet(); }
Status Daemon::expose(std::string name, OwnerId owner, std::shared_ptr<Handler> handler,
                      std::vector<PublicKey> allow) {
  return impl_->handles.expose(std::move(name), owner, std::move(handler), std::move(allow));
}
Status Daemon::unexpose(std::string_view name, OwnerId owner) { return impl_->handles.unexpose(name, owner); }
size_t Daemon::release_owner(OwnerId owner) { return impl_->handles.release_owner(owner); }
std::vector<HandleInfo> Daemon::handles() const { return impl_->handles.list(); }
Status Daemon::trust_add(TrustedPeer) { return not_yet(); }
Status Daemon::trust_remove(const PublicKey&) { return not_yet(); }
const TrustStore& Daemon::trust() const { return impl_->trust; }
Status Daemon::connect(const Endpoint&, ConnectCallback) { return not_yet(); }
std::vector<PeerInfo> Daemon::peers() const { return {}; }
const PublicKey& Daemon::identity() const { return impl_->identity.pub; }
DaemonStatus Daemon::status() const { return {}; }
const Config& Daemon::config() const { return impl_->config; }
Daemon::SubscriptionId Daemon::subscribe(Observer) { return 0; }
void Daemon::unsubscribe(SubscriptionId) {}

}  // namespace peernet
