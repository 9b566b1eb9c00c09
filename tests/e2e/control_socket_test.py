#!/usr/bin/python3
"""Real peernetd processes and a msgpack-RPC client in Python on their control sockets.

    control_socket_test.py PATH/TO/peernetd

Checks: hello/identity/status and error answers over the socket; the socket file's mode
(0660) and its removal on SIGTERM; a stale socket left by a killed daemon is replaced, a live
one makes a second daemon refuse to start; two daemons paired through trust.add, where a
client of one exposes a handle and a client of the other calls it; --user puts the files in
the XDG directories even as root.

Everything lives in one temporary directory (removed on exit); only processes this script
starts are signalled, by PID. Every wait is bounded. Exits 77 (skip) without python3-msgpack.
"""
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

try:
    import msgpack
except ImportError:
    print("python3-msgpack is not installed; skipping")
    sys.exit(77)

PEERNETD = os.path.realpath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="peernet-e2e-control.")
PROCS = []


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


class Daemon:
    def __init__(self, name, *args, env=None):
        self.name = name
        self.out = open(os.path.join(TMP, name + ".out"), "ab")
        self.err = open(os.path.join(TMP, name + ".err"), "ab")
        # A restarted daemon appends; only what it writes counts.
        self.offset = {"out": self.out.tell(), "err": self.err.tell()}
        self.proc = subprocess.Popen([PEERNETD, "--foreground", *args], stdout=self.out,
                                     stderr=self.err, env=env or os.environ.copy())
        PROCS.append(self.proc)

    def text(self, stream):
        with open(os.path.join(TMP, self.name + "." + stream), "rb") as f:
            f.seek(self.offset[stream])
            return f.read().decode("utf-8", errors="replace")

    def wait_line(self, prefix):
        """The value of the first stdout line starting with `prefix` (waits up to 10 s)."""
        for _ in range(100):
            m = re.search("^" + re.escape(prefix) + "(.*)$", self.text("out"), re.M)
            if m:
                return m.group(1)
            check(self.proc.poll() is None, f"{self.name} exited with {self.proc.returncode}")
            time.sleep(0.1)
        raise Fail(f"{self.name}: no {prefix!r} line within 10 s")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise Fail(f"{self.name} did not exit within 10 s of signal {sig}")
        if sig == signal.SIGTERM:
            check(rc == 0, f"{self.name} exited with {rc} after SIGTERM")


