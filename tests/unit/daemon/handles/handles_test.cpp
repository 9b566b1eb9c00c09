// Local handles and the answer-exactly-once Responder.
#include "handles/table.hpp"

#include <gtest/gtest.h>

namespace peernet {
namespace {

struct NullHandler final : Handler {
  void on_call(IncomingCall) override {}
  void on_send(IncomingSend) override {}
};

PublicKey key(uint8_t b) {
  PublicKey k;
  k.bytes.fill(b);
  return k;
}

TEST(Responder, AnswersOnceWithAReply) {
  std::vector<Envelope> got;
  Responder r([&](Envelope e) { got.push_back(std::move(e)); });
  EXPECT_TRUE(r.pending());
  r.reply(Bytes{0xc3});
  r.reply(Bytes{0xc2});
  r.fail("busy", "ignored");
  EXPECT_FALSE(r.pending());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<Reply>(got[0]).result, Bytes{0xc3});
}

TEST(Responder, DroppedUnansweredFailsTheCall) {
  std::vector<Envelope> got;
  {
    Responder r([&](Envelope e) { got.push_back(std::move(e)); });
    Responder moved = std::move(r);
    EXPECT_FALSE(r.pending());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  }
  ASSERT_EQ(got.size(), 1u);
  auto& e = std::get<ErrorReply>(got[0]);
  EXPECT_EQ(e.code, "handler_failed");
  EXPECT_EQ(e.message, "handler dropped the call");
}

TEST(Responder, OverwritingAPendingResponderAnswersIt) {
  int answers = 0;
  Responder r([&](Envelope) { ++answers; });
  r = Responder([&](Envelope) { ++answers; });
  EXPECT_EQ(answers, 1);
  r.reply({});
  EXPECT_EQ(answers, 2);
}

TEST(Responder, InvalidCodesBecomeHandlerFailed) {
  std::vector<Envelope> got;
  Responder r([&](Envelope e) { got.push_back(std::move(e)); });
  r.fail("Not A Code!", "oops");
  auto& e = std::get<ErrorReply>(got.at(0));
  EXPECT_EQ(e.code, "handler_failed");
  EXPECT_NE(e.message.find("oops"), std::string::npos);

  Responder r2([&](Envelope e2) { got.push_back(std::move(e2)); });
  r2.fail(make_error(Errc::timeout, std::string(5000, 'x')));
  auto& e2 = std::get<ErrorReply>(got.at(1));
  EXPECT_EQ(e2.code, "timeout");
  EXPECT_EQ(e2.message.size(), kMaxMessage);
}

TEST(Handles, ExposeRouteUnexpose) {
  Handles h;
  auto handler = std::make_shared<NullHandler>();
  ASSERT_TRUE(h.expose("svc.echo", 7, handler).ok());
  EXPECT_EQ(h.expose("svc.echo", 8, handler).error().code, Errc::handle_taken);
  EXPECT_EQ(h.expose("svc.echo", 7, handler).error().code, Errc::handle_taken);
  EXPECT_EQ(h.expose("bad name", 7, handler).error().code, Errc::bad_request);
  EXPECT_EQ(h.expose("x", 7, nullptr).error().code, Errc::bad_request);

  auto r = h.route("svc.echo", key(1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->get(), handler.get());
  EXPECT_EQ(h.route("other", key(1)).error().code, Errc::no_such_handle);

  EXPECT_EQ(h.unexpose("svc.echo", 8).error().code, Errc::forbidden);
  EXPECT_EQ(h.unexpose("nope", 7).error().code, Errc::no_such_handle);
  ASSERT_TRUE(h.unexpose("svc.echo", 7).ok());
  EXPECT_EQ(h.size(), 0u);
}

TEST(Handles, AllowListAdmitsOnlyItsPeers) {
  Handles h;
  auto handler = std::make_shared<NullHandler>();
  ASSERT_TRUE(h.expose("private", 1, handler, {key(2), key(3)}).ok());
  EXPECT_TRUE(h.route("private", key(2)).ok());
  EXPECT_TRUE(h.route("private", key(3)).ok());
  // An excluded peer cannot tell the handle from a missing one.
  EXPECT_EQ(h.route("private", key(4)).error().code, Errc::no_such_handle);
  ASSERT_TRUE(h.expose("private2", 1, handler, {key(2)}).ok());
  std::string excluded = h.route("private2", key(4)).error().message;
  ASSERT_TRUE(h.unexpose("private2", 1).ok());
  EXPECT_EQ(h.route("private2", key(4)).error().message, excluded);
}

TEST(Handles, ConcealedHandleLooksMissingToExcludedPeers) {
  Handles h;
  auto handler = std::make_shared<NullHandler>();
  EXPECT_EQ(h.expose("hidden", 1, handler, {}, Exclusion::conceal).error().code, Errc::bad_request);
  ASSERT_TRUE(h.expose("hidden", 1, handler, {key(1)}, Exclusion::conceal).ok());
  EXPECT_TRUE(h.route("hidden", key(1)).ok());
  auto excluded = h.route("hidden", key(2));
  auto missing = h.route("hidde", key(2));
  ASSERT_FALSE(excluded.ok());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(excluded.error().code, Errc::no_such_handle);
  // Byte for byte what a missing name gets, but for the name itself.
  EXPECT_EQ(excluded.error().message, "no handle \"hidden\"");
  EXPECT_EQ(missing.error().message, "no handle \"hidde\"");
}

TEST(Handles, ReleaseOwnerRemovesOnlyItsHandles) {
  Handles h;
  auto handler = std::make_shared<NullHandler>();
  ASSERT_TRUE(h.expose("a", 1, handler).ok());
  ASSERT_TRUE(h.expose("b", 1, handler).ok());
  ASSERT_TRUE(h.expose("c", 2, handler).ok());
  EXPECT_EQ(h.release_owner(1), 2u);
  auto list = h.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "c");
  EXPECT_EQ(list[0].owner, 2u);
  EXPECT_EQ(h.release_owner(1), 0u);
}

}  // namespace
}  // namespace peernet
