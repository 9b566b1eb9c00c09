#!/usr/bin/python3
"""Streaming sends (the `send` notification, send.dropped, send.flush) between
two real peernetd processes on loopback, in raw msgpack over the control
socket, so that the bytes on the wire are what is tested.

    stream_test.py PATH/TO/peernetd PATH/TO/peernetctl

Daemons a and b trust each other (aliases "a" and "b"); a also trusts
"ghost", a peer id nobody has, which is never online. A sink client on b
exposes handles and counts the handle.send notifications it reads.

  offline     N sends to ghost: send.dropped peer_offline runs covering
              exactly 1..N; send.flush says sent N, dropped N
  no_handle   N sends to a handle b does not have: no_such_handle drops
              (first nil) summing to N, all before the send.flush answer,
              which says dropped N, confirmed
  oversized   small sends with one over session.max_envelope in the middle:
              exactly that one dropped (payload_too_large, its number, count
              1); the sink on b counts all the others
  bad_params  an unknown peer, an invalid handle name, no args: each dropped
              with its number and reason; the sends around them arrive and
              the connection still answers requests
  backpressure
              2,000 sends of 64 KiB while the sink on b first does not read
              at all, then reads slowly: a stops reading the sender
              (stream_waits grows, its socket stays full across a round
              trip on a), peak RSS of both daemons stays under 150 MiB
              (not checked under AddressSanitizer), and every send arrives
  disconnect  N sends, send.flush, close at once: the sink gets exactly N
  ctl         peernetctl send --stream: to the sink (exit 0, summary), with
              a line that is not JSON (exit 2, that line named), to ghost
              (exit 3, --json counts)
  peer_lost   b closes the session while a holds a stream back: the sends
              not handed to it dropped as one range up to the last, the
              flush not confirmed; then a and b are paired again

Everything lives in one temporary directory (removed on exit); only
processes this script starts are signalled, by PID. Every wait and load
loop is bounded in count and time; nothing is timed. Exits 77 (skip)
without python3-msgpack.
"""
import fcntl
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback

try:
    import msgpack
except ImportError:
    print("python3-msgpack is not installed; skipping")
    sys.exit(77)

PEERNETD = os.path.realpath(sys.argv[1])
PEERNETCTL = os.path.realpath(sys.argv[2])
ONLY = sys.argv[3:]  # scenario names to run (default: all)
TMP = tempfile.mkdtemp(prefix="peernet-e2e-stream.")
PROCS = []
WAIT = 60.0  # seconds any one expected thing may take


from e2e_util import DaemonProcess, Fail, check, peer_id, wait_for  # noqa: E402


def sanitized_daemon():
    """Whether peernetd was built with AddressSanitizer (meson -Db_sanitize=address)."""
    with open(PEERNETD, "rb") as f:
        return b"__asan_init" in f.read()


class RemoteError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


class Control:
    """A raw msgpack-RPC connection to a control socket. Notifications read
    while waiting for an answer are kept in `notes`, in order."""

    def __init__(self, path, timeout=WAIT):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self.msgid = 0
        self.notes = []

    def close(self):
        self.s.close()

    def request(self, method, params=None):
        self.msgid += 1
        self.s.sendall(msgpack.packb([0, self.msgid, method, [params or {}]], use_bin_type=True))
        return self.msgid

    def stream(self, params):
        """One streamed send, exactly these params (the `send` notification)."""
        self.s.sendall(msgpack.packb([2, "send", [params]], use_bin_type=True))

    def next(self):
        while True:
            for msg in self.unpacker:
                return msg
            data = self.s.recv(1 << 16)
            if not data:
                raise Fail("the daemon closed the control connection")
            self.unpacker.feed(data)

    def response(self, msgid):
        while True:
            msg = self.next()
            if msg[0] == 1 and msg[1] == msgid:
                if msg[2] is not None:
                    raise RemoteError(msg[2])
                return msg[3]
            self.notes.append(msg)

    def call(self, method, params=None):
        return self.response(self.request(method, params))

    def dropped(self):
        """The send.dropped params read so far (and forgets them)."""
        out = [m[2][0] for m in self.notes if m[0] == 2 and m[1] == "send.dropped"]
        others = [m for m in self.notes if not (m[0] == 2 and m[1] == "send.dropped")]
        check(not others, f"unexpected messages: {others[:3]}")
        self.notes = []
        return out


