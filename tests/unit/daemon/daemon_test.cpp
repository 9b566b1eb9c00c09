// Two or three daemons on one loop over loopback: handshakes, trust checks,
// calls, sends and their errors, timeouts, a peer dying mid-call, trust
// revocation.
#include "daemon.hpp"
#include "uv/timer.hpp"

#include <cstdio>

#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "proto/identity.hpp"
#include "proto/peer_id.hpp"
#include "base/random.hpp"
#include "raw_peer.hpp"
#include "uv/tcp.hpp"

namespace peernet::testing {
namespace {

struct CallResult {
  int runs = 0;
  std::optional<Result<Bytes>> result;
};

// A call whose outcome lands in `out` (counting how often the callback ran).
Status call(Node& from, Node& to, std::string handle, Bytes args, CallResult& out, double timeout_s = 5) {
  return from->call(to.key(), std::move(handle), std::move(args), timeout_s, [&out](Result<Bytes> r) {
    ++out.runs;
    out.result = std::move(r);
  });
}

TEST_F(DaemonTest, HandshakeConnectsTrustedPeers) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  EXPECT_EQ(a.count(PeerEvent::Kind::up, b.key()), 1u);
  EXPECT_EQ(b.count(PeerEvent::Kind::up, a.key()), 1u);
  auto info = a.info_of(b.key());
  ASSERT_TRUE(info && info->session);
  EXPECT_TRUE(info->session->initiator);
  // b learned where a listens from a's hello and the connection's source.
  auto binfo = b.info_of(a.key());
  ASSERT_TRUE(binfo);
  ASSERT_EQ(binfo->learned_addrs.size(), 1u);
  EXPECT_EQ(binfo->learned_addrs[0], a.endpoint());
  EXPECT_EQ(a->status().handshakes_ok, 1u);
  EXPECT_EQ(b->status().sessions, 1u);
}

// One side paired, the other not (protocol.md §3, §8): the refused
// initiator never counts the peer as up or down, says why in `peers`, and
// does not dial again soon.
TEST_F(DaemonTest, ResponderRejectsAnUntrustedInitiator) {
  Node& a = add_node();
  Node& b = add_node();
  trust(a, b);  // b does not trust a
  ASSERT_TRUE(run_until([&] {
    auto info = a.info_of(b.key());
    return info && info->last_error == std::string("untrusted_peer");
  })) << log_of(a);
  EXPECT_NE(log_of(b).find("rejected untrusted " + peer_tag(a.key()) + " (fingerprint " + fingerprint(a.key())),
            std::string::npos)
      << log_of(b);
  // Give a redial every chance to happen: none does.
  uv::Timer wait(&loop);
  bool waited = false;
  ASSERT_TRUE(wait.start(500, 0, [&] { waited = true; }).ok());
  ASSERT_TRUE(run_until([&] { return waited; }));
  EXPECT_EQ(a.count(PeerEvent::Kind::up, b.key()), 0u);
  EXPECT_EQ(a.count(PeerEvent::Kind::down, b.key()), 0u);
  EXPECT_EQ(a->status().handshakes_ok, 0u);
  EXPECT_EQ(a->status().handshakes_failed, 1u);
  EXPECT_EQ(b->status().handshakes_ok, 0u);
  EXPECT_EQ(b->status().handshakes_failed, 1u);
  EXPECT_FALSE(online(b, a));
  EXPECT_FALSE(online(a, b));
  EXPECT_NE(log_of(a).find("refused"), std::string::npos) << log_of(a);
  // Trusting it on b's side, then a reload on a's, pairs them at once.
  trust(b, a, false);
  ASSERT_TRUE(a->reload(a->config()).ok());
  ASSERT_TRUE(run_until([&] { return online(a, b) && online(b, a); }));
  auto info = a.info_of(b.key());
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->last_error);
}

