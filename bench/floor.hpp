// The floor: the same path with nothing but forwarding. A client and a
// handler exchange length-prefixed frames through two forwarder processes
// (client -> fwd A -> TCP -> fwd B -> handler), which copy frames and, for
// the "encrypted floor", seal each frame on the TCP hop with
// ChaCha20-Poly1305 (OpenSSL EVP), as a Noise transport message would be.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "peernet_path.hpp"

namespace bench {

// `peernet-bench fwd LISTEN CONNECT [seal]`: LISTEN and CONNECT are
// unix:PATH or tcp:PORT; accepts one connection, then connects and pumps
// frames both ways until either side closes.
int fwd_main(int argc, char** argv);

class Floor {
 public:
  explicit Floor(bool encrypted);
  ~Floor();
  // Frames of `payload` bytes: kind 1 is echoed, kind 2 counted.
  CallStats calls(size_t window, size_t total, size_t payload);
  SendStats sends(size_t total, size_t payload);
  // The two forwarder processes.
  std::vector<pid_t> pids() const { return {fwd_a_, fwd_b_}; }

 private:
  void serve();
  std::string dir_;
  int listen_fd_ = -1;
  int client_fd_ = -1;
  pid_t fwd_a_ = -1, fwd_b_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> received_{0};
  std::thread handler_;
};

}  // namespace bench