class Daemon(DaemonProcess):
    def __init__(self, name, toml=""):
        super().__init__(PEERNETD, TMP, PROCS, name, toml)
        self.id = self.rpc("identity")["id"]

    def rpc(self, method, params=None):
        c = Control(self.sock)
        try:
            return c.call(method, params)
        finally:
            c.close()

    def counters(self):
        return self.rpc("status")["counters"]

    def online(self, name):
        return any(p.get("name") == name and p["state"] == "online" for p in self.rpc("peers"))


class Sink:
    """A client of b that exposes handles and counts the sends it reads, in a
    thread. While `hold` is set it reads nothing; `delay` seconds between
    reads make it a slow reader."""

    def __init__(self, daemon, handles):
        self.c = Control(daemon.sock)
        for h in handles:
            self.c.call("expose", {"handle": h})
        self.counts = {h: 0 for h in handles}
        self.args = {h: [] for h in handles}
        self.keep_args = True
        self.hold = threading.Event()
        self.delay = 0.0
        self.stopping = threading.Event()
        self.failure = []
        self.lock = threading.Lock()
        self.c.s.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stopping.is_set():
                if self.hold.is_set():
                    time.sleep(0.01)
                    continue
                try:
                    data = self.c.s.recv(1 << 16)
                except socket.timeout:
                    continue
                if not data:
                    raise Fail("b closed the sink's connection")
                self.c.unpacker.feed(data)
                for msg in self.c.unpacker:
                    if msg[0] == 2 and msg[1] == "handle.send":
                        p = msg[2][0]
                        with self.lock:
                            self.counts[p["handle"]] += 1
                            if self.keep_args:
                                self.args[p["handle"]].append(p["args"])
                if self.delay:
                    time.sleep(self.delay)
        except BaseException as e:  # reported by check_alive
            self.failure.append(e)

    def count(self, handle):
        with self.lock:
            return self.counts[handle]

    def take_args(self, handle):
        with self.lock:
            out, self.args[handle] = self.args[handle], []
            self.counts[handle] = 0
            return out

    def check_alive(self):
        check(not self.failure and self.thread.is_alive(), f"the sink failed: {self.failure}")

    def close(self):
        self.stopping.set()
        self.thread.join(10)
        self.c.close()


def runs_cover(drops, numbers, reason, what):
    """The send.dropped runs name exactly `numbers`, each once, for `reason`."""
    seen = []
    for d in drops:
        check(d["reason"] == reason, f"{what}: a drop for {d['reason']}: {d}")
        check(d["first"] is not None and d["count"] >= 1, f"{what}: a run without numbers: {d}")
        seen.extend(range(d["first"], d["first"] + d["count"]))
    check(sorted(seen) == sorted(numbers) and len(seen) == len(set(seen)),
          f"{what}: the runs name {len(seen)} sends, {min(seen, default=0)}..{max(seen, default=0)}; "
          f"expected {len(numbers)}: {drops[:4]}")


# ---------------------------------------------------------------------------------------

def scenario_offline(a, b, sink, ghost):
    n = 500
    before = a.counters()
    c = Control(a.sock)
    for i in range(n):
        c.stream({"peer": "ghost", "handle": "sink", "args": i})
    r = c.call("send.flush")
    drops = c.dropped()
    print(f"measured: offline: {n} sends -> {len(drops)} send.dropped; flush {r}")
    runs_cover(drops, range(1, n + 1), "peer_offline", "offline")
    for d in drops:
        check(d["peer"] == ghost and d["peer_name"] == "ghost" and d["handle"] == "sink", f"drop {d}")
    check(r == {"sent": n, "dropped": n, "confirmed": True}, f"flush answered {r}")
    # Counts go on across flushes: n more, then the totals are 2n.
    for i in range(n):
        c.stream({"peer": "ghost", "handle": "sink", "args": i})
    r = c.call("send.flush", {"timeout": 5.0})
    runs_cover(c.dropped(), range(n + 1, 2 * n + 1), "peer_offline", "offline, second flush")
    check(r == {"sent": 2 * n, "dropped": 2 * n, "confirmed": True}, f"second flush answered {r}")
    c.close()
    # The operator's counters (status) saw them too.
    after = a.counters()
    for key in ("stream_sends", "stream_dropped"):
        check(after[key] - before[key] == 2 * n, f"{key}: {before[key]} -> {after[key]}, expected +{2 * n}")


