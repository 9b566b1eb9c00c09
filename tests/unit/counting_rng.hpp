// Deterministic "randomness" for tests: byte i of the stream is seed + i
// (mod 256), so a test can predict the keys and ids a generator draws.
// proto only, so that the tests of every layer and the fuzzers can use it.
#pragma once

#include <cstdint>
#include <span>

#include "proto/rng.hpp"

namespace peernet::testing {

class CountingRng : public Rng {
 public:
  explicit CountingRng(uint8_t seed = 0) : next_(seed) {}
  void fill(std::span<uint8_t> out) override {
    for (uint8_t& b : out) b = next_++;
  }

 private:
  uint8_t next_;
};

}  // namespace peernet::testing
