// Local handles: the named entry points local programs expose to peers
// (default-deny: nothing on this box is reachable from a peer until a
// local program or the config exposes it by name).
//
// A handle belongs to an owner (the control connection that exposed it,
// identified by an opaque OwnerId) and disappears with release_owner() when
// that owner goes away. Each handle has an optional allow-list of peer keys;
// an empty list admits every trusted peer (untrusted peers never get a
// session, so they never reach a handle).
//
// Every incoming call ends exactly once: the Handler receives a Responder
// that must be answered with reply() or fail(); a Responder destroyed
// unanswered answers `handler_failed` "handler dropped the call" itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/bytes.hpp"
#include "proto/link/envelope.hpp"
#include "proto/keys.hpp"
#include "proto/result.hpp"

namespace peernet {

using OwnerId = uint64_t;

// Answers one incoming call, exactly once. Move-only.
class Responder {
 public:
  // Receives the answer as a Reply or ErrorReply envelope whose req_id is
  // left 0 (whoever made the sink knows the request). Runs at most once.
  using Sink = std::function<void(Envelope answer)>;

  Responder() = default;  // empty: answering it does nothing
  explicit Responder(Sink sink) : sink_(std::move(sink)) {}
  Responder(Responder&& o) noexcept : sink_(std::move(o.sink_)) { o.sink_ = nullptr; }
  Responder& operator=(Responder&& o) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  // Answers `handler_failed` "handler dropped the call" if still pending.
  ~Responder();

  // `result` is exactly one msgpack object (empty bytes mean nil).
  void reply(Bytes result);
  // `code` must match [a-z0-9_]{1,64} (guides/protocol.md §5.2); anything
  // else is sent as `handler_failed` with the code in the message. The
  // message is cut at 1024 bytes.
  void fail(std::string_view code, std::string_view message);
  void fail(const Error& error) { fail(to_string(error.code), error.message); }

  // True until answered (or moved from).
  bool pending() const { return static_cast<bool>(sink_); }

 private:
  Sink sink_;
};

struct IncomingCall {
  PublicKey peer;      // the caller
  std::string handle;  // the handle's name
  Bytes args;          // exactly one msgpack object, as the caller sent it
  Responder responder;
};

struct IncomingSend {
  PublicKey peer;
  std::string handle;
  Bytes args;  // exactly one msgpack object
};

// Implemented by whoever exposes a handle (the control server, tests).
// Both run on the loop, synchronously from the session that received the
// envelope; they must not block. A handler may answer a call later, from
// any loop callback, by keeping the Responder.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_call(IncomingCall call) = 0;
  virtual void on_send(IncomingSend send) = 0;
  // Flow control for sends: whether the handler holds so much undelivered
  // that it should not be given more for now. The session that delivered
  // to a congested handler stops reading, and hands when_drained() a
  // callback that resumes it, to be run once (on the loop) when the
  // handler has room again, or dropped if it never will.
  virtual bool congested() const { return false; }
  virtual void when_drained(std::function<void()> resume) { resume(); }
};

// A peer that a handle's allow-list excludes is always answered exactly as
// for a name that is not exposed at all, code and message alike
// (no_such_handle), so that probing reveals nothing; its sends are dropped
// like sends to a missing name. `conceal` also insists on an allow-list
// (the admin handle, command_handles.hpp); `forbidden` is the ordinary
// handle, which may have none (every trusted peer).
enum class Exclusion { forbidden, conceal };

// What a peer gets for a handle that does not exist for it: the same
// words for a missing name and a concealed one.
Error no_such_handle(std::string_view name);

struct HandleInfo {
  std::string name;
  OwnerId owner = 0;
  std::vector<PublicKey> allow;  // empty: every trusted peer
};

class Handles {
 public:
  // Errc::bad_request for a name that is not a valid handle name
  // (guides/protocol.md §5) or a concealed handle without an allow-list,
  // Errc::handle_taken when the name is exposed already (by anyone, this
  // owner included).
  Status expose(std::string name, OwnerId owner, std::shared_ptr<Handler> handler,
                std::vector<PublicKey> allow = {}, Exclusion exclusion = Exclusion::forbidden);
  // Errc::no_such_handle when not exposed, Errc::forbidden when exposed by
  // another owner.
  Status unexpose(std::string_view name, OwnerId owner);
  // Removes every handle of `owner`; returns how many.
  size_t release_owner(OwnerId owner);

  // The handler `from` may reach under `name`: Errc::no_such_handle when
  // there is none or the allow-list excludes `from`. The pointer is
  // valid until the handle is removed; callers hold the shared_ptr across
  // the dispatch, since a handler may unexpose itself while running.
  Result<std::shared_ptr<Handler>> route(std::string_view name, const PublicKey& from) const;

  std::vector<HandleInfo> list() const;  // sorted by name
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    OwnerId owner;
    std::shared_ptr<Handler> handler;
    std::vector<PublicKey> allow;
    Exclusion exclusion;
  };
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace peernet