class Client:
    """One control connection, as guides/control-api.md §8 shows it."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.msgid = 0
        self.pending = []  # messages read while waiting for something else

    def send(self, msg):
        self.sock.sendall(msgpack.packb(msg, use_bin_type=True))

    def receive(self):
        if self.pending:
            return self.pending.pop(0)
        while True:
            for msg in self.unpacker:
                return msg
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the daemon closed the connection")
            self.unpacker.feed(data)

    def request(self, method, params=None):
        self.msgid += 1
        self.send([0, self.msgid, method, [params or {}]])
        return self.msgid

    def response(self, msgid):
        """(error, result) of the response to msgid."""
        held = []
        while True:
            msg = self.receive()
            if msg[0] == 1 and msg[1] == msgid:
                self.pending = held + self.pending
                return msg[2], msg[3]
            held.append(msg)

    def call(self, method, params=None):
        error, result = self.response(self.request(method, params))
        check(error is None, f"{method}: {error}")
        return result

    def error(self, method, params=None):
        error, _ = self.response(self.request(method, params))
        check(error is not None, f"{method}: expected an error")
        return error["code"]


def isolated_env(home):
    env = os.environ.copy()
    env.update(HOME=home, XDG_CONFIG_HOME=home + "/.config", XDG_STATE_HOME=home + "/.local/state",
               XDG_RUNTIME_DIR=home + "/run")
    os.makedirs(home + "/run", mode=0o700, exist_ok=True)
    return env


def write_config(name):
    path = os.path.join(TMP, name + ".toml")
    with open(path, "w") as f:
        f.write('[daemon]\nlog_level = "debug"\n[network]\nlisten = ["127.0.0.1:0"]\n'
                'handshake_timeout = "2s"\n[session]\nreconnect_min = "100ms"\n'
                'reconnect_max = "500ms"\n'
                # Tests outside a network namespace never multicast on the host.
                '[discovery]\nmdns = false\n')
    return path


def start(name):
    # Explicit paths for everything; the environment still points at TMP so
    # that nothing can reach the invoking user's real directories.
    return Daemon(name, "--config", write_config(name), "--state-dir", os.path.join(TMP, "state-" + name),
                  "--socket", os.path.join(TMP, "run", name + ".sock"),
                  env=isolated_env(os.path.join(TMP, "home-explicit")))


def test_basics():
    a = start("a")
    peer_id = a.wait_line("peer id: ")
    sock = a.wait_line("control socket: ")
    check(sock == os.path.join(TMP, "run", "a.sock"), f"socket path {sock}")
    check(stat.S_IMODE(os.stat(sock).st_mode) == 0o660, "socket mode is not 0660")

    c = Client(sock)
    hello = c.call("hello", {"version": 1, "client": "control_socket_test.py"})
    check(hello["version"] == 1 and hello["id"] == peer_id, f"hello: {hello}")
    check(hello["admin"] is True, "the daemon's own uid is not an admin")
    ident = c.call("identity")
    check(ident["id"] == peer_id, f"identity: {ident}")
    check(isinstance(ident["public_key"], bytes) and len(ident["public_key"]) == 32, "public_key")
    status = c.call("status")
    check(status["id"] == peer_id and status["peers_total"] == 0, f"status: {status}")
    check(status["counters"]["control_clients"] == 1, f"counters: {status['counters']}")
    # Errors are answers; the connection goes on.
    check(c.error("call", {"tiemout": 1}) == "bad_request", "bad params")
    check(c.error("reboot") == "unsupported", "unknown method")
    check(c.error("send", {"peer": "nobody", "handle": "x", "args": None}) == "no_such_peer", "peer")
    check(c.call("identity")["id"] == peer_id, "identity after errors")

    # A second daemon on the same socket finds it alive and refuses.
    dup = Daemon("dup", "--config", write_config("dup"), "--state-dir", os.path.join(TMP, "state-dup"),
                 "--socket", sock, env=isolated_env(os.path.join(TMP, "home-explicit")))
    try:
        rc = dup.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise Fail("a second daemon on a live socket did not exit")
    check(rc == 1, f"second daemon exit code {rc}")
    check("is listening on the control socket" in dup.text("err"), "no 'is listening' message")
    check(c.call("identity")["id"] == peer_id, "the first daemon lost its socket")

    # Killed, it leaves its socket behind; the next start replaces it.
    a.stop(signal.SIGKILL)
    check(os.path.exists(sock), "a killed daemon's socket vanished")
    a = start("a")
    check(a.wait_line("control socket: ") == sock, "socket path after restart")
    check("removed stale control socket" in a.text("err"), "stale socket not reported")
    check(Client(sock).call("identity")["id"] == peer_id, "identity after restart")
    a.stop()
    check(not os.path.exists(sock), "socket not removed on SIGTERM")


def test_two_daemons():
    a, b = start("pa"), start("pb")
    id_a, id_b = a.wait_line("peer id: "), b.wait_line("peer id: ")
    ca, cb = Client(a.wait_line("control socket: ")), Client(b.wait_line("control socket: "))
    port_a = re.search(r"listening on 127\.0\.0\.1:(\d+)", a.text("err")).group(1)
    port_b = re.search(r"listening on 127\.0\.0\.1:(\d+)", b.text("err")).group(1)
    cb.call("subscribe", {"events": ["peer.up"]})
    ca.call("trust.add", {"id": id_b, "name": "bee", "addrs": ["127.0.0.1:" + port_b]})
    cb.call("trust.add", {"id": id_a, "name": "ay", "addrs": ["127.0.0.1:" + port_a]})
    while True:  # the peer.up notification (receive() times out after 10 s)
        msg = cb.receive()
        if msg[0] == 2 and msg[1] == "peer.up":
            check(msg[2][0]["id"] == id_a and msg[2][0]["name"] == "ay", f"peer.up: {msg}")
            break

    ca.call("expose", {"handle": "echo"})
    call = cb.request("call", {"peer": "ay", "handle": "echo", "args": {"text": "hi"}, "timeout": 5.0})
    req = ca.receive()
    check(req[0] == 0 and req[2] == "handle.call", f"expected handle.call, got {req}")
    params = req[3][0]
    check(params["peer"] == id_b and params["peer_name"] == "bee" and params["args"] == {"text": "hi"},
          f"handle.call params: {params}")
    ca.send([1, req[1], None, {"text": "hi back"}])
    error, result = cb.response(call)
    check(error is None and result == {"text": "hi back"}, f"call: {error} {result}")

    sent = cb.call("send", {"peer": "ay", "handle": "echo", "args": [1, 2, 3]})
    check(sent == {"delivered": True}, f"send: {sent}")
    note = ca.receive()
    check(note[0] == 2 and note[1] == "handle.send" and note[2][0]["args"] == [1, 2, 3], f"{note}")
    peers = ca.call("peers")
    check(len(peers) == 1 and peers[0]["state"] == "online" and peers[0]["name"] == "bee", f"{peers}")
    a.stop()
    b.stop()


def test_user_mode():
    home = os.path.join(TMP, "home")
    env = isolated_env(home)
    # The default config path of user mode, so that mDNS stays off here too.
    os.makedirs(home + "/.config/peernet", exist_ok=True)
    with open(home + "/.config/peernet/peernetd.toml", "w") as f:
        f.write("[discovery]\nmdns = false\n")
    u = Daemon("user", "--user", "--listen", "127.0.0.1:0", env=env)
    sock = u.wait_line("control socket: ")
    check(sock == home + "/run/peernet/peernetd.sock", f"user-mode socket {sock}")
    check(stat.S_IMODE(os.stat(home + "/run/peernet").st_mode) == 0o700, "runtime dir is not 0700")
    check(os.path.exists(home + "/.local/state/peernet/identity.key"), "no identity in XDG_STATE_HOME")
    check(Client(sock).call("identity")["id"] == u.wait_line("peer id: "), "identity in user mode")
    u.stop()
    check(not os.path.exists(sock), "user-mode socket not removed")


def main():
    os.makedirs(os.path.join(TMP, "run"), mode=0o700)
    try:
        test_basics()
        test_two_daemons()
        test_user_mode()
    except (Fail, EOFError, OSError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for name in sorted(os.listdir(TMP)):
            if name.endswith((".out", ".err")):
                with open(os.path.join(TMP, name), errors="replace") as f:
                    print(f"--- {name}\n{f.read()}", file=sys.stderr)
        return 1
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
