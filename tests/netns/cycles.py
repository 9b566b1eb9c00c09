#!/usr/bin/python3
"""Connect / handshake / close cycles against one peernetd, as another peer:
the load of tests/netns/fd_cycles_test.sh.

    cycles.py OUR_IDENTITY THEIR_IDENTITY HOST PORT COUNT

OUR_IDENTITY and THEIR_IDENTITY are identity.key files (guides/protocol.md,
"Identity file"): ours to dial with, theirs for the key we expect. Each
cycle dials HOST:PORT with the independent peer of tests/interop, completes
the Noise handshake, answers one ping round trip (so the session is up on
both sides) and closes. Prints {"ok": N, "failed": N, "first_error": str}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from peernet_peer import Peer, PeerError, public_key  # noqa: E402


def private_key(path):
    for line in open(path):
        if line.startswith("PEERNET-IDENTITY-1 "):
            return bytes.fromhex(line.split()[1])
    raise SystemExit(f"cycles.py: no key in {path}")


def main(ours, theirs, host, port, count):
    mine, their_pub = private_key(ours), public_key(private_key(theirs))
    ok = failed = 0
    first_error = None
    for _ in range(count):
        peer = Peer(mine, [their_pub])
        try:
            peer.dial(host, port, expected_key=their_pub, timeout=5)
            peer.ping(5)
            ok += 1
        except (PeerError, TimeoutError, OSError) as e:
            failed += 1
            first_error = first_error or repr(e)
        finally:
            peer.close("shutdown")
    print(json.dumps({"ok": ok, "failed": failed, "first_error": first_error}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
