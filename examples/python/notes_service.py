#!/usr/bin/python3
"""A small peernet app: peers leave notes here and read them back.

Exposes "notes.add" (args: a string; answers how many notes that peer has;
a send adds one too)
and "notes.list" (answers that peer's notes), each peer seeing only its own,
and prints a line whenever a trusted peer comes online or goes offline.

    notes_service.py [PEER...]    (only these peers may use it; default: every trusted peer)
"""
import sys

import peernet

notes = {}  # peer id -> list of strings


def add(args, peer):
    if not isinstance(args, str) or not args or len(args) > 1000:
        raise peernet.BadRequest("a note is a non-empty string of at most 1000 characters")
    mine = notes.setdefault(peer.id, [])
    if len(mine) >= 100:
        raise peernet.Busy("100 notes already; that is enough")
    mine.append(args)
    return len(mine)


def add_sent(args, peer):
    try:
        add(args, peer)
    except peernet.PeernetError as e:  # a send has nobody to answer: say it here
        print(f"dropped a note from {peer.name or peer.id}: {e}", flush=True)


def on_event(event):
    print(f"{event.kind}: {event.name or event.id}", flush=True)


def main():
    allow = sys.argv[1:] or None
    with peernet.Client() as p:  # $PEERNET_SOCKET, else peernetd's default socket
        p.on_event = on_event
        p.subscribe(["peer.up", "peer.down"])
        p.expose("notes.add", add, on_send=add_sent, allow=allow)

        @p.expose("notes.list", allow=allow)
        def notes_list(args, peer):
            return notes.get(peer.id, [])

        print("serving notes.add and notes.list", flush=True)
        try:
            p.serve()
        except peernet.Closed as e:  # the daemon stopped
            print(f"notes_service: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