TEST_F(DaemonTest, InitiatorNeverRevealsItselfToAnUntrustedResponder) {
  Node& a = add_node();
  OsRng rng;
  KeyPair stranger = generate_keypair(rng);
  RawPeer raw(rng, false, stranger);
  auto listener = uv::TcpListener::listen(&loop, Endpoint{"127.0.0.1", 0}, {},
                                          [&](Result<uv::TcpStream> s) { raw.attach(std::move(*s)); });
  ASSERT_TRUE(listener.ok());
  std::optional<Result<PublicKey>> outcome;
  ASSERT_TRUE(a->connect(Endpoint{"127.0.0.1", listener->port()},
                         [&](Result<PublicKey> r) { outcome = std::move(r); })
                  .ok());
  ASSERT_TRUE(run_until([&] { return outcome.has_value() && raw.eof; }));
  ASSERT_FALSE(outcome->ok());
  EXPECT_EQ(outcome->error().code, Errc::untrusted_peer);
  // Message 1 only: message 3, which carries a's static key, never came.
  EXPECT_EQ(raw.frames_received(), 1u);
  EXPECT_FALSE(raw.established());
  EXPECT_NE(log_of(a).find("fingerprint " + fingerprint(stranger.pub)), std::string::npos);
}

TEST_F(DaemonTest, DialRefusesAnotherKeyThanExpected) {
  Node& a = add_node();
  Node& b = add_node();
  OsRng rng;
  PublicKey expected = generate_keypair(rng).pub;
  trust(b, a, false);
  // a believes `expected` listens where b does.
  ASSERT_TRUE(a->trust_add(TrustedPeer{expected, "", {b.endpoint()}}).ok());
  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "", {}}).ok());  // even b is trusted
  ASSERT_TRUE(run_until([&] { return b->status().handshakes_failed >= 1; }));
  // Logged at info, with the stranger's fingerprint.
  bool logged = false;
  for (const auto& l : a.sink.lines())
    logged = logged || (l.level == LogLevel::info && l.message.find("dialled " + peer_tag(expected)) == 0 &&
                        l.message.find(fingerprint(b.key())) != std::string::npos);
  EXPECT_TRUE(logged) << log_of(a);
  EXPECT_EQ(b->status().handshakes_ok, 0u);  // b never saw message 3
  EXPECT_FALSE(online(a, b));
}

class CallTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    a_ = &add_node();
    b_ = &add_node();
    trust(*b_, *a_, false);
    trust(*a_, *b_);
    ASSERT_TRUE(connected(*a_, *b_));
    handler_ = std::make_shared<TestHandler>();
    ASSERT_TRUE((*b_)->expose("echo", 1, handler_).ok());
  }
  Node& a() { return *a_; }
  Node& b() { return *b_; }
  Node* a_ = nullptr;
  Node* b_ = nullptr;
  std::shared_ptr<TestHandler> handler_;
};

TEST_F(CallTest, CallGetsTheReply) {
  CallResult r;
  ASSERT_TRUE(call(a(), b(), "echo", mp_str("hello"), r).ok());
  EXPECT_EQ(r.runs, 0);  // never from inside call()
  ASSERT_TRUE(run_until([&] { return r.runs > 0; }));
  ASSERT_TRUE(r.result->ok()) << r.result->error().describe();
  EXPECT_EQ(**r.result, mp_str("hello"));
  run_nowait();
  EXPECT_EQ(r.runs, 1);
  EXPECT_EQ(a()->status().calls_out, 1u);
  EXPECT_EQ(b()->status().calls_in, 1u);
}

TEST_F(CallTest, ManyCallsInFlightAllComplete) {
  std::vector<CallResult> results(200);
  for (size_t i = 0; i < results.size(); ++i)
    ASSERT_TRUE(call(a(), b(), "echo", mp_str(std::to_string(i)), results[i]).ok());
  ASSERT_TRUE(run_until([&] {
    return std::all_of(results.begin(), results.end(), [](const CallResult& r) { return r.runs > 0; });
  }));
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].result->ok());
    EXPECT_EQ(**results[i].result, mp_str(std::to_string(i)));
    EXPECT_EQ(results[i].runs, 1);
  }
}