def scenario_no_handle(a, b, sink, ghost):
    n = 300
    c = Control(a.sock)
    for i in range(n):
        c.stream({"peer": "b", "handle": "nothing-here", "args": i})
    r = c.call("send.flush")
    drops = c.dropped()  # all of them read before the answer
    total = sum(d["count"] for d in drops)
    print(f"measured: no_handle: {n} sends -> {len(drops)} send.dropped summing to {total}; flush {r}")
    for d in drops:
        check(d["reason"] == "no_such_handle" and d["first"] is None and d["count"] >= 1,
              f"unexpected drop {d}")
        check(d["peer"] == b.id and d["peer_name"] == "b" and d["handle"] == "nothing-here", f"drop {d}")
    check(total == n, f"no_such_handle drops sum to {total} before the flush answer, expected {n}")
    check(r == {"sent": n, "dropped": n, "confirmed": True}, f"flush answered {r}")
    c.close()


def scenario_oversized(a, b, sink, ghost):
    n, big = 41, 21
    c = Control(a.sock)
    sink.take_args("sink")
    for i in range(1, n + 1):
        args = bytes((1 << 20) + 1024) if i == big else i
        c.stream({"peer": "b", "handle": "sink", "args": args})
    r = c.call("send.flush")
    drops = c.dropped()
    print(f"measured: oversized: drops {[(d['first'], d['count'], d['reason']) for d in drops]}; flush {r}")
    check(len(drops) == 1, f"expected one send.dropped, got {drops}")
    d = drops[0]
    check(d["first"] == big and d["count"] == 1 and d["reason"] == "payload_too_large" and
          d["peer"] == b.id and d["handle"] == "sink", f"the drop: {d}")
    check(r == {"sent": n, "dropped": 1, "confirmed": True}, f"flush answered {r}")
    # The flush answered after b read them; b's sink client reads them next.
    wait_for(WAIT, "the sink to count 40 sends", lambda: sink.count("sink") >= n - 1)
    got = sink.take_args("sink")
    check(got == [i for i in range(1, n + 1) if i != big], f"the sink got {got}")
    c.close()


def scenario_bad_params(a, b, sink, ghost):
    c = Control(a.sock)
    sink.take_args("sink")
    sends = [
        {"peer": "b", "handle": "sink", "args": 1},
        {"peer": "nobody-here", "handle": "sink", "args": 2},     # 2: no_such_peer
        {"peer": "b", "handle": "sink", "args": 3},
        {"peer": "b", "handle": "not a handle!", "args": 4},      # 4: bad_request
        {"peer": "b", "handle": "sink", "args": 5},
        {"peer": "b", "handle": "sink"},                          # 6: no args, bad_request
        {"peer": "b", "handle": "sink", "args": 7},
        {"peer": "b", "handle": "sink", "args": 8, "extra": 1},   # 8: unknown key, bad_request
        {"peer": "b", "handle": "sink", "args": 9},
    ]
    for p in sends:
        c.stream(p)
    r = c.call("send.flush")
    drops = c.dropped()
    print(f"measured: bad_params: drops {[(d['first'], d['count'], d['reason']) for d in drops]}; flush {r}")
    got = sorted((d["first"], d["count"], d["reason"]) for d in drops)
    check(got == [(2, 1, "no_such_peer"), (4, 1, "bad_request"), (6, 1, "bad_request"), (8, 1, "bad_request")],
          f"drops: {drops}")
    for d in drops:
        check(d["message"], f"a drop without a message: {d}")
        if d["first"] == 2:
            check(d["peer"] is None and d["handle"] == "sink", f"the unknown peer's drop: {d}")
        else:  # params that do not decode name no target
            check(d["peer"] is None and d["handle"] is None, f"the drop of bad params: {d}")
    check(r == {"sent": 9, "dropped": 4, "confirmed": True}, f"flush answered {r}")
    # The connection is still usable: requests, and more streamed sends.
    check(c.call("identity")["id"] == a.id, "identity after the bad sends")
    c.stream({"peer": "b", "handle": "sink", "args": 10})
    r = c.call("send.flush")
    check(r == {"sent": 10, "dropped": 4, "confirmed": True} and not c.dropped(), f"flush answered {r}")
    wait_for(WAIT, "the sink to count 6 sends", lambda: sink.count("sink") >= 6)
    check(sink.take_args("sink") == [1, 3, 5, 7, 9, 10], "the sink got other sends")
    c.close()


