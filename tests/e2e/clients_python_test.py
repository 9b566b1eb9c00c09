#!/usr/bin/python3
"""The peernet Python package (clients/python) against two paired daemons.

Run by clients_python_test.sh, which starts daemons a and b, pairs them
(aliases "a" and "b") and passes: SOCK_A SOCK_B ID_A ID_B PORT_A. Checks the
blocking Client and the AsyncClient: identity, peers, trust, expose (a
callable and a decorator; async handlers), call across the daemons, send,
events, typed errors, a handler that raises -> handler_failed, and
streamed sends (send_stream, flush_sends, SendDropped records: to an
offline peer, to a missing handle, to a live one). Every wait is bounded;
nothing is timed (the time of 100,000 streamed sends is printed, not
checked).
"""
import asyncio
import os
import sys
import threading
import time

import peernet

SOCK_A, SOCK_B, ID_A, ID_B, PORT_A = sys.argv[1:6]
WAIT = 30.0  # seconds any single expected thing may take


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(cls, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except cls as e:
        check(isinstance(e, peernet.PeernetError) and e.code == cls.code, f"{cls.__name__}: code {e.code}")
        return e
    except peernet.PeernetError as e:
        raise AssertionError(f"expected {cls.__name__}, got {type(e).__name__}: {e}")
    raise AssertionError(f"expected {cls.__name__}, got a result")


async def aexpect_error(cls, coro):
    try:
        await coro
    except cls as e:
        check(e.code == cls.code, f"{cls.__name__}: code {e.code}")
        return e
    except peernet.PeernetError as e:
        raise AssertionError(f"expected {cls.__name__}, got {type(e).__name__}: {e}")
    raise AssertionError(f"expected {cls.__name__}, got a result")


def bounce_trust(admin):
    """b stops trusting a and trusts it again: a's session goes down and up."""
    admin.trust_remove("a")
    check(all(t["id"] != ID_A for t in admin.trust_list()), "a still on b's trust list")
    admin.trust_add(ID_A, name="a", addrs=[f"127.0.0.1:{PORT_A}"])


# ---------------------------------------------------------------------------
# Blocking


def blocking():
    # b serves handles from a thread of its own, with a Client of its own.
    sent = []
    got_send = threading.Event()
    release_slow = threading.Event()
    done = threading.Event()
    ready = threading.Event()
    failure = []

    def server():
        try:
            with peernet.Client(SOCK_B) as srv:

                @srv.expose("echo")
                def echo(args, peer):
                    return {"args": args, "from": peer.id, "name": peer.name}

                def boom(args, peer):
                    raise ValueError("the handler broke")

                def on_inbox(args, peer):
                    sent.append((args, peer))
                    got_send.set()

                def slow(args, peer):
                    release_slow.wait(WAIT)
                    return "late"

                srv.expose("boom", boom)
                srv.expose("busy", lambda args, peer: (_ for _ in ()).throw(peernet.Busy("come back later")))
                srv.expose("inbox", on_send=on_inbox)
                srv.expose("slow", slow)
                ready.set()
                while not done.is_set():
                    srv.serve(timeout=0.2)
        except BaseException as e:  # reported by the main thread
            failure.append(e)
            ready.set()

    t = threading.Thread(target=server, daemon=True)
    t.start()
    check(ready.wait(WAIT) and not failure, f"server did not start: {failure}")

    with peernet.Client(SOCK_A) as a:
        ident = a.identity()
        check(ident["id"] == ID_A and len(ident["public_key"]) == 32, f"identity: {ident}")
        check(a.hello()["id"] == ID_A, "hello")
        peers = {p["id"]: p for p in a.peers()}
        check(peers[ID_B]["state"] == "online" and peers[ID_B]["name"] == "b", f"peers: {peers}")
        check(any(t["id"] == ID_B for t in a.trust_list()), "trust_list")

        r = a.call("b", "echo", {"n": [1, 2], "s": "hi"}, timeout=WAIT)
        check(r == {"args": {"n": [1, 2], "s": "hi"}, "from": ID_A, "name": "a"}, f"echo: {r}")
        check(a.call("b", "echo", timeout=WAIT)["args"] is None, "echo without args")

        e = expect_error(peernet.HandlerFailed, a.call, "b", "boom", 1, timeout=WAIT)
        check("the handler broke" in e.message, f"boom message: {e.message}")
        expect_error(peernet.Busy, a.call, "b", "busy", None, timeout=WAIT)
        expect_error(peernet.NoSuchHandle, a.call, "b", "nothing-here", timeout=WAIT)
        expect_error(peernet.NoSuchHandle, a.call, "b", "inbox", timeout=WAIT)  # sends only
        expect_error(peernet.NoSuchPeer, a.call, "nobody-here", "echo")
        expect_error(peernet.BadRequest, a.call, "b", "echo", timeout=0)
        expect_error(peernet.Timeout, a.call, "b", "slow", timeout=0.5)
        release_slow.set()
        # The late answer is discarded; the connection carries on.
        check(a.call("b", "echo", 7, timeout=WAIT)["args"] == 7, "echo after a timeout")

        r = a.send("b", "inbox", {"n": 1})
        check(r == {"delivered": True}, f"send: {r}")
        check(got_send.wait(WAIT), "the send did not arrive")
        check(sent[0][0] == {"n": 1} and sent[0][1] == peernet.Peer(ID_A, "a"), f"sent: {sent}")

    with peernet.Client(SOCK_B) as other:
        expect_error(peernet.HandleTaken, other.expose, "echo", lambda args, peer: args)
        expect_error(peernet.NoSuchHandle, other.unexpose, "echo")
        expect_error(peernet.BadPeerId, other.trust_add, ID_A[:-1] + ("A" if ID_A[-1] != "A" else "B"))

    # Events: a second connection of b watches a go down and come back.
    with peernet.Client(SOCK_B) as watcher, peernet.Client(SOCK_B) as admin:
        watcher.subscribe(["peer.up", "peer.down"])
        bounce_trust(admin)
        seen = []
        for ev in watcher.events(None, timeout=WAIT):
            check(isinstance(ev, peernet.Event), "event type")
            if ev.id == ID_A:
                seen.append(ev.kind)
            if seen and seen[-1] == "peer.up" and "peer.down" in seen:
                break
        check("peer.down" in seen and seen[-1] == "peer.up", f"events: {seen}")
        wait_online(admin)

    done.set()
    t.join(WAIT)
    check(not t.is_alive() and not failure, f"server: {failure}")
    print("blocking: ok", flush=True)


def wait_online(client):
    for _ in range(int(WAIT * 10)):
        if any(p["id"] == ID_A and p["state"] == "online" for p in client.peers()):
            return
        threading.Event().wait(0.1)
    raise AssertionError("a did not come back online")


# ---------------------------------------------------------------------------
# Streamed sends

from e2e_util import peer_id  # noqa: E402  (tests/e2e, next to this file)


# A trusted peer nobody is: always offline.
GHOST = peer_id(os.urandom(32))


def covers(records, first, last, reason, what):
    """The records number exactly first..last, each once, all for `reason`."""
    numbers = []
    for r in records:
        check(isinstance(r, peernet.SendDropped) and r.reason == reason and r.first is not None,
              f"{what}: {r}")
        numbers.extend(r.numbers)
    check(sorted(numbers) == list(range(first, last + 1)),
          f"{what}: the records name {len(numbers)} sends, expected {first}..{last}: {records[:3]}")


def streaming():
    got = []
    slow = []
    lock = threading.Lock()
    done = threading.Event()
    ready = threading.Event()
    failure = []

    def server():
        try:
            with peernet.Client(SOCK_B) as srv:
                def on_send(args, peer):
                    with lock:
                        got.append(args)

                def on_slow(args, peer):
                    time.sleep(0.005)  # a slow handler: the stream waits for it
                    with lock:
                        slow.append(len(args))

                srv.expose("stream-in", on_send=on_send)
                srv.expose("stream-slow", on_send=on_slow)
                ready.set()
                while not done.is_set():
                    srv.serve(timeout=0.2)
        except BaseException as e:  # reported by the main thread
            failure.append(e)
            ready.set()

    t = threading.Thread(target=server, daemon=True)
    t.start()
    check(ready.wait(WAIT) and not failure, f"stream server did not start: {failure}")

    def received(n):
        for _ in range(int(WAIT * 20)):
            with lock:
                if len(got) >= n:
                    return list(got)
            time.sleep(0.05)
        raise AssertionError(f"the server received {len(got)} of {n} streamed sends")

    with peernet.Client(SOCK_A) as a:
        a.trust_add(GHOST, name="ghost")
        # An offline peer: every send dropped, numbered 1..n.
        numbers = [a.send_stream("ghost", "stream-in", {"i": i}) for i in range(1000)]
        check(numbers == list(range(1, 1001)), "send_stream numbers")
        r = a.flush_sends()
        check(r == peernet.FlushResult(sent=1000, dropped=1000, confirmed=True), f"flush: {r}")
        records = a.dropped()
        covers(records, 1, 1000, "peer_offline", "offline")
        check(all(x.peer == GHOST and x.peer_name == "ghost" and x.handle == "stream-in" for x in records),
              f"offline records: {records[:2]}")
        check(a.dropped() == [], "dropped() does not empty its list")
        # A live handle: the counts go on from there; nothing dropped.
        for i in range(500):
            a.send_stream("b", "stream-in", i)
        r = a.flush_sends(timeout=WAIT)
        check(r == peernet.FlushResult(1500, 1000, True) and a.dropped() == [], f"flush: {r}")
        check(received(500) == list(range(500)), "the server received other values")
        # What send_stream buffered is written before any request waits.
        a.send_stream("b", "stream-in", "before status")
        a.status()
        check(received(501)[-1] == "before status", "the streamed send was held back")
        # 300 sends of 64 KiB to a slow handler: the daemon holds the stream
        # back (it stops reading the client), send_stream waits, all arrive.
        waits = a.status()["counters"]["stream_waits"]
        for i in range(300):
            a.send_stream("b", "stream-slow", bytes(64 << 10))
        r = a.flush_sends(timeout=WAIT)
        check(r == peernet.FlushResult(1801, 1000, True) and a.dropped() == [], f"flush: {r}")
        for _ in range(int(WAIT * 20)):
            with lock:
                if len(slow) >= 300:
                    break
            time.sleep(0.05)
        check(slow == [64 << 10] * 300, f"the slow handler got {len(slow)} of 300 sends")
        print(f"measured: stream_waits {waits} -> {a.status()['counters']['stream_waits']} "
              "for 300 x 64 KiB to a slow handler", flush=True)

    # A missing handle on the peer: no_such_handle records (first None),
    # all of them taken when flush_sends returns; here through on_dropped.
    records = []
    with peernet.Client(SOCK_A, on_dropped=records.append) as a:
        for i in range(200):
            a.send_stream("b", "nothing-here", i)
        r = a.flush_sends()
        check(r == peernet.FlushResult(200, 200, True), f"flush: {r}")
        check(all(x.reason == "no_such_handle" and x.first is None and x.numbers == range(0) and
                  x.peer == ID_B for x in records), f"no_such_handle records: {records[:2]}")
        check(sum(x.count for x in records) == 200, f"no_such_handle records count {sum(x.count for x in records)}")
        check(a.dropped() == [], "records given to on_dropped are not kept")

    # on_dropped may make requests and stream more: it runs when no other
    # request or write is under way.
    calls = []
    first_flush = [True]

    def on_dropped(record):
        if first_flush[0] and len(calls) < 3:
            calls.append(record.count)
            check(c.status()["counters"]["stream_sends"] >= 1, "status from on_dropped")
            c.send_stream("ghost", "stream-in", "from on_dropped")

    with peernet.Client(SOCK_A, on_dropped=on_dropped) as c:
        for i in range(20000):
            c.send_stream("ghost", "stream-in", i)
        r = c.flush_sends()
        first_flush[0] = False
        check(calls and r.sent == r.dropped and r.confirmed, f"flush {r}; calls {calls}")
        r = c.flush_sends()  # and the sends on_dropped streamed
        check(r == peernet.FlushResult(20000 + len(calls), 20000 + len(calls), True),
              f"flush after on_dropped streamed {len(calls)}: {r}")

    # 100,000 small sends (to the offline peer, so the daemon writes drops
    # while the client writes: it must read them meanwhile).
    with peernet.Client(SOCK_A) as a:
        start = time.monotonic()
        for i in range(100000):
            a.send_stream("ghost", "stream-in", i)
        wrote = time.monotonic() - start
        r = a.flush_sends()
        took = time.monotonic() - start
        covers(a.dropped(), 1, 100000, "peer_offline", "100,000 sends")
        check(r == peernet.FlushResult(100000, 100000, True), f"flush: {r}")
        print(f"measured: 100,000 streamed sends: written in {wrote:.2f} s, flushed after {took:.2f} s", flush=True)
        a.trust_remove("ghost")

    done.set()
    t.join(WAIT)
    check(not t.is_alive() and not failure, f"stream server: {failure}")
    print("streaming: ok", flush=True)


async def async_streaming():
    srv = await peernet.AsyncClient.connect(SOCK_B)
    sends = asyncio.Queue()
    await srv.expose("astream-in", on_send=lambda args, peer: sends.put_nowait(args))
    records = []
    async with await peernet.AsyncClient.connect(SOCK_A, on_dropped=records.append) as a:
        await a.trust_add(GHOST, name="ghost")
        numbers = [await a.send_stream("ghost", "astream-in", i) for i in range(300)]
        check(numbers == list(range(1, 301)), "async send_stream numbers")
        r = await a.flush_sends()
        check(r == peernet.FlushResult(300, 300, True), f"async flush: {r}")
        covers(records, 1, 300, "peer_offline", "async offline")
        check(a.dropped() == [], "records given to on_dropped are not kept")
        # Nothing is held back while the program waits for something else.
        for i in range(50):
            await a.send_stream("b", "astream-in", i)
        got = [await asyncio.wait_for(sends.get(), WAIT) for _ in range(50)]
        check(got == list(range(50)), f"async streamed sends arrived: {got}")
        r = await a.flush_sends(timeout=WAIT)
        check(r == peernet.FlushResult(350, 300, True), f"async flush: {r}")
        await a.trust_remove("ghost")
    async with await peernet.AsyncClient.connect(SOCK_A) as a:
        for i in range(100):
            await a.send_stream("b", "nothing-here", i)
        r = await a.flush_sends()
        check(r == peernet.FlushResult(100, 100, True), f"async flush: {r}")
        got = a.dropped()
        check(all(x.reason == "no_such_handle" and x.first is None for x in got) and
              sum(x.count for x in got) == 100, f"async no_such_handle records: {got[:2]}")
        check(a.dropped() == [], "dropped() does not empty its list")
    await srv.close()
    print("async streaming: ok", flush=True)


# ---------------------------------------------------------------------------
# asyncio


async def asyncio_part():
    srv = await peernet.AsyncClient.connect(SOCK_B)
    sends = asyncio.Queue()
    release = asyncio.Event()

    async def aecho(args, peer):
        await asyncio.sleep(0)
        return [args, peer.name]

    async def aboom(args, peer):
        raise RuntimeError("async handler broke")

    async def on_send(args, peer):
        await sends.put((args, peer))

    async def slow(args, peer):
        await release.wait()
        return "late"

    @srv.handle("adeco")
    def deco(args, peer):  # a plain function is fine too
        return {"deco": args}

    await srv.expose("aecho", aecho, on_send=on_send)
    await srv.expose("aboom", aboom)
    await srv.expose("aslow", slow)
    await srv.expose_all()

    async with await peernet.AsyncClient.connect(SOCK_A) as a:
        ident = await a.identity()
        check(ident["id"] == ID_A, "async identity")
        peers = await a.peers()
        check(any(p["id"] == ID_B and p["state"] == "online" for p in peers), f"async peers: {peers}")
        # Several calls in flight on one connection, answered by one handler each.
        results = await asyncio.gather(*(a.call("b", "aecho", i, timeout=WAIT) for i in range(8)))
        check(results == [[i, "a"] for i in range(8)], f"gather: {results}")
        check(await a.call("b", "adeco", "x", timeout=WAIT) == {"deco": "x"}, "decorated handle")
        e = await aexpect_error(peernet.HandlerFailed, a.call("b", "aboom", None, timeout=WAIT))
        check("async handler broke" in e.message, f"aboom: {e.message}")
        await aexpect_error(peernet.NoSuchHandle, a.call("b", "nothing-here", timeout=WAIT))
        await aexpect_error(peernet.Timeout, a.call("b", "aslow", timeout=0.5))
        release.set()
        r = await a.send("b", "aecho", {"s": 1})
        check(r["delivered"] is True, f"async send: {r}")
        args, peer = await asyncio.wait_for(sends.get(), WAIT)
        check(args == {"s": 1} and peer.id == ID_A, f"async send arrived: {args} {peer}")

    async with await peernet.AsyncClient.connect(SOCK_B) as watcher, \
            await peernet.AsyncClient.connect(SOCK_B) as admin:
        await aexpect_error(peernet.HandleTaken, admin.expose("aecho", aecho))
        await watcher.subscribe(["peer.up", "peer.down"])
        await admin.trust_remove("a")
        check(all(t["id"] != ID_A for t in await admin.trust_list()), "a still trusted")
        await admin.trust_add(ID_A, name="a", addrs=[f"127.0.0.1:{PORT_A}"])
        seen = []
        async for ev in watcher.events(None, timeout=WAIT):
            if ev.id == ID_A:
                seen.append(ev.kind)
            if seen and seen[-1] == "peer.up" and "peer.down" in seen:
                break
        check("peer.down" in seen and seen[-1] == "peer.up", f"async events: {seen}")
        await srv.unexpose("aslow")
        await aexpect_error(peernet.NoSuchHandle, srv.unexpose("aslow"))
    await srv.close()
    print("asyncio: ok", flush=True)


def main():
    check(peernet.default_socket_path() == SOCK_A, "default_socket_path does not follow $PEERNET_SOCKET")
    blocking()
    with peernet.Client(SOCK_B) as b:
        wait_online(b)
    asyncio.run(asyncio_part())
    with peernet.Client(SOCK_B) as b:
        wait_online(b)
    streaming()
    asyncio.run(async_streaming())
    return 0


if __name__ == "__main__":
    sys.exit(main())