TEST_F(CallTest, SendIsDelivered) {
  ASSERT_TRUE(a()->send(b().key(), "echo", mp_str("ping")).ok());
  ASSERT_TRUE(run_until([&] { return handler_->sends.size() == 1; }));
  EXPECT_EQ(handler_->sends[0].peer, a().key());
  EXPECT_EQ(handler_->sends[0].handle, "echo");
  EXPECT_EQ(handler_->sends[0].args, mp_str("ping"));
  EXPECT_EQ(a()->status().sends_out, 1u);
}

TEST_F(CallTest, UnknownHandleIsNoSuchHandle) {
  CallResult r;
  ASSERT_TRUE(call(a(), b(), "nothing.here", {}, r).ok());
  ASSERT_TRUE(run_until([&] { return r.runs > 0; }));
  ASSERT_FALSE(r.result->ok());
  EXPECT_EQ(r.result->error().code, Errc::no_such_handle);
}

TEST_F(CallTest, AllowListForbidsOtherPeers) {
  OsRng rng;
  ASSERT_TRUE(b()->expose("private", 1, handler_, {generate_keypair(rng).pub}).ok());
  ASSERT_TRUE(b()->expose("shared", 1, handler_, {a().key()}).ok());
  CallResult denied, allowed;
  ASSERT_TRUE(call(a(), b(), "private", {}, denied).ok());
  ASSERT_TRUE(call(a(), b(), "shared", mp_str("x"), allowed).ok());
  ASSERT_TRUE(run_until([&] { return denied.runs > 0 && allowed.runs > 0; }));
  ASSERT_FALSE(denied.result->ok());
  // Answered as for a missing name: the caller learns nothing of "private".
  EXPECT_EQ(denied.result->error().code, Errc::no_such_handle);
  ASSERT_TRUE(allowed.result->ok());
  // A send to a forbidden handle is dropped by the receiver (and reported:
  // SendsToUnexposedHandlesAreReported).
  ASSERT_TRUE(a()->send(b().key(), "private", {}).ok());
  ASSERT_TRUE(a()->send(b().key(), "shared", mp_str("after")).ok());
  ASSERT_TRUE(run_until([&] { return !handler_->sends.empty(); }));
  ASSERT_EQ(handler_->sends.size(), 1u);
  EXPECT_EQ(handler_->sends[0].args, mp_str("after"));
}

// A send to a handle the receiver does not expose to the sender is reported
// back (protocol.md §5.1), the same way for a handle allow-listed for
// other peers as for one that does not exist; the sender counts it.
TEST_F(CallTest, SendsToUnexposedHandlesAreReported) {
  OsRng rng;
  ASSERT_TRUE(b()->expose("private", 1, handler_, {generate_keypair(rng).pub}).ok());
  using Report = std::pair<std::string, std::string>;
  std::vector<Report> reports;
  a()->subscribe_refused([&](const PublicKey& peer, const std::string& handle, const std::string& code) {
    EXPECT_EQ(peer, b().key());
    reports.emplace_back(handle, code);
  });
  ASSERT_TRUE(a()->send(b().key(), "private", {}).ok());
  ASSERT_TRUE(a()->send(b().key(), "nothing.here", {}).ok());
  ASSERT_TRUE(a()->send(b().key(), "echo", mp_str("x")).ok());
  ASSERT_TRUE(run_until([&] { return reports.size() == 2 && handler_->sends.size() == 1; }));
  EXPECT_EQ(reports[0], (Report{"private", "no_such_handle"}));
  EXPECT_EQ(reports[1], (Report{"nothing.here", "no_such_handle"}));
  EXPECT_EQ(a()->status().sends_refused, 2u);
  EXPECT_EQ(b()->status().sends_refusals_sent, 2u);
  auto shown = a()->show(b().key());
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->counters.at("sends_refused"), 2u);
  EXPECT_EQ(shown->counters.at("sends_out"), 3u);
  auto other = b()->show(a().key());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->counters.at("sends_in"), 3u);
}

