#include "floor.hpp"

#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "util.hpp"

namespace bench {

namespace {

constexpr size_t kTag = 16;
constexpr size_t kHeader = 4;

uint32_t get_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// One direction's AEAD: a fixed key, a counter nonce whose first byte says
// the direction (so the two directions never share a nonce).
class Sealer {
 public:
  Sealer(bool encrypt, uint8_t direction) : encrypt_(encrypt), ctx_(EVP_CIPHER_CTX_new()) {
    uint8_t key[32];
    for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 11 + 3);
    nonce_[0] = direction;
    if (encrypt)
      EVP_EncryptInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, key, nullptr);
    else
      EVP_DecryptInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, key, nullptr);
  }
  ~Sealer() { EVP_CIPHER_CTX_free(ctx_); }
  // Appends header + transformed body to `out`.
  void apply(const uint8_t* body, size_t n, std::vector<uint8_t>& out) {
    for (int i = 11; i >= 4; --i)
      if (++nonce_[i] != 0) break;
    size_t at = out.size();
    size_t out_len = encrypt_ ? n + kTag : n - kTag;
    out.resize(at + kHeader + out_len);
    put_be32(&out[at], static_cast<uint32_t>(out_len));
    uint8_t* dst = &out[at + kHeader];
    int len = 0;
    if (encrypt_) {
      EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce_);
      EVP_EncryptUpdate(ctx_, dst, &len, body, static_cast<int>(n));
      EVP_EncryptFinal_ex(ctx_, dst + len, &len);
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kTag, dst + n);
    } else {
      EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce_);
      EVP_DecryptUpdate(ctx_, dst, &len, body, static_cast<int>(out_len));
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kTag, const_cast<uint8_t*>(body + out_len));
      if (EVP_DecryptFinal_ex(ctx_, dst + len, &len) != 1) die("floor: frame failed authentication");
    }
  }

 private:
  bool encrypt_;
  EVP_CIPHER_CTX* ctx_;
  uint8_t nonce_[12] = {};
};

struct Endpoint {
  bool tcp = false;
  std::string path;
  uint16_t port = 0;
};
Endpoint parse_endpoint(const std::string& s) {
  Endpoint e;
  if (s.rfind("tcp:", 0) == 0) {
    e.tcp = true;
    e.port = static_cast<uint16_t>(std::stoi(s.substr(4)));
  } else if (s.rfind("unix:", 0) == 0) {
    e.path = s.substr(5);
  } else {
    die("fwd: bad endpoint " + s);
  }
  return e;
}

// One side of the pump: bytes read and not yet a whole frame, bytes to write.
struct Side {
  int fd = -1;
  bool tcp = false;
  std::vector<uint8_t> in, out;
  size_t out_at = 0;
};

// Moves the complete frames of `from.in` to `to.out`, transformed.
void move_frames(Side& from, Side& to, Sealer* seal, Sealer* open) {
  size_t at = 0;
  while (from.in.size() - at >= kHeader) {
    size_t n = get_be32(&from.in[at]);
    if (from.in.size() - at - kHeader < n) break;
    const uint8_t* body = &from.in[at + kHeader];
    if (from.tcp && open)
      open->apply(body, n, to.out);
    else if (to.tcp && seal)
      seal->apply(body, n, to.out);
    else
      to.out.insert(to.out.end(), static_cast<const uint8_t*>(&from.in[at]), body + n);
    at += kHeader + n;
  }
  from.in.erase(from.in.begin(), from.in.begin() + static_cast<ptrdiff_t>(at));
}

}  // namespace

int fwd_main(int argc, char** argv) {
  if (argc < 4) die("usage: peernet-bench fwd LISTEN CONNECT [seal]");
  Endpoint l = parse_endpoint(argv[2]), c = parse_endpoint(argv[3]);
  bool sealed = argc > 4 && std::string(argv[4]) == "seal";
  int lfd = l.tcp ? listen_tcp(l.port) : listen_unix(l.path);
  // Ready: the parent waits for the listener to accept.
  int afd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (afd < 0) die("fwd: accept: " + std::string(std::strerror(errno)));
  if (l.tcp) set_nodelay(afd);
  int cfd = -1;
  for (int i = 0; i < 5000 && cfd < 0; ++i) {
    cfd = c.tcp ? connect_tcp(c.port) : connect_unix(c.path);
    if (cfd < 0) ::usleep(1000);
  }
  if (cfd < 0) die("fwd: cannot connect");
  Side sides[2];
  sides[0].fd = afd;
  sides[0].tcp = l.tcp;
  sides[1].fd = cfd;
  sides[1].tcp = c.tcp;
  set_nonblocking(afd);
  set_nonblocking(cfd);
  // The side that dialled TCP seals with direction 0, the listener with 1.
  uint8_t dir = c.tcp ? 0 : 1;
  Sealer seal(true, dir), open(false, static_cast<uint8_t>(1 - dir));
  std::vector<uint8_t> buf(256 * 1024);
  for (;;) {
    pollfd p[2];
    for (int i = 0; i < 2; ++i) {
      p[i].fd = sides[i].fd;
      p[i].events = POLLIN | (sides[i].out.size() > sides[i].out_at ? POLLOUT : 0);
      p[i].revents = 0;
    }
    if (::poll(p, 2, 1000) < 0 && errno != EINTR) return 1;
    for (int i = 0; i < 2; ++i) {
      Side& s = sides[i];
      Side& other = sides[1 - i];
      if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(s.fd, buf.data(), buf.size());
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return 0;
        if (n > 0) {
          s.in.insert(s.in.end(), buf.begin(), buf.begin() + n);
          move_frames(s, other, sealed ? &seal : nullptr, sealed ? &open : nullptr);
        }
      }
    }
    for (Side& s : sides) {
      while (s.out.size() > s.out_at) {
        ssize_t w = ::write(s.fd, s.out.data() + s.out_at, s.out.size() - s.out_at);
        if (w < 0) {
          if (errno == EAGAIN) break;
          if (errno == EINTR) continue;
          return 0;
        }
        s.out_at += static_cast<size_t>(w);
      }
      if (s.out_at == s.out.size()) {
        s.out.clear();
        s.out_at = 0;
      }
    }
  }
}

