#include "proto/link/envelope.hpp"

#include <optional>

#include "proto/overloaded.hpp"

namespace peernet {
namespace {

// Array length of each type, indexed by type code.
constexpr uint32_t kArity[] = {0, 4, 3, 4, 3, 2, 2, 3, 4};

bool handle_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '/' || c == '-';
}
bool code_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

Error field_error(Errc code, std::string_view what, std::string_view problem) {
  std::string m(what);
  m += ": ";
  m += problem;
  return make_error(code, std::move(m));
}

// The field rules, shared by validate() (Errc::bad_request, our caller's
// input) and decoding (Errc::protocol_error, the peer's).
std::optional<std::string> handle_problem(std::string_view s) {
  if (valid_handle_name(s)) return std::nullopt;
  return std::to_string(s.size()) + "-byte name is not 1..128 bytes of [A-Za-z0-9_.:/-]";
}
std::optional<std::string> code_problem(std::string_view s) {
  if (valid_code(s)) return std::nullopt;
  return std::to_string(s.size()) + "-byte code is not 1..64 bytes of [a-z0-9_]";
}
std::optional<std::string> pair_name_problem(std::string_view s) {
  if (s.size() > kMaxPairName) return std::to_string(s.size()) + " bytes exceed the limit of 64";
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::string("a control character");
  return std::nullopt;
}
std::optional<std::string> message_problem(std::string_view s) {
  if (s.size() <= kMaxMessage) return std::nullopt;
  return std::to_string(s.size()) + " bytes exceed the limit of 1024";
}

using Rule = std::optional<std::string> (*)(std::string_view);

Result<std::string> read_str(MsgpackReader& r, std::string_view what, Rule rule) {
  PEERNET_TRY(std::string_view s, r.str(what));
  if (auto problem = rule(s)) return field_error(Errc::protocol_error, what, *problem);
  return std::string(s);
}

Result<Bytes> read_object(MsgpackReader& r, std::string_view what, const MsgpackLimits& limits) {
  PEERNET_TRY(ByteView v, r.object(what, limits));
  return Bytes(v.begin(), v.end());
}

// Already-encoded args/result, copied verbatim; empty stands for nil.
void put_raw(MsgpackWriter& w, const Bytes& b) {
  if (b.empty())
    w.nil();
  else
    w.raw(b);
}

}  // namespace

EnvelopeType type_of(const Envelope& e) { return static_cast<EnvelopeType>(e.index() + 1); }

std::string_view to_string(EnvelopeType t) {
  switch (t) {
    case EnvelopeType::call: return "call";
    case EnvelopeType::reply: return "reply";
    case EnvelopeType::error: return "error";
    case EnvelopeType::send: return "send";
    case EnvelopeType::ping: return "ping";
    case EnvelopeType::pong: return "pong";
    case EnvelopeType::close: return "close";
    case EnvelopeType::pair: return "pair";
  }
  return "unknown";
}

bool valid_handle_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHandleName) return false;
  for (char c : name)
    if (!handle_char(c)) return false;
  return true;
}

bool valid_code(std::string_view code) {
  if (code.empty() || code.size() > kMaxCode) return false;
  for (char c : code)
    if (!code_char(c)) return false;
  return true;
}

Status validate(const Envelope& e) {
  auto check = [](std::string_view what, Rule rule, std::string_view s) -> Status {
    if (auto problem = rule(s)) return field_error(Errc::bad_request, what, *problem);
    return {};
  };
  return std::visit(
      Overloaded{
          [&](const Call& c) -> Status {
            if (c.req_id == 0) return make_error(Errc::bad_request, "call req_id: must not be 0");
            return check("call handle", handle_problem, c.handle);
          },
          [&](const Reply&) -> Status { return {}; },
          [&](const ErrorReply& r) -> Status {
            PEERNET_TRY_VOID(check("error code", code_problem, r.code));
            return check("error message", message_problem, r.message);
          },
          [&](const Send& s) -> Status { return check("send handle", handle_problem, s.handle); },
          [&](const Ping&) -> Status { return {}; },
          [&](const Pong&) -> Status { return {}; },
          [&](const Close& c) -> Status {
            PEERNET_TRY_VOID(check("close reason", code_problem, c.reason));
            return check("close message", message_problem, c.message);
          },
          [&](const Pair& x) -> Status {
            if (x.step < 1 || x.step > 4) return make_error(Errc::bad_request, "pair step: not 1..4");
            if (x.data.size() > kMaxPairData)
              return make_error(Errc::bad_request, "pair data: more than 64 bytes");
            return check("pair name", pair_name_problem, x.name);
          },
      },
      e);
}

namespace {

// A send or call envelope from views: [type, (req_id,) handle, args].
Bytes encode_to_handle(EnvelopeType type, std::optional<uint64_t> req_id, std::string_view handle, ByteView args) {
  Bytes out;
  out.reserve(1 + 1 + 9 + 2 + handle.size() + (args.empty() ? 1 : args.size()));
  MsgpackWriter p(out);
  p.array(kArity[static_cast<uint32_t>(type)]);
  p.uint(static_cast<uint32_t>(type));
  if (req_id) p.uint(*req_id);
  p.str(handle);
  if (args.empty())
    p.nil();
  else
    p.raw(args);
  return out;
}

}  // namespace