// peer.ping: round trips timed by ping and pong, counted per peer.
TEST_F(CallTest, PingTimesRoundTrips) {
  std::vector<Result<double>> got;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(a()->ping(b().key(), 5, [&](Result<double> r) { got.push_back(std::move(r)); }).ok());
  ASSERT_TRUE(run_until([&] { return got.size() == 3; }));
  for (const auto& r : got) {
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_GT(*r, 0.0);
  }
  auto shown = a()->show(b().key());
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->counters.at("pings"), 3u);
  EXPECT_TRUE(shown->rtt_ms.has_value());
  EXPECT_EQ(shown->counters.at("handshakes_ok"), 1u);
  OsRng rng;
  Status offline = a()->ping(generate_keypair(rng).pub, 5, [](Result<double>) { ADD_FAILURE() << "called back"; });
  ASSERT_FALSE(offline.ok());
  EXPECT_EQ(offline.error().code, Errc::peer_offline);
}

TEST_F(CallTest, HandlerErrorsKeepTheirCode) {
  handler_->echo = false;
  CallResult known, custom, dropped;
  ASSERT_TRUE(call(a(), b(), "echo", {}, known).ok());
  ASSERT_TRUE(call(a(), b(), "echo", {}, custom).ok());
  ASSERT_TRUE(call(a(), b(), "echo", {}, dropped).ok());
  ASSERT_TRUE(run_until([&] { return handler_->held.size() == 3; }));
  handler_->held[0].responder.fail("busy", "try later");
  handler_->held[1].responder.fail("out_of_paper", "printer says no");
  handler_->held.pop_back();  // destroyed unanswered
  ASSERT_TRUE(run_until([&] { return known.runs && custom.runs && dropped.runs; }));
  EXPECT_EQ(known.result->error().code, Errc::busy);
  EXPECT_EQ(known.result->error().message, "try later");
  EXPECT_EQ(custom.result->error().code, Errc::handler_failed);
  EXPECT_NE(custom.result->error().message.find("out_of_paper"), std::string::npos);
  EXPECT_EQ(dropped.result->error().code, Errc::handler_failed);
  EXPECT_EQ(dropped.result->error().message, "handler dropped the call");
}

TEST_F(CallTest, BadCallsFailAtOnceWithoutCallback) {
  int runs = 0;
  auto cb = [&](Result<Bytes>) { ++runs; };
  OsRng rng;
  EXPECT_EQ(a()->call(generate_keypair(rng).pub, "echo", {}, 1, cb).error().code, Errc::peer_offline);
  EXPECT_EQ(a()->call(b().key(), "bad handle!", {}, 1, cb).error().code, Errc::bad_request);
  EXPECT_EQ(a()->call(b().key(), "echo", Bytes{0x92, 0x01}, 1, cb).error().code, Errc::bad_request);
  EXPECT_EQ(a()->call(b().key(), "echo", mp_bin(2 << 20), 1, cb).error().code, Errc::payload_too_large);
  EXPECT_EQ(a()->send(b().key(), "echo", mp_bin(2 << 20)).error().code, Errc::payload_too_large);
  EXPECT_EQ(a()->send(generate_keypair(rng).pub, "echo", {}).error().code, Errc::peer_offline);
  EXPECT_EQ(a()->status().sends_dropped, 2u);
  run_nowait();
  EXPECT_EQ(runs, 0);
}

TEST_F(CallTest, UnansweredCallTimesOutExactlyOnce) {
  handler_->echo = false;
  CallResult r;
  ASSERT_TRUE(call(a(), b(), "echo", {}, r, 0.1).ok());
  ASSERT_TRUE(run_until([&] { return r.runs > 0; }));
  ASSERT_FALSE(r.result->ok());
  EXPECT_EQ(r.result->error().code, Errc::timeout);
  // The late answer is ignored.
  ASSERT_EQ(handler_->held.size(), 1u);
  handler_->held[0].responder.reply(mp_str("late"));
  ASSERT_TRUE(run_until([&] { return log_of(a()).find("answer to unknown call") != std::string::npos; }));
  EXPECT_EQ(r.runs, 1);
}

