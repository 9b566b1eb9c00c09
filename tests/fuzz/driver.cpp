// A stand-in for libFuzzer, so that every fuzz target also runs as an
// ordinary test (meson suite 'fuzz') with any compiler.
//
//     <target>_fuzz [--runs N] [--seconds S] [FILE|DIR|--optional DIR]...
//         runs the target's built-in seeds and every given file (a crash
//         reproducer, or a corpus directory), then N inputs made by mutating
//         them with a fixed-seed generator, so every run tests the same
//         inputs. Stops early, with a note, after S seconds. A directory
//         after --optional may be missing (tests/fuzz/crashers/<target>/
//         exists only once the target has had a finding).
//     <target>_fuzz --write-seeds DIR
//         writes the built-in seeds to DIR/seed-NN, which is how
//         tests/fuzz/corpus/<target>/ was made for libFuzzer builds.
//
// A target reports a bug by aborting; the driver prints the input first.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "proto/bytes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Each target defines its seeds, built with the encoders under test.
std::vector<peernet::Bytes> FuzzSeeds();

namespace {

using peernet::Bytes;
namespace fs = std::filesystem;

constexpr size_t kMaxInput = 1 << 16;

// xorshift64*: small, fast and the same everywhere.
class Prng {
 public:
  explicit Prng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1DULL;
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

 private:
  uint64_t s_;
};

// Bytes that mean something to the parsers under test: msgpack headers that
// declare sizes, the invalid byte, record types, limits' edges.
constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7f, 0x80, 0x90, 0x91,
                                    0x9f, 0xa0, 0xc0, 0xc1, 0xc4, 0xc6, 0xcc, 0xcf, 0xd0, 0xd3,
                                    0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xfe, 0xff};
constexpr uint32_t kInterestingWords[] = {0,        1,          0x7f,      0x80,   0xff,
                                          0xffff,   0x10000,    0xffef,    0xfff0, 0x100000,
                                          0x100001, 0x7fffffff, 0xffffffff};

Bytes mutate(Prng& rng, const std::vector<Bytes>& pool) {
  Bytes b = pool[rng.below(pool.size())];
  const size_t steps = 1 + rng.below(4);
  for (size_t s = 0; s < steps; ++s) {
    switch (rng.below(8)) {
      case 0:  // flip a bit
        if (!b.empty()) b[rng.below(b.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
        break;
      case 1:  // an interesting byte
        if (!b.empty()) b[rng.below(b.size())] = kInteresting[rng.below(sizeof kInteresting)];
        break;
      case 2: {  // insert random bytes
        size_t at = rng.below(b.size() + 1), n = 1 + rng.below(8);
        for (size_t i = 0; i < n; ++i)
          b.insert(b.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng.next()));
        break;
      }
      case 3: {  // erase a range
        if (b.empty()) break;
        size_t at = rng.below(b.size()), n = 1 + rng.below(std::min<size_t>(16, b.size() - at));
        b.erase(b.begin() + static_cast<ptrdiff_t>(at), b.begin() + static_cast<ptrdiff_t>(at + n));
        break;
      }
      case 4: {  // duplicate a range
        if (b.empty()) break;
        size_t at = rng.below(b.size()), n = 1 + rng.below(std::min<size_t>(64, b.size() - at));
        Bytes piece(b.begin() + static_cast<ptrdiff_t>(at),
                    b.begin() + static_cast<ptrdiff_t>(at + n));
        b.insert(b.begin() + static_cast<ptrdiff_t>(rng.below(b.size() + 1)), piece.begin(),
                 piece.end());
        break;
      }
      case 5:  // truncate
        b.resize(rng.below(b.size() + 1));
        break;
      case 6: {  // splice in part of another input
        const Bytes& other = pool[rng.below(pool.size())];
        if (other.empty()) break;
        size_t from = rng.below(other.size()), n = 1 + rng.below(other.size() - from);
        size_t at = rng.below(b.size() + 1);
        b.insert(b.begin() + static_cast<ptrdiff_t>(at),
                 other.begin() + static_cast<ptrdiff_t>(from),
                 other.begin() + static_cast<ptrdiff_t>(from + n));
        break;
      }
      default: {  // an interesting big-endian 16- or 32-bit value
        size_t width = rng.below(2) ? 2 : 4;
        if (b.size() < width) break;
        size_t at = rng.below(b.size() - width + 1);
        uint32_t v = kInterestingWords[rng.below(std::size(kInterestingWords))];
        for (size_t i = 0; i < width; ++i)
          b[at + i] = static_cast<uint8_t>(v >> (8 * (width - 1 - i)));
        break;
      }
    }
  }
  if (b.size() > kMaxInput) b.resize(kMaxInput);
  return b;
}

// The input being run, printed if the target aborts.
const Bytes* g_current = nullptr;

void on_abort(int) {
  if (g_current) {
    std::fprintf(stderr, "fuzz driver: failing input (%zu bytes): ", g_current->size());
    for (uint8_t x : *g_current) std::fprintf(stderr, "%02x", x);
    std::fprintf(stderr, "\n");
  }
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

void run(const Bytes& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(input.data(), input.size());
  g_current = nullptr;
}

bool read_file(const fs::path& p, Bytes& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

// Adds an input unless the pool has it already (the committed corpus is
// mostly the built-in seeds). Returns 1 if added.
size_t add(std::vector<Bytes>& pool, Bytes b) {
  if (std::find(pool.begin(), pool.end(), b) != pool.end()) return 0;
  pool.push_back(std::move(b));
  return 1;
}

int write_seeds(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto seeds = FuzzSeeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "seed-%02zu", i);
    std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(seeds[i].data()),
            static_cast<std::streamsize>(seeds[i].size()));
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 20000;
  double seconds = 60;
  std::vector<Bytes> pool = FuzzSeeds();
  size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--write-seeds" && i + 1 < argc) {
      return write_seeds(argv[++i]);
    } else if (arg == "--optional" && i + 1 < argc) {
      std::error_code ec;
      if (!fs::exists(argv[i + 1], ec)) ++i;
    } else if (fs::is_directory(arg)) {
      for (const auto& entry : fs::directory_iterator(arg)) {
        Bytes b;
        if (entry.is_regular_file() && read_file(entry.path(), b)) files += add(pool, std::move(b));
      }
    } else {
      Bytes b;
      if (!read_file(arg, b)) {
        std::fprintf(stderr, "cannot read %s\n", arg.c_str());
        return 2;
      }
      files += add(pool, std::move(b));
    }
  }
  if (pool.empty()) pool.push_back({});
  std::signal(SIGABRT, on_abort);

  const auto start = std::chrono::steady_clock::now();
  for (const auto& input : pool) run(input);
  Prng rng(0x5eed5eed5eed5eedULL);
  long done = 0;
  bool out_of_time = false;
  for (; done < runs; ++done) {
    if (done % 256 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) {
      out_of_time = true;
      break;
    }
    run(mutate(rng, pool));
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu seed inputs (%zu from files), %ld mutated inputs in %.1f s%s\n", argv[0],
              pool.size(), files, done, took, out_of_time ? " (stopped at the time bound)" : "");
  return 0;
}
