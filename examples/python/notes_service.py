#!/usr/bin/python3
"""A small peernet app: peers leave notes here and read them back.

Exposes "notes.add" (args: a string; answers how many notes that peer has;
a send adds one too)
and "notes.list" (answers that peer's notes), each peer seeing only its own,
and prints a line whenever a trusted peer comes online or goes offline.

    notes_service.py [PEER...]    (only these peers may use it; default: every trusted peer)
"""
import sys

from peernet_client import Client, PeernetError

notes = {}  # peer id -> list of strings


def add(args, peer):
    if not isinstance(args, str) or not args or len(args) > 1000:
        raise PeernetError("bad_request", "a note is a non-empty string of at most 1000 characters")
    mine = notes.setdefault(peer.id, [])
    if len(mine) >= 100:
        raise PeernetError("busy", "100 notes already; that is enough")
    mine.append(args)
    return len(mine)


def add_sent(args, peer):
    try:
        add(args, peer)
    except PeernetError as e:  # a send has nobody to answer: say it here
        print(f"dropped a note from {peer.name or peer.id}: {e}", flush=True)


def on_event(method, params):
    print(f"{method}: {params.get('name') or params['id']}", flush=True)


def main():
    allow = sys.argv[1:] or None
    with Client() as peernet:  # $PEERNET_SOCKET, else peernetd's default socket
        peernet.on_event = on_event
        peernet.subscribe(["peer.up", "peer.down"])
        peernet.expose("notes.add", on_call=add, on_send=add_sent, allow=allow)
        peernet.expose("notes.list", on_call=lambda args, peer: notes.get(peer.id, []), allow=allow)
        print("serving notes.add and notes.list", flush=True)
        try:
            peernet.serve()
        except PeernetError as e:  # the daemon stopped
            print(f"notes_service: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