TEST_F(CallTest, PeerDyingMidCallFailsThePendingCallAtOnce) {
  handler_->echo = false;
  CallResult r;
  ASSERT_TRUE(call(a(), b(), "echo", {}, r, 60).ok());
  ASSERT_TRUE(run_until([&] { return handler_->held.size() == 1; }));
  // The held call stays unanswered: b's daemon goes away first.
  PublicKey bkey = b().key();
  b().daemon.reset();  // its sockets close abruptly, no goodbye
  // Long before the call's 60 s (the loop fixture gives up after 10 s).
  ASSERT_TRUE(run_until([&] { return r.runs > 0; }));
  ASSERT_FALSE(r.result->ok());
  EXPECT_EQ(r.result->error().code, Errc::peer_offline);
  EXPECT_NE(r.result->error().message.find(peer_tag(bkey)), std::string::npos);
  EXPECT_EQ(a().count(PeerEvent::Kind::down, bkey), 1u);
  EXPECT_EQ(r.runs, 1);
}

TEST_F(CallTest, RevokingTrustClosesTheSessionAndFailsCalls) {
  handler_->echo = false;
  CallResult r;
  ASSERT_TRUE(call(a(), b(), "echo", {}, r, 60).ok());
  ASSERT_TRUE(run_until([&] { return handler_->held.size() == 1; }));
  ASSERT_TRUE(a()->trust_remove(b().key()).ok());
  // At once: no loop iteration needed.
  EXPECT_EQ(r.runs, 1);
  ASSERT_TRUE(r.result.has_value());
  EXPECT_EQ(r.result->error().code, Errc::peer_offline);
  EXPECT_FALSE(a().info_of(b().key()).has_value());
  EXPECT_EQ(a()->trust().find(b().key()), nullptr);
  // b hears why.
  ASSERT_TRUE(run_until([&] { return b().count(PeerEvent::Kind::down, a().key()) == 1; }));
  EXPECT_EQ(b().events.back().reason, "untrusted_peer");
  // The file on disk no longer lists b.
  auto onfile = TrustStore::load(a().dir + "/trust.toml");
  ASSERT_TRUE(onfile.ok());
  EXPECT_EQ(onfile->find(b().key()), nullptr);
  EXPECT_EQ(a()->trust_remove(b().key()).error().code, Errc::no_such_peer);
}

TEST_F(CallTest, StopFailsPendingCallsWithCancelled) {
  handler_->echo = false;
  CallResult r;
  ASSERT_TRUE(call(a(), b(), "echo", {}, r, 60).ok());
  ASSERT_TRUE(run_until([&] { return handler_->held.size() == 1; }));
  stop(a());
  EXPECT_EQ(r.runs, 1);
  EXPECT_EQ(r.result->error().code, Errc::cancelled);
  ASSERT_TRUE(run_until([&] { return b().count(PeerEvent::Kind::down, a().key()) == 1; }));
  EXPECT_EQ(b().events.back().reason, "shutdown");
}