Floor::Floor(bool encrypted) {
  dir_ = make_temp_dir(encrypted ? "sealed-floor" : "floor");
  std::string handler_path = dir_ + "/handler.sock", client_path = dir_ + "/fwd-a.sock";
  uint16_t port = free_port();
  listen_fd_ = listen_unix(handler_path);
  handler_ = std::thread([this] { serve(); });
  std::string self = self_exe();
  auto b_args = std::vector<std::string>{self, "fwd", "tcp:" + std::to_string(port), "unix:" + handler_path};
  auto a_args = std::vector<std::string>{self, "fwd", "unix:" + client_path, "tcp:" + std::to_string(port)};
  if (encrypted) {
    b_args.push_back("seal");
    a_args.push_back("seal");
  }
  fwd_b_ = spawn(b_args, dir_ + "/fwd-b.log");
  // fwd A retries its connect until fwd B listens.
  fwd_a_ = spawn(a_args, dir_ + "/fwd-a.log");
  for (int i = 0; i < 5000 && client_fd_ < 0; ++i) {
    client_fd_ = connect_unix(client_path);
    if (client_fd_ < 0) ::usleep(1000);
  }
  if (client_fd_ < 0) die("floor: forwarder did not come up");
}

Floor::~Floor() {
  stop_ = true;
  if (client_fd_ >= 0) ::close(client_fd_);
  stop_process(fwd_a_);
  stop_process(fwd_b_);
  handler_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  remove_tree(dir_);
}

// Frame body: kind (1 byte), id (4 bytes), payload.
void Floor::serve() {
  int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  std::vector<uint8_t> in, out, buf(256 * 1024);
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    in.insert(in.end(), buf.begin(), buf.begin() + n);
    size_t at = 0;
    while (in.size() - at >= kHeader) {
      size_t len = get_be32(&in[at]);
      if (in.size() - at - kHeader < len) break;
      if (in[at + kHeader] == 1)
        out.insert(out.end(), &in[at], &in[at] + kHeader + len);
      else
        received_.fetch_add(1, std::memory_order_relaxed);
      at += kHeader + len;
    }
    in.erase(in.begin(), in.begin() + static_cast<ptrdiff_t>(at));
    if (!out.empty()) {
      write_all(fd, out.data(), out.size());
      out.clear();
    }
  }
  ::close(fd);
}

namespace {
void append_frame(std::vector<uint8_t>& out, uint8_t kind, uint32_t id, size_t payload) {
  size_t at = out.size();
  out.resize(at + kHeader + 5 + payload);
  put_be32(&out[at], static_cast<uint32_t>(5 + payload));
  out[at + 4] = kind;
  put_be32(&out[at + 5], id);
  std::memset(&out[at + 9], 0x5a, payload);
}
}  // namespace

CallStats Floor::calls(size_t window, size_t total, size_t payload) {
  CallStats st;
  st.latency_ns.reserve(total);
  std::unordered_map<uint32_t, int64_t> started;
  std::vector<uint8_t> out, in, buf(256 * 1024);
  uint32_t next_id = 1;
  size_t issued = 0, done = 0;
  int64_t t0 = now_ns();
  while (done < total) {
    while (issued < total && issued - done < window) {
      append_frame(out, 1, next_id, payload);
      started[next_id++] = now_ns();
      ++issued;
    }
    if (!out.empty()) {
      write_all(client_fd_, out.data(), out.size());
      out.clear();
    }
    ssize_t n = ::read(client_fd_, buf.data(), buf.size());
    if (n <= 0) die("floor: connection lost");
    in.insert(in.end(), buf.begin(), buf.begin() + n);
    size_t at = 0;
    while (in.size() - at >= kHeader) {
      size_t len = get_be32(&in[at]);
      if (in.size() - at - kHeader < len) break;
      uint32_t id = get_be32(&in[at + 5]);
      auto it = started.find(id);
      if (it != started.end()) {
        st.latency_ns.push_back(now_ns() - it->second);
        started.erase(it);
        ++done;
      }
      at += kHeader + len;
    }
    in.erase(in.begin(), in.begin() + static_cast<ptrdiff_t>(at));
  }
  st.seconds = seconds_since(t0);
  return st;
}

SendStats Floor::sends(size_t total, size_t payload) {
  SendStats st;
  uint64_t base = received_.load();
  std::vector<uint8_t> out;
  int64_t t0 = now_ns();
  for (size_t i = 0; i < total; ++i) {
    append_frame(out, 2, static_cast<uint32_t>(i), payload);
    if (out.size() >= 256 * 1024 || i + 1 == total) {
      write_all(client_fd_, out.data(), out.size());
      out.clear();
    }
  }
  st.sent = st.delivered = total;
  int64_t end = now_ns() + 30'000'000'000;
  while (received_.load() - base < total && now_ns() < end) ::usleep(100);
  st.received = received_.load() - base;
  st.seconds = seconds_since(t0);
  return st;
}

}  // namespace bench
