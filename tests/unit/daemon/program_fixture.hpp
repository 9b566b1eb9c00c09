// The fixture of the tests of handles that run programs (the admin handle,
// command handles): daemons on one loop (DaemonTest), a scratch directory
// the programs may write to, calls that wait for their answer, and the
// check that every program was reaped.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "../temp_dir.hpp"
#include "daemon_fixture.hpp"
#include "process_probe.hpp"

namespace peernet::testing {

// What a call's callback delivered, and how often it ran.
struct CallResult {
  int runs = 0;
  std::optional<Result<Bytes>> result;
};

class ProgramTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    ASSERT_TRUE(scratch_.ok()) << scratch_.error();
  }

  // A call from `from` to `to`'s `handle`; `out` records the answer.
  Status call(Node& from, Node& to, const std::string& handle, Bytes args, CallResult& out) {
    return from->call(to.key(), handle, std::move(args), 30, [&out](Result<Bytes> r) {
      ++out.runs;
      out.result = std::move(r);
    });
  }
  // The same, run until the answer is in.
  Result<Bytes> call_wait(Node& from, Node& to, const std::string& handle, Bytes args = {}) {
    CallResult r;
    auto st = call(from, to, handle, std::move(args), r);
    if (!st) return st.error();
    EXPECT_TRUE(run_until([&] { return r.runs > 0; }));
    if (r.runs == 0) return make_error(Errc::internal, "no answer");
    return std::move(*r.result);
  }

  // Every program the daemons ran has been reaped: no child of ours is
  // left, not even a zombie.
  void expect_all_reaped() {
    Poller poll(&loop);
    EXPECT_TRUE(run_until([] { return own_children().empty(); })) << own_children().size() << " left";
  }

  // The scratch directory (work_), removed after the daemons are gone.
  TempDir scratch_{"program-test"};
  const std::string work_ = scratch_.path();
};

}  // namespace peernet::testing