Bytes encode_send(std::string_view handle, ByteView args) {
  return encode_to_handle(EnvelopeType::send, std::nullopt, handle, args);
}

Bytes encode_call(uint64_t req_id, std::string_view handle, ByteView args) {
  return encode_to_handle(EnvelopeType::call, req_id, handle, args);
}

void encode_to(Bytes& out, const Envelope& e) {
  MsgpackWriter p(out);
  const uint32_t code = static_cast<uint32_t>(type_of(e));
  p.array(kArity[code]);
  p.uint(code);
  std::visit(Overloaded{
                 [&](const Call& c) {
                   p.uint(c.req_id);
                   p.str(c.handle);
                   put_raw(p, c.args);
                 },
                 [&](const Reply& r) {
                   p.uint(r.req_id);
                   put_raw(p, r.result);
                 },
                 [&](const ErrorReply& r) {
                   p.uint(r.req_id);
                   p.str(r.code);
                   p.str(r.message);
                 },
                 [&](const Send& s) {
                   p.str(s.handle);
                   put_raw(p, s.args);
                 },
                 [&](const Ping& x) { p.uint(x.nonce); },
                 [&](const Pong& x) { p.uint(x.nonce); },
                 [&](const Close& c) {
                   p.str(c.reason);
                   p.str(c.message);
                 },
                 [&](const Pair& x) {
                   p.uint(x.step);
                   p.bin(x.data);
                   p.str(x.name);
                 },
             },
             e);
}

Bytes encode(const Envelope& e) {
  Bytes out;
  encode_to(out, e);
  return out;
}

Result<Envelope> decode_envelope(ByteView data, const MsgpackLimits& limits) {
  MsgpackReader r(data);
  PEERNET_TRY(uint32_t n, r.array("envelope"));
  if (n == 0) return make_error(Errc::protocol_error, "envelope: empty array");
  PEERNET_TRY(uint64_t code, r.uint("envelope type"));
  if (code < 1 || code > 8)
    return make_error(Errc::protocol_error, "unknown envelope type " + std::to_string(code));
  const auto type = static_cast<EnvelopeType>(code);
  const std::string_view name = to_string(type);
  if (n != kArity[code])
    return make_error(Errc::protocol_error, std::string(name) + " envelope has " + std::to_string(n) +
                                                " elements, expected " +
                                                std::to_string(kArity[code]));

  Envelope env;
  switch (type) {
    case EnvelopeType::call: {
      Call c;
      PEERNET_TRY(c.req_id, r.uint("call req_id"));
      if (c.req_id == 0) return make_error(Errc::protocol_error, "call req_id: must not be 0");
      PEERNET_TRY(c.handle, read_str(r, "call handle", handle_problem));
      PEERNET_TRY(c.args, read_object(r, "call args", limits));
      env = std::move(c);
      break;
    }
    case EnvelopeType::reply: {
      Reply x;
      PEERNET_TRY(x.req_id, r.uint("reply req_id"));
      PEERNET_TRY(x.result, read_object(r, "reply result", limits));
      env = std::move(x);
      break;
    }
    case EnvelopeType::error: {
      ErrorReply x;
      PEERNET_TRY(x.req_id, r.uint("error req_id"));
      PEERNET_TRY(x.code, read_str(r, "error code", code_problem));
      PEERNET_TRY(x.message, read_str(r, "error message", message_problem));
      env = std::move(x);
      break;
    }
    case EnvelopeType::send: {
      Send x;
      PEERNET_TRY(x.handle, read_str(r, "send handle", handle_problem));
      PEERNET_TRY(x.args, read_object(r, "send args", limits));
      env = std::move(x);
      break;
    }
    case EnvelopeType::ping: {
      Ping x;
      PEERNET_TRY(x.nonce, r.uint("ping nonce"));
      env = x;
      break;
    }
    case EnvelopeType::pong: {
      Pong x;
      PEERNET_TRY(x.nonce, r.uint("pong nonce"));
      env = x;
      break;
    }
    case EnvelopeType::close: {
      Close x;
      PEERNET_TRY(x.reason, read_str(r, "close reason", code_problem));
      PEERNET_TRY(x.message, read_str(r, "close message", message_problem));
      env = std::move(x);
      break;
    }
    case EnvelopeType::pair: {
      Pair x;
      PEERNET_TRY(uint64_t step, r.uint("pair step"));
      if (step < 1 || step > 4) return make_error(Errc::protocol_error, "pair step: not 1..4");
      x.step = static_cast<uint8_t>(step);
      PEERNET_TRY(ByteView data, r.bin("pair data"));
      if (data.size() > kMaxPairData)
        return make_error(Errc::protocol_error, "pair data: " + std::to_string(data.size()) +
                                                    " bytes exceed the limit of 64");
      x.data.assign(data.begin(), data.end());
      PEERNET_TRY(x.name, read_str(r, "pair name", pair_name_problem));
      env = std::move(x);
      break;
    }
  }
  if (!r.at_end())
    return make_error(Errc::protocol_error,
                      std::to_string(r.remaining()) + " bytes after the " + std::string(name) + " envelope");
  return env;
}

}  // namespace peernet
