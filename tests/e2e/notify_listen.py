#!/usr/bin/python3
"""Plays systemd's side of sd_notify for the e2e tests.

    notify_listen.py SOCKET LOG [SECONDS]

Binds a Unix datagram socket at SOCKET and appends each datagram received
to LOG as one JSON string per line, until killed or SECONDS (default 120)
have passed. "bound" is printed on stdout once the socket exists.
"""
import json
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 120.0)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("bound", flush=True)
with open(log, "a") as out:
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        out.write(json.dumps(data.decode("utf-8", "replace")) + "\n")
        out.flush()
