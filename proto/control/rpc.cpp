#include "proto/control/rpc.hpp"

#include <algorithm>

#include "proto/overloaded.hpp"

namespace peernet {
namespace {

using MaybeMessage = std::optional<RpcMessage>;

constexpr std::string_view kTypeNames[] = {"request", "response", "notification"};

// Room for at least `n` bytes, growing geometrically: the scanner's lower
// bound may rise a few bytes at a time (a message of many small objects).
void grow(Bytes& b, size_t n) {
  if (b.capacity() < n) b.reserve(std::max(n, 2 * b.capacity()));
}

Error invalid(std::string message) { return make_error(Errc::protocol_error, std::move(message)); }

Result<uint32_t> read_msgid(MsgpackReader& r, std::string_view what) {
  PEERNET_TRY(uint64_t id, r.uint(what));
  if (id > UINT32_MAX)
    return invalid(std::string(what) + ": " + std::to_string(id) + " is above 2^32-1");
  return static_cast<uint32_t>(id);
}

Result<std::string> read_method(MsgpackReader& r, std::string_view what) {
  PEERNET_TRY(std::string_view m, r.str(what));
  if (m.empty() || m.size() > kMaxRpcMethod)
    return invalid(std::string(what) + ": " + std::to_string(m.size()) + " bytes, not 1..256");
  return std::string(m);
}

Result<Bytes> read_object(MsgpackReader& r, std::string_view what, const MsgpackLimits& limits) {
  PEERNET_TRY(ByteView v, r.object(what, limits));
  return Bytes(v.begin(), v.end());
}

Result<Bytes> read_params(MsgpackReader& r, std::string_view what, const MsgpackLimits& limits) {
  PEERNET_TRY(Bytes params, read_object(r, what, limits));
  // read_object succeeded, so params holds at least one byte.
  MsgpackReader pr(params);
  if (!pr.array(what).ok())
    return invalid(std::string(what) + ": expected an array, found " +
                   std::string(msgpack_type_name(params[0])));
  return params;
}

// Decodes one complete message. Errors carry Errc::protocol_error from the
// reader; callers turn them into bad_request. `msgid` receives a request's
// msgid as soon as it is known, so that even a request with bad params can be
// answered.
Result<RpcMessage> decode_message(ByteView data, const MsgpackLimits& limits,
                                  std::optional<uint32_t>* msgid) {
  MsgpackReader r(data);
  PEERNET_TRY(uint32_t n, r.array("message"));
  if (n == 0) return invalid("message: empty array");
  PEERNET_TRY(uint64_t type, r.uint("message type"));
  if (type > 2) return invalid("unknown message type " + std::to_string(type));
  const std::string name(kTypeNames[type]);
  const uint32_t arity = type == 2 ? 3 : 4;
  if (n != arity)
    return invalid(name + " has " + std::to_string(n) + " elements, expected " +
                   std::to_string(arity));

  RpcMessage message;
  switch (static_cast<RpcType>(type)) {
    case RpcType::request: {
      RpcRequest q;
      PEERNET_TRY(q.msgid, read_msgid(r, "request msgid"));
      if (msgid) *msgid = q.msgid;
      PEERNET_TRY(q.method, read_method(r, "request method"));
      PEERNET_TRY(q.params, read_params(r, "request params", limits));
      message = std::move(q);
      break;
    }
    case RpcType::response: {
      RpcResponse s;
      PEERNET_TRY(s.msgid, read_msgid(r, "response msgid"));
      PEERNET_TRY(s.error, read_object(r, "response error", limits));
      PEERNET_TRY(s.result, read_object(r, "response result", limits));
      message = std::move(s);
      break;
    }
    case RpcType::notification: {
      RpcNotification t;
      PEERNET_TRY(t.method, read_method(r, "notification method"));
      PEERNET_TRY(t.params, read_params(r, "notification params", limits));
      message = std::move(t);
      break;
    }
  }
  if (!r.at_end()) return invalid(std::to_string(r.remaining()) + " bytes after the " + name);
  return message;
}

void put_raw(MsgpackWriter& w, const Bytes& b, bool empty_is_array) {
  if (!b.empty())
    w.raw(b);
  else if (empty_is_array)
    w.array(0);
  else
    w.nil();
}

}  // namespace

void encode_to(Bytes& out, const RpcMessage& m) {
  MsgpackWriter w(out);
  std::visit(Overloaded{
                 [&](const RpcRequest& q) {
                   w.array(4);
                   w.uint(0);
                   w.uint(q.msgid);
                   w.str(q.method);
                   put_raw(w, q.params, true);
                 },
                 [&](const RpcResponse& s) {
                   w.array(4);
                   w.uint(1);
                   w.uint(s.msgid);
                   put_raw(w, s.error, false);
                   put_raw(w, s.result, false);
                 },
                 [&](const RpcNotification& t) {
                   w.array(3);
                   w.uint(2);
                   w.str(t.method);
                   put_raw(w, t.params, true);
                 },
             },
             m);
}

Bytes encode(const RpcMessage& m) {
  Bytes out;
  encode_to(out, m);
  return out;
}

Result<RpcMessage> decode_rpc(ByteView data, const MsgpackLimits& limits) {
  auto m = decode_message(data, limits, nullptr);
  if (!m.ok()) return make_error(Errc::bad_request, std::move(m).error().message);
  return m;
}

// --- RpcDecoder -------------------------------------------------------------

Error RpcDecoder::fail(Errc code, std::string message) {
  error_ = make_error(code, std::move(message));
  Bytes().swap(partial_);
  input_ = {};
  return *error_;
}

Status RpcDecoder::feed(ByteView data) {
  if (error_) return *error_;
  if (!input_.empty())
    return make_error(Errc::invalid_state, "RPC decoder fed before the previous chunk was drained");
  input_ = data;
  return {};
}

Result<MaybeMessage> RpcDecoder::finish(ByteView message) {
  auto m = decode_message(message, limits_, &bad_msgid_);
  if (!m.ok()) return make_error(Errc::bad_request, std::move(m).error().message);
  bad_msgid_.reset();
  return MaybeMessage(std::move(m).value());
}

Result<MaybeMessage> RpcDecoder::next() {
  PEERNET_TRY(std::optional<ByteView> raw, next_raw());
  if (!raw) return MaybeMessage{};
  return finish(*raw);
}

Result<std::optional<ByteView>> RpcDecoder::next_raw() {
  using MaybeRaw = std::optional<ByteView>;
  if (error_) return *error_;
  bad_msgid_.reset();
  if (!whole_.empty()) Bytes().swap(whole_);  // the previous straddling message was taken

  // Scan the chunk in place; copy only the start of a message it cuts off.
  MsgpackScanner::State state;
  if (partial_.empty()) {
    if (input_.empty()) return MaybeRaw{};
    state = scanner_.scan(input_);
    if (state == MsgpackScanner::State::complete) {
      ByteView message = input_.first(scanner_.size());
      input_ = input_.subspan(message.size());
      scanner_.reset();
      return MaybeRaw(message);
    }
    if (state == MsgpackScanner::State::need_more) {
      // Less than min_size() <= max_message_ bytes; room for what the
      // scanner knows is coming, so that topping up copies nothing twice.
      grow(partial_, scanner_.min_size());
      partial_.assign(input_.begin(), input_.end());
      input_ = {};
      return MaybeRaw{};
    }
  } else {
    // Top up the partial message, never past the scanner's lower bound on
    // its size, so the next message's bytes stay in input_.
    state = MsgpackScanner::State::need_more;
    while (state == MsgpackScanner::State::need_more && !input_.empty()) {
      size_t take = std::min(scanner_.min_size() - partial_.size(), input_.size());
      grow(partial_, scanner_.min_size());
      partial_.insert(partial_.end(), input_.begin(),
                      input_.begin() + static_cast<ptrdiff_t>(take));
      input_ = input_.subspan(take);
      state = scanner_.scan(partial_);
    }
    if (state == MsgpackScanner::State::need_more) return MaybeRaw{};
    if (state == MsgpackScanner::State::complete) {
      whole_ = std::move(partial_);
      partial_.clear();
      scanner_.reset();
      return MaybeRaw(ByteView(whole_));
    }
  }

  if (state == MsgpackScanner::State::invalid) {
    ByteView seen = partial_.empty() ? input_ : ByteView(partial_);
    return fail(Errc::protocol_error,
                "not msgpack: byte 0x" + to_hex(seen.subspan(scanner_.error_offset(), 1)) +
                    " at offset " + std::to_string(scanner_.error_offset()) + " of a message");
  }
  return fail(Errc::payload_too_large,
              "message of at least " + std::to_string(scanner_.min_size()) +
                  " bytes exceeds the limit of " + std::to_string(max_message_));
}

}  // namespace peernet