TEST_F(DaemonTest, ReloadDropsOnlyThePeersRemovedOnDisk) {
  Node& a = add_node();
  Node& b = add_node();
  Node& c = add_node();
  trust(b, a, false);
  trust(c, a, false);
  trust(a, b);
  trust(a, c);
  ASSERT_TRUE(connected(a, b));
  ASSERT_TRUE(connected(a, c));
  auto b_session = a.info_of(b.key())->session;

  // An operator edits the file: c goes, a new peer d comes.
  Node& d = add_node();
  trust(d, a, false);
  auto onfile = TrustStore::load(a.dir + "/trust.toml");
  ASSERT_TRUE(onfile.ok());
  ASSERT_TRUE(onfile->remove(c.key()));
  ASSERT_TRUE(onfile->add_or_update(TrustedPeer{d.key(), "dee", {d.endpoint()}}).ok());
  ASSERT_TRUE(onfile->save(a.dir + "/trust.toml").ok());
  Config changed = a->config();
  changed.session.call_timeout = 7;
  changed.network.listen = {Endpoint{"127.0.0.1", 1}};  // needs a restart
  ASSERT_TRUE(a->reload(changed).ok());

  EXPECT_FALSE(a.info_of(c.key()).has_value());  // at once
  ASSERT_TRUE(run_until([&] { return c.count(PeerEvent::Kind::down, a.key()) == 1; }));
  EXPECT_EQ(c.events.back().reason, "untrusted_peer");
  ASSERT_TRUE(connected(a, d));
  // b's session is the very same one, and b never went down.
  auto b_now = a.info_of(b.key())->session;
  ASSERT_TRUE(b_now);
  EXPECT_EQ(b_now->local, b_session->local);
  EXPECT_EQ(a.count(PeerEvent::Kind::down, b.key()), 0u);
  EXPECT_EQ(b.count(PeerEvent::Kind::down, a.key()), 0u);
  EXPECT_EQ(a->config().session.call_timeout, 7);
  EXPECT_NE(a->config().network.listen[0].port, 1);
  EXPECT_NE(log_of(a).find("network.listen needs a restart, ignoring"), std::string::npos);
}

TEST_F(DaemonTest, ReloadWithABrokenTrustFileChangesNothing) {
  Node& a = add_node();
  Node& b = add_node();
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  {
    std::FILE* f = std::fopen((a.dir + "/trust.toml").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("[[peer]]\nid = \"not an id\"\n", f);
    std::fclose(f);
  }
  auto st = a->reload(a->config());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::config_error);
  EXPECT_NE(a->trust().find(b.key()), nullptr);
  EXPECT_TRUE(online(a, b));
}

TEST_F(DaemonTest, RekeyingEveryFewMessagesKeepsCallsWorking) {
  auto rekey_often = [](Config& c) { c.session.rekey_after_messages = 3; };
  Node& a = add_node(rekey_often);
  Node& b = add_node(rekey_often);
  trust(b, a, false);
  trust(a, b);
  ASSERT_TRUE(connected(a, b));
  ASSERT_TRUE(b->expose("echo", 1, std::make_shared<TestHandler>()).ok());
  // One call at a time, so that every call is its own Noise message and
  // the keys change every third message in each direction.
  int done = 0;
  for (int i = 0; i < 40; ++i) {
    CallResult r;
    ASSERT_TRUE(call(a, b, "echo", mp_str(std::to_string(i)), r).ok());
    ASSERT_TRUE(run_until([&] { return r.runs > 0; }));
    ASSERT_TRUE(r.result->ok()) << "call " << i << ": " << r.result->error().describe();
    EXPECT_EQ(**r.result, mp_str(std::to_string(i)));
    ++done;
  }
  EXPECT_EQ(done, 40);
  EXPECT_GE(a.info_of(b.key())->session->envelopes_out, 40u);
}

TEST_F(DaemonTest, TrustAddRefusesOurOwnKeyAndStartsDialling) {
  Node& a = add_node();
  EXPECT_EQ(a->trust_add(TrustedPeer{a.key(), "", {}}).error().code, Errc::bad_request);
  Node& b = add_node();
  trust(b, a, false);
  ASSERT_TRUE(a->trust_add(TrustedPeer{b.key(), "bee", {b.endpoint()}}).ok());
  ASSERT_TRUE(connected(a, b));
  EXPECT_GE(a.count(PeerEvent::Kind::connecting, b.key()), 1u);
  auto st = a->status();
  EXPECT_EQ(st.peers_trusted, 1u);
  EXPECT_EQ(st.peers_online, 1u);
  EXPECT_GT(st.bytes_out, 0u);
}

}  // namespace
}  // namespace peernet::testing
