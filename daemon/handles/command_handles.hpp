// The handles the daemon exposes itself, from its config (guides/cookbook.md,
// "A shell-script handler" and "Control a box from another"): an
// ExecHandle per [[handle]] entry, and the concealed admin handle when
// [admin] allow grants anyone. They belong to kCommandHandlesOwner, an
// owner id no control client gets (clients count up from 1).
//
// apply() withdraws them and exposes them again in one step on the loop,
// so every call routed afterwards sees the new config and allow-lists (a
// revoked grant holds from the next call on) while programs already
// running finish under the settings they started with. Allow entries
// resolve against the trust list at each apply: a peer id as is, an alias
// to whichever key holds it then; an alias nobody holds is ignored with a
// warning. An entry that ends up allowing nobody is not exposed at all
// (a warning says so). Warnings name the config file position.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "handles/admin_handle.hpp"
#include "config/config.hpp"
#include "handles/exec_handle.hpp"
#include "handles/table.hpp"
#include "base/log.hpp"
#include "store/trust_store.hpp"

namespace peernet {

inline constexpr OwnerId kCommandHandlesOwner = ~OwnerId{0};

class CommandHandles {
 public:
  // `handles` and `trust` must outlive this object (the Daemon's own).
  CommandHandles(uv_loop_t* loop, Logger& log, Handles& handles, const TrustStore& trust);
  // Withdraws the handles and kills what still runs (command_run.hpp).
  ~CommandHandles();
  CommandHandles(const CommandHandles&) = delete;
  CommandHandles& operator=(const CommandHandles&) = delete;

  // Call at start, after a reload and after the trust list changed.
  void apply(const Config& config);

  // Programs started by these handles and not yet gone.
  size_t running() const;

 private:
  std::vector<PublicKey> resolve(const std::vector<std::string>& allow, const std::string& where,
                                 const std::string& key);
  void withdraw();

  uv_loop_t* loop_;
  Logger& log_;
  Handles& handles_;
  const TrustStore& trust_;
  std::map<std::string, std::shared_ptr<ExecHandle>> exec_;  // by name, as configured
  // Handles no longer configured whose programs still run; dropped once idle.
  std::vector<std::shared_ptr<ExecHandle>> retired_;
  std::shared_ptr<AdminHandle> admin_;  // created on first grant, kept for its runs
  std::vector<std::string> exposed_;
};

}  // namespace peernet
