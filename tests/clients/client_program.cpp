// A program built outside the source tree against the installed
// libpeernet-client, with nothing but `pkg-config --cflags --libs
// peernet-client` (tests/e2e/clients_cpp_test.sh builds and runs it).
//
//   client_program SOCKET_A SOCKET_B PEER_B PEER_A ADDR_A
//
// On daemon B it exposes handles and serves them from a thread that runs an
// event loop of its own: poll() on Client::fd(), then Client::process().
// Through daemon A it calls and sends to them on PEER_B (daemon B), and
// checks every answer and error code. Then B stops trusting PEER_A and
// trusts it again (at ADDR_A), and the loop must see peer.down and peer.up. Prints "ok" and exits 0, else says
// what differed and exits 1. Every wait is bounded.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include <peernet/client.hpp>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << "\n";
    ++failures;
  }
}

// The code of the ClientError `fn` throws, or "" when it throws none.
template <class F>
std::string error_code(F fn) {
  try {
    fn();
  } catch (const peernet::ClientError& e) {
    return e.code();
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: client_program SOCKET_A SOCKET_B PEER_B PEER_A ADDR_A\n";
    return 2;
  }
  const std::string sock_a = argv[1], sock_b = argv[2], peer_b = argv[3], peer_a = argv[4],
                    addr_a = argv[5];
  check(std::string(peernet::version()) == "0.1.0", "version()");

  // ---- daemon B: handles served from an event loop ----
  peernet::Client b = peernet::Client::connect(sock_b);
  std::atomic<int> sends{0};
  std::string last_send;  // written by the loop thread before `sends` is bumped
  b.expose(
      "cpp.echo", [](const peernet::Request& r) { return peernet::Answer::result(r.args); },
      [&](const peernet::Request& r) {
        last_send = peernet::json_from_msgpack(r.args) + " from " + r.peer_name.value_or("?");
        ++sends;
      });
  b.expose("cpp.fail", [](const peernet::Request&) -> peernet::Answer {
    throw std::runtime_error("the handler broke");
  });
  b.expose("cpp.refuse",
           [](const peernet::Request&) { return peernet::Answer::error("busy", "come back later"); });
  check(error_code([&] { b.expose("cpp.echo", {}); }) == "handle_taken", "expose twice: handle_taken");
  std::atomic<int> downs{0}, ups{0};
  b.subscribe(
      [&](const peernet::Event& e) {
        if (e.name != peer_a) return;
        if (e.kind == "peer.down") ++downs;
        if (e.kind == "peer.up" && downs > 0) ++ups;
      },
      {"peer.up", "peer.down"});
  check(error_code([&] { b.subscribe({}, {"peer.sideways"}); }) == "bad_request", "unknown event");

  std::atomic<bool> stop{false};
  std::string loop_error;
  std::thread loop([&] {
    try {
      while (!stop) {
        pollfd p{b.fd(), POLLIN, 0};
        if (b.pending() || ::poll(&p, 1, 100) > 0) b.process();
      }
    } catch (const peernet::ClientError& e) {
      loop_error = e.what();
    }
  });

  // ---- daemon A: the caller ----
  try {
    peernet::Client a = peernet::Client::connect(sock_a, peernet::Options{30, 10});
    peernet::Identity id = a.identity();
    check(id.id.size() == 63 && id.public_key.size() == 32 && !id.fingerprint.empty(), "identity");
    bool online = false;
    for (const auto& p : a.peers()) {
      if (p.name == peer_b) online = p.state == "online" && p.trusted;
    }
    check(online, "peers: " + peer_b + " online");
    bool listed = false;
    for (const auto& t : a.trust_list()) listed = listed || t.name == peer_b;
    check(listed, "trust_list");

    const std::string args = R"({"n":[1,2],"s":"hi","nil":null})";
    peernet::Bytes answer = a.call(peer_b, "cpp.echo", peernet::msgpack_from_json(args), 20.0);
    check(peernet::json_from_msgpack(answer) == args,
          "call cpp.echo answered " + peernet::json_from_msgpack(answer));
    check(error_code([&] { a.call(peer_b, "cpp.fail", {}, 20.0); }) == "handler_failed",
          "a throwing handler: handler_failed");
    check(error_code([&] { a.call(peer_b, "cpp.refuse", {}, 20.0); }) == "busy",
          "a handler's own code: busy");
    check(error_code([&] { a.call(peer_b, "nothing-here", {}, 20.0); }) == "no_such_handle",
          "no_such_handle");
    check(error_code([&] { a.call("nobody-here", "cpp.echo", {}); }) == "no_such_peer", "no_such_peer");
    check(error_code([&] { a.call(peer_b, "cpp.echo", {}, 0.0); }) == "bad_request", "timeout 0");

    peernet::SendResult sent = a.send(peer_b, "cpp.echo", peernet::msgpack_from_json("[3]"));
    check(sent.delivered, "send delivered");
    for (int i = 0; i < 300 && sends == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    check(sends == 1, "the send reached the handler");
    if (sends == 1) check(last_send == "[3] from " + peer_a, "the send's args and peer: " + last_send);

    // Events: a second connection to B bounces A's trust; B's loop sees it.
    peernet::Client admin = peernet::Client::connect(sock_b);
    std::string id_a = a.identity().id;
    admin.trust_remove(peer_a);
    bool gone = true;
    for (const auto& t : admin.trust_list()) gone = gone && t.id != id_a;
    check(gone, "trust_remove");
    check(admin.trust_add(id_a, peer_a, std::vector<std::string>{addr_a}) == id_a, "trust_add");
    for (int i = 0; i < 300 && ups == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    check(downs >= 1 && ups >= 1, "events: peer.down then peer.up");
  } catch (const peernet::ClientError& e) {
    check(false, std::string("unexpected error: ") + e.what());
  }
  stop = true;
  loop.join();
  check(loop_error.empty(), "event loop: " + loop_error);

  check(error_code([] { peernet::Client::connect("/nonexistent/peernetd.sock"); }) == "closed",
        "no daemon: closed");
  check(error_code([] { peernet::msgpack_from_json("{oops"); }) == "bad_request", "bad JSON");
  ::setenv("PEERNET_SOCKET", sock_a.c_str(), 1);
  check(peernet::resolve_socket_path() == sock_a, "resolve_socket_path follows $PEERNET_SOCKET");
  check(peernet::resolve_socket_path("/x.sock") == "/x.sock", "resolve_socket_path: explicit path");

  if (failures != 0) return 1;
  std::cout << "ok\n";
  return 0;
}
