// A fresh directory for one test, under $TMPDIR (or /tmp), removed with all
// it holds when the TempDir goes. Standard C++ and POSIX only, so that the
// tests of proto (which see proto's include directory only) use it too.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace peernet::testing {

class TempDir {
 public:
  // The directory is $TMPDIR/peernet-<prefix>-XXXXXX.
  explicit TempDir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/peernet-" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr)
      path_ = std::move(tmpl);
    else
      error_ = std::strerror(errno);
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // False when mkdtemp failed; error() says why. Fixtures assert it in SetUp.
  bool ok() const { return !path_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
  std::string error_;
};

}  // namespace peernet::testing