def scenario_backpressure(a, b, sink, ghost):
    n, size = 2000, 64 << 10
    waits_before = a.counters()["stream_waits"]
    sink.keep_args = False
    sink.take_args("bulk")
    one = msgpack.packb([2, "send", [{"peer": "b", "handle": "bulk", "args": bytes(size)}]], use_bin_type=True)
    total = n * len(one)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sender.connect(a.sock)
    sender.setblocking(False)
    state = {"sent": 0, "blocked": False, "error": None, "blocked_times": 0}
    done = threading.Event()

    def send_all():
        try:
            view = memoryview(one * 16)  # 16 sends per write
            end = time.monotonic() + 120
            while state["sent"] < total and time.monotonic() < end:
                off = state["sent"] % len(one * 16)
                chunk = view[off:min(len(view), off + total - state["sent"])]
                try:
                    state["sent"] += sender.send(chunk)
                    state["blocked"] = False
                except BlockingIOError:
                    if not state["blocked"]:
                        state["blocked_times"] += 1
                    state["blocked"] = True
                    select.select([], [sender], [], 0.05)
        except OSError as e:
            state["error"] = e
        finally:
            done.set()

    peak = {"a": 0, "b": 0}
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            for d in (a, b):
                peak[d.name] = max(peak[d.name], d.kib("VmRSS"))
            time.sleep(0.02)

    sink.hold.set()  # the handler reads nothing at first
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = threading.Thread(target=send_all, daemon=True)
    t.start()
    start = time.monotonic()
    outq_same = None
    try:
        # a holds the stream back: its queue to b is half full, since b holds
        # the session while its handler does not read. Not read: what the
        # sender wrote and a has not read stays as it is across a round trip
        # of requests on a and on b (the sender, blocked, writes nothing).
        def unread():
            return struct.unpack("i", fcntl.ioctl(sender.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]

        def held():
            nonlocal outq_same
            if a.counters()["stream_waits"] == waits_before or not state["blocked"]:
                return False
            outq, sent_then = unread(), state["sent"]
            a.rpc("status")
            b.rpc("status")
            outq_same = (outq, unread(), sent_then, state["sent"])
            return outq > 0 and outq == outq_same[1] and sent_then == state["sent"] and state["blocked"]

        wait_for(WAIT, "a to stop reading the sender while the sink does not read (stream_waits grew, "
                 "the sender's unread bytes unchanged across a round trip)", held)
        check(state["sent"] < total, "the sender wrote everything at once")
    finally:
        sink.delay = 0.002  # then a slow reader
        sink.hold.clear()
    done.wait(120)
    check(done.is_set() and state["error"] is None and state["sent"] == total,
          f"the sender wrote {state['sent']} of {total} bytes: {state['error']}")
    sender.setblocking(True)
    sender.settimeout(WAIT)
    c = Control.__new__(Control)
    c.s, c.unpacker, c.msgid, c.notes = sender, msgpack.Unpacker(raw=False, strict_map_key=False), 0, []
    r = c.call("send.flush")
    drops = c.dropped()
    wait_for(WAIT, f"the sink to count {n} sends", lambda: sink.count("bulk") >= n)
    took = time.monotonic() - start
    sampling.set()
    sampler.join(10)
    sink.delay = 0.0
    got = sink.count("bulk")
    counters = a.counters()
    hwm = {d.name: d.kib("VmHWM") for d in (a, b)}
    print(f"measured: backpressure: {n} x {size >> 10} KiB in {took:.1f} s; flush {r}; sink got {got}; "
          f"a stream_waits {waits_before} -> {counters['stream_waits']}; sender blocked "
          f"{state['blocked_times']} times; unread while waiting {outq_same}; "
          f"peak RSS a {peak['a'] >> 10} MiB (VmHWM {hwm['a'] >> 10}), "
          f"b {peak['b'] >> 10} MiB (VmHWM {hwm['b'] >> 10})")
    check(not drops, f"drops: {drops}")
    check(r == {"sent": n, "dropped": 0, "confirmed": True}, f"flush answered {r}")
    check(got == r["sent"] - r["dropped"], f"the sink got {got} of {r['sent']} sends")
    check(counters["stream_waits"] > waits_before, "stream_waits did not grow")
    if sanitized_daemon():
        print("RSS not checked: the daemon is built with AddressSanitizer")
    else:
        for name in ("a", "b"):
            check(peak[name] < 150 * 1024 and hwm[name] < 150 * 1024,
                  f"{name}'s peak RSS {max(peak[name], hwm[name]) >> 10} MiB (bound: 150 MiB)")
    sender.close()
    sink.keep_args = True


def scenario_disconnect(a, b, sink, ghost):
    n = 1000
    sink.take_args("sink")
    c = Control(a.sock)
    for i in range(n):
        c.stream({"peer": "b", "handle": "sink", "args": i})
    r = c.call("send.flush")
    c.close()
    check(r == {"sent": n, "dropped": 0, "confirmed": True}, f"flush answered {r}")
    wait_for(WAIT, f"the sink to count {n} sends", lambda: sink.count("sink") >= n)
    # Then a round trip through both daemons: nothing more is on its way.
    c = Control(a.sock)
    c.stream({"peer": "b", "handle": "sink", "args": "last"})
    check(c.call("send.flush")["dropped"] == 0, "the last send was dropped")
    c.close()
    wait_for(WAIT, "the last send", lambda: sink.count("sink") >= n + 1)
    got = sink.take_args("sink")
    check(got == list(range(n)) + ["last"], f"the sink got {len(got)} sends, expected {n} then 'last'")


def scenario_peer_lost(a, b, sink, ghost):
    """The session to b closes while a stream to it waits: the sends not yet
    handed to it are dropped (peer_offline, one range up to the last), the
    flush is not confirmed, and the sink gets at most the ones before."""
    n, size = 400, 64 << 10
    sink.keep_args = False
    sink.take_args("bulk")
    waits_before = a.counters()["stream_waits"]
    one = msgpack.packb([2, "send", [{"peer": "b", "handle": "bulk", "args": bytes(size)}]], use_bin_type=True)
    c = Control(a.sock)
    answer = {}

    def stream_then_flush():
        try:
            c.s.sendall(one * n)
            answer["flush"] = c.call("send.flush", {"timeout": 5.0})
        except BaseException as e:  # reported below
            answer["error"] = e

    sink.hold.set()
    t = threading.Thread(target=stream_then_flush, daemon=True)
    try:
        t.start()
        wait_for(WAIT, "a to hold the stream back", lambda: a.counters()["stream_waits"] > waits_before)
        b.rpc("trust.remove", {"peer": "a"})  # b closes the session
        t.join(WAIT)
    finally:
        sink.hold.clear()
    check(not t.is_alive() and "error" not in answer, f"the stream did not end: {answer}")
    r = answer["flush"]
    drops = c.dropped()
    c.close()
    check(drops, "nothing was dropped")
    first = min(d["first"] for d in drops)
    print(f"measured: peer_lost: flush {r}; sends {first}..{n} dropped in {len(drops)} send.dropped; "
          f"sink got {sink.count('bulk')}")
    runs_cover(drops, range(first, n + 1), "peer_offline", "peer lost")
    check(r == {"sent": n, "dropped": n - first + 1, "confirmed": False}, f"flush answered {r}")
    # b trusts a again; a dials it again (it has b's address).
    b.rpc("trust.add", {"id": a.id, "name": "a"})
    wait_for(WAIT, "a and b to be online again", lambda: a.online("b") and b.online("a"))
    check(sink.count("bulk") < first, f"the sink got {sink.count('bulk')} sends, only {first - 1} left")
    sink.take_args("bulk")
    sink.keep_args = True


def ctl(sock, args, stdin):
    p = subprocess.run([PEERNETCTL, "--socket", sock] + args, input=stdin.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def scenario_ctl(a, b, sink, ghost):
    sink.take_args("sink")
    lines = "".join(json.dumps({"n": i}) + "\n" for i in range(20))
    rc, out, err = ctl(a.sock, ["send", "b", "sink", "--stream"], lines)
    check(rc == 0, f"send --stream to the sink exited {rc}: {err}")
    check("20 sent: 20 delivered, 0 dropped" in err, f"summary: {err!r}")
    wait_for(WAIT, "the sink to count 20", lambda: sink.count("sink") >= 20)
    check(sink.take_args("sink") == [{"n": i} for i in range(20)], "the sink got other values")

    rc, out, err = ctl(a.sock, ["send", "b", "sink", "--stream"], '1\n2\n{"not json"\n4\n')
    check(rc == 2, f"a bad line: exit {rc}, expected 2: {err}")
    check("line 3 not sent" in err and "4 sent: 3 delivered, 1 dropped (bad_request 1)" in err,
          f"a bad line: {err!r}")
    wait_for(WAIT, "the sink to count 3", lambda: sink.count("sink") >= 3)
    check(sink.take_args("sink") == [1, 2, 4], "the sink got other values")

    rc, out, err = ctl(a.sock, ["--json", "send", "ghost", "sink", "--stream"], "1\n2\n3\n4\n5\n")
    check(rc == 3, f"to an offline peer: exit {rc}, expected 3: {err}")
    r = json.loads(out)
    check(r == {"sent": 5, "delivered": 0, "dropped": 5, "reasons": {"peer_offline": 5}, "confirmed": True},
          f"--json: {out!r}")
    # Each run of drops is reported by its lines ("lines 1-3", "line 4").
    named = []
    for first, last in re.findall(r"lines? (\d+)(?:-(\d+))? not delivered", err):
        named.extend(range(int(first), int(last or first) + 1))
    check(sorted(named) == [1, 2, 3, 4, 5], f"the drops are not reported by line: {err!r}")
    print(f"measured: ctl: offline --json {out.strip()}")


SCENARIOS = ["offline", "no_handle", "oversized", "bad_params", "backpressure", "disconnect", "ctl", "peer_lost"]


def main():
    try:
        a = Daemon("a")
        b = Daemon("b")
        ghost = peer_id(os.urandom(32))
        b.rpc("trust.add", {"id": a.id, "name": "a"})
        a.rpc("trust.add", {"id": b.id, "name": "b", "addrs": [f"127.0.0.1:{b.port}"]})
        a.rpc("trust.add", {"id": ghost, "name": "ghost"})
        wait_for(WAIT, "a to see b online", lambda: a.online("b"))
        wait_for(WAIT, "b to see a online", lambda: b.online("a"))
        sink = Sink(b, ["sink", "bulk"])
        for name in ONLY or SCENARIOS:
            print(f"--- {name}", flush=True)
            globals()["scenario_" + name](a, b, sink, ghost)
            sink.check_alive()
            check(a.online("b"), f"a lost its session to b during {name}")
        sink.close()
        for d in (a, b):
            d.stop()
            check(d.proc.returncode == 0, f"{d.name} exited {d.proc.returncode}")
        print("ok")
        return 0
    except (Fail, RemoteError, TimeoutError, OSError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        traceback.print_exc()
        for name in sorted(os.listdir(TMP)):
            if name.endswith((".err", ".out")):
                with open(os.path.join(TMP, name), errors="replace") as f:
                    print(f"--- {name}\n" + "".join(f.readlines()[-40:]), file=sys.stderr)
        return 1
    finally:
        for p in PROCS:
            if p.poll() is None:
                try:
                    p.kill()
                    p.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
