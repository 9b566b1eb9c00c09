#include "peernet_path.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "proto/control/control.hpp"
#include "util.hpp"

namespace bench {

using namespace peernet;

Bytes msgpack_payload(size_t total) {
  Bytes b;
  if (total < 256 + 2) {
    b.push_back(0xc4);
    b.push_back(static_cast<uint8_t>(total - 2));
  } else {
    size_t n = total - 5;
    b = {0xc6, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
         static_cast<uint8_t>(n)};
  }
  for (size_t i = b.size(); i < total; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}

Handler::Handler(const std::string& socket) : conn_(socket) {
  for (const char* h : {"echo", "sink"}) {
    auto r = conn_.request(control::make_request(1, control::ExposeParams{h, std::nullopt}));
    if (r.is_error()) die(std::string("expose ") + h + " failed");
  }
  thread_ = std::thread([this] { run(); });
}

Handler::~Handler() {
  stop_ = true;
  thread_.join();
}

namespace {

// What a lean client reads of what the daemon sends it: the message's kind
// from its first bytes, and of a handle.call only its msgid and args (it
// trusts its daemon, which checked them). A full decode of every message
// would make this handler, sharing the cores with the daemons, the
// bottleneck of every row.
constexpr uint8_t kHandleSendHead[] = {0x93, 0x02, 0xab, 'h', 'a', 'n', 'd', 'l', 'e', '.', 's', 'e', 'n', 'd'};

bool is_handle_send(ByteView m) {
  return m.size() > sizeof kHandleSendHead && std::equal(std::begin(kHandleSendHead), std::end(kHandleSendHead), m.begin());
}

// [0, msgid, "handle.call", [{…, "args": X}]] -> msgid and X.
std::optional<std::pair<uint32_t, ByteView>> read_handle_call(ByteView m) {
  MsgpackReader r(m);
  auto n = r.array("message");
  auto type = r.uint("type");
  auto id = r.uint("msgid");
  auto method = r.str("method");
  if (!n || *n != 4 || !type || *type != 0 || !id || !method || *method != control::method::kHandleCall) return std::nullopt;
  auto one = r.array("params");
  auto fields = r.map("params");
  if (!one || !fields) return std::nullopt;
  for (uint32_t i = 0; i < *fields; ++i) {
    auto key = r.str("key");
    auto value = r.object("value", {});
    if (!key || !value) return std::nullopt;
    if (*key == "args") return std::pair{static_cast<uint32_t>(*id), *value};
  }
  return std::nullopt;
}

}  // namespace

void Handler::run() {
  const Bytes nil{0xc0};
  while (!stop_) {
    auto m = conn_.next_raw(20);
    while (m) {
      if (is_handle_send(*m)) {
        sends_.fetch_add(1, std::memory_order_relaxed);
      } else if (auto call = read_handle_call(*m)) {
        conn_.queue(RpcResponse{call->first, nil, Bytes(call->second.begin(), call->second.end())});
        calls_.fetch_add(1, std::memory_order_relaxed);
      } else if (auto full = decode_rpc(*m); !full) {
        die("handler: " + full.error().message);
      }
      m = conn_.next_raw_buffered();
    }
    if (conn_.queued()) conn_.flush();
  }
}

CallStats run_calls(RpcConn& conn, const std::string& peer, size_t window, size_t total, const Bytes& args) {
  CallStats st;
  st.latency_ns.reserve(total);
  Bytes params = control::encode_params(control::CallParams{peer, "echo", args, 30.0});
  std::unordered_map<uint32_t, int64_t> started;
  uint32_t next_id = 1;
  size_t issued = 0, done = 0;
  int64_t t0 = now_ns();
  while (done < total) {
    while (issued < total && issued - done < window) {
      conn.queue(RpcRequest{next_id, std::string(control::method::kCall), params});
      started[next_id++] = now_ns();
      ++issued;
    }
    if (conn.queued()) conn.flush();
    auto m = conn.next(30000);
    if (!m) die("calls: no response within 30 s");
    while (m) {
      if (auto* r = std::get_if<RpcResponse>(&*m)) {
        auto it = started.find(r->msgid);
        if (it != started.end()) {
          st.latency_ns.push_back(now_ns() - it->second);
          started.erase(it);
          if (r->is_error()) ++st.errors;
          ++done;
        }
      }
      m = conn.next_buffered();
    }
  }
  st.seconds = seconds_since(t0);
  return st;
}

namespace {

void count_response(const RpcMessage& m, SendStats& st, uint64_t& answered) {
  auto* r = std::get_if<RpcResponse>(&m);
  if (!r) return;
  ++answered;
  if (r->is_error()) {
    ++st.dropped;  // an error answer is also a reported non-delivery
    return;
  }
  auto res = control::decode_result<control::method::Send>(r->result);
  if (!res) die("send: bad result: " + res.error().message);
  if (res->delivered)
    ++st.delivered;
  else
    ++st.dropped;
}

}  // namespace

SendStats run_sends(RpcConn& conn, const Handler& handler, const std::string& peer, size_t window, size_t total,
                    const Bytes& args) {
  SendStats st;
  Bytes params = control::encode_params(control::SendParams{peer, "sink", args});
  const std::string method(control::method::kSend);
  uint64_t base = handler.sends();
  uint64_t answered = 0;
  int64_t t0 = now_ns();
  if (window == 0) {
    // A burst: one thread writes every request while this one reads.
    std::thread writer([&] {
      Bytes chunk;
      for (size_t i = 0; i < total; ++i) {
        encode_to(chunk, RpcRequest{static_cast<uint32_t>(i + 1), method, params});
        if (chunk.size() >= 256 * 1024 || i + 1 == total) {
          write_all(conn.fd(), chunk.data(), chunk.size());
          chunk.clear();
        }
      }
    });
    st.sent = total;
    while (answered < total) {
      auto m = conn.next(30000);
      if (!m) die("burst: no response within 30 s");
      count_response(*m, st, answered);
    }
    writer.join();
  } else {
    uint32_t next_id = 1;
    while (answered < total) {
      while (st.sent < total && st.sent - answered < window) {
        conn.queue(RpcRequest{next_id++, method, params});
        ++st.sent;
      }
      if (conn.queued()) conn.flush();
      auto m = conn.next(30000);
      if (!m) die("sends: no response within 30 s");
      while (m) {
        count_response(*m, st, answered);
        m = conn.next_buffered();
      }
    }
  }
  // Everything delivered reaches the handler, or is counted missing after 10 s.
  int64_t end = now_ns() + 10'000'000'000;
  while (handler.sends() - base < st.delivered && now_ns() < end) ::usleep(100);
  st.received = handler.sends() - base;
  st.seconds = seconds_since(t0);
  return st;
}

SendStats run_stream_sends(RpcConn& conn, const Handler& handler, const std::string& peer, size_t total,
                           const Bytes& args) {
  SendStats st;
  Bytes params = control::encode_params(control::SendParams{peer, "sink", args});
  const std::string method(control::method::kSend);
  uint64_t base = handler.sends();
  uint64_t reported = 0;
  static uint32_t flush_id = 0x40000000;
  const uint32_t id = ++flush_id;
  int64_t t0 = now_ns();
  // One thread writes every send while this one reads what comes back
  // (drops), so that neither side's socket buffer can fill for good.
  // Every send is the same bytes: encoded once, as a client streaming one
  // value would.
  const Bytes one = encode(RpcMessage(RpcNotification{method, params}));
  std::thread writer([&] {
    Bytes chunk;
    chunk.reserve(256 * 1024 + one.size());
    for (size_t i = 0; i < total; ++i) {
      chunk.insert(chunk.end(), one.begin(), one.end());
      if (chunk.size() >= 256 * 1024 || i + 1 == total) {
        write_all(conn.fd(), chunk.data(), chunk.size());
        chunk.clear();
      }
    }
    encode_to(chunk, RpcRequest{id, std::string(control::method::kSendFlush), control::encode_params(control::SendFlushParams{})});
    write_all(conn.fd(), chunk.data(), chunk.size());
  });
  st.sent = total;
  std::optional<control::SendFlushResult> flushed;
  while (!flushed) {
    auto m = conn.next(60000);
    if (!m) die("stream: no send.flush answer within 60 s");
    if (auto* n = std::get_if<RpcNotification>(&*m); n && n->method == control::method::kSendDropped) {
      auto d = control::decode_params<control::SendDropped>(n->params);
      if (!d) die("send.dropped: " + d.error().message);
      reported += d->count;
    } else if (auto* r = std::get_if<RpcResponse>(&*m); r && r->msgid == id) {
      auto res = control::decode_result<control::method::SendFlush>(r->is_error() ? Bytes{} : r->result);
      if (!res) die("send.flush: bad answer");
      flushed = *res;
    }
  }
  writer.join();
  // The flush counts since the connection opened; this run's drops are the
  // ones reported during it.
  st.dropped = reported;
  st.delivered = total - std::min<uint64_t>(total, reported);
  int64_t end = now_ns() + 10'000'000'000;
  while (handler.sends() - base < st.delivered && now_ns() < end) ::usleep(100);
  st.received = handler.sends() - base;
  st.seconds = seconds_since(t0);
  return st;
}

}  // namespace bench
