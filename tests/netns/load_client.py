#!/usr/bin/python3
"""Control-socket load for the fault and load scenarios (tests/netns/*_test.sh).

Speaks the control protocol (guides/control-api.md) directly, so that one
connection can keep many requests in flight and check every answer:

  load_client.py calls SOCKET PEER HANDLE COUNT WINDOW TIMEOUT OUTCOMES [PAD]
      COUNT calls of HANDLE on PEER, args ["tok-<i>", PAD bytes of text]
      (so that each call and reply takes a packet or more), at most WINDOW
      in flight, each with TIMEOUT seconds. Every request must be answered
      exactly once, with its own token or an error. Appends "ok TOKEN" or
      "error TOKEN CODE" to OUTCOMES per answer and prints one JSON line:
      {"ok": N, "errors": {code: N}, "wrong": N, "duplicate": N, "missing": N}
  load_client.py counter SOCKET HANDLE LOG
      Serves HANDLE: each call appends its token (args[0]) to LOG, one
      line per invocation, and answers with the args.
  load_client.py sends SOCKET PEER HANDLE COUNT BYTES
      COUNT sends of BYTES bytes each (a msgpack bin), one after the other,
      as fast as the daemon answers. Prints {"delivered": N, "dropped":
      {reason: N}}.
  load_client.py sink SOCKET HANDLE LOG
      Serves HANDLE: writes the number of sends received so far to LOG
      after each one.
  load_client.py events SOCKET LOG
      Subscribes to peer.up and peer.down and appends "EVENT PEER-ID" to LOG
      for each.
Prints "ready" on stdout once a server (counter, sink, events) is set up.
"""
import json
import os
import socket
import sys
import time

import msgpack


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.msgid = 0

    def write(self, message):
        self.sock.sendall(msgpack.packb(message, use_bin_type=True))

    def read(self, timeout):
        for m in self.unpacker:
            return m
        self.sock.settimeout(timeout)
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                return None
            if not data:
                raise SystemExit("load_client: peernetd closed the connection")
            self.unpacker.feed(data)
            for m in self.unpacker:
                return m

    def request(self, method, params, timeout=30):
        self.msgid += 1
        msgid = self.msgid
        self.write([0, msgid, method, [params]])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.read(max(0.01, deadline - time.monotonic()))
            if m is not None and m[0] == 1 and m[1] == msgid:
                if m[2] is not None:
                    raise SystemExit(f"load_client: {method}: {m[2]}")
                return m[3]
        raise SystemExit(f"load_client: no answer to {method}")


def calls(path, peer, handle, count, window, timeout, outcomes, pad):
    out = open(outcomes, "a", buffering=1)
    c = Conn(path)
    outstanding = {}  # msgid -> token
    answered = set()
    ok = wrong = duplicate = 0
    errors = {}
    sent = 0
    deadline = time.monotonic() + timeout * (count / window + 2) + 30
    while (sent < count or outstanding) and time.monotonic() < deadline:
        while sent < count and len(outstanding) < window:
            c.msgid += 1
            token = f"tok-{sent}"
            c.write([0, c.msgid, "call",
                     [{"peer": peer, "handle": handle, "args": [token, "x" * pad],
                       "timeout": float(timeout)}]])
            outstanding[c.msgid] = token
            sent += 1
        m = c.read(1.0)
        if m is None or m[0] != 1:
            continue
        msgid = m[1]
        if msgid in answered:
            duplicate += 1
            continue
        if msgid not in outstanding:
            wrong += 1
            continue
        token = outstanding.pop(msgid)
        answered.add(msgid)
        if m[2] is not None:
            code = m[2].get("code", "?")
            errors[code] = errors.get(code, 0) + 1
            out.write(f"error {token} {code}\n")
        elif isinstance(m[3], list) and m[3][:1] == [token]:
            ok += 1
            out.write(f"ok {token}\n")
        else:
            wrong += 1
    # Anything late would be a second answer: give it a moment to show.
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        m = c.read(0.2)
        if m is not None and m[0] == 1:
            if m[1] in answered:
                duplicate += 1
            elif m[1] in outstanding:
                # Past the overall deadline: counted as missing, not ok.
                wrong += 1
            else:
                wrong += 1
    print(json.dumps({"ok": ok, "errors": errors, "wrong": wrong, "duplicate": duplicate,
                      "missing": len(outstanding) + (count - sent)}), flush=True)


def serve(path, handle, on_call, on_send, events=None):
    c = Conn(path)
    c.request("hello", {"version": 1, "client": "load_client.py"})
    if handle is not None:
        c.request("expose", {"handle": handle})
    if events is not None:
        c.request("subscribe", {"events": events})
    print("ready", flush=True)
    while True:
        m = c.read(None)
        if m[0] == 0 and m[2] == "handle.call":
            p = m[3][0]
            c.write([1, m[1], None, on_call(p["args"])])
        elif m[0] == 2 and m[1] == "handle.send":
            on_send(m[2][0]["args"])
        elif m[0] == 2 and events is not None:
            on_send((m[1], m[2][0]))


def counter(path, handle, log):
    f = open(log, "a", buffering=1)

    def on_call(args):
        f.write(f"{args[0]}\n")
        return args

    serve(path, handle, on_call, lambda args: None)


def sink(path, handle, log):
    n = [0]

    def on_send(args):
        n[0] += 1
        tmp = log + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{n[0]}\n")
        os.replace(tmp, log)

    serve(path, handle, lambda args: None, on_send)


def events(path, log):
    f = open(log, "a", buffering=1)

    def on_event(ev):
        name, params = ev
        f.write(f"{name} {params.get('id', params.get('peer', '?'))}\n")

    serve(path, None, lambda args: None, on_event, events=["peer.up", "peer.down"])


def sends(path, peer, handle, count, size):
    c = Conn(path)
    payload = bytes(size)
    delivered = 0
    dropped = {}
    for _ in range(count):
        r = c.request("send", {"peer": peer, "handle": handle, "args": payload}, timeout=60)
        if r.get("delivered"):
            delivered += 1
        else:
            reason = r.get("reason", "?")
            dropped[reason] = dropped.get(reason, 0) + 1
    print(json.dumps({"delivered": delivered, "dropped": dropped}), flush=True)


def main(argv):
    cmd = argv[1]
    if cmd == "calls":
        calls(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), float(argv[7]), argv[8],
              int(argv[9]) if len(argv) > 9 else 0)
    elif cmd == "counter":
        counter(argv[2], argv[3], argv[4])
    elif cmd == "sink":
        sink(argv[2], argv[3], argv[4])
    elif cmd == "events":
        events(argv[2], argv[3])
    elif cmd == "sends":
        sends(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
