#!/usr/bin/python3
"""Serves the handle "echo": every call is answered with its own args, and
every send is printed. Runs until peernetd stops or Ctrl-C.

    echo_service.py [SOCKET]        (default: $PEERNET_SOCKET, else peernetd's default)
"""
import sys

import peernet


def on_send(args, peer):
    print(f"{peer.name or peer.id}: {args!r}", flush=True)


def main():
    with peernet.Client(sys.argv[1] if len(sys.argv) > 1 else None) as p:
        p.expose("echo", lambda args, peer: args, on_send=on_send)
        print('serving "echo"', flush=True)
        try:
            p.serve()
        except peernet.Closed as e:  # the daemon stopped
            print(f"echo_service: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
