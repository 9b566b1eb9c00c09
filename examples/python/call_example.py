#!/usr/bin/python3
# Calls "echo" on PEER and prints its answer: call_example.py PEER
import json
import sys

import peernet

with peernet.Client() as p:  # $PEERNET_SOCKET, else peernetd's default socket
    print(json.dumps(p.call(sys.argv[1], "echo", {"text": "hi"}, timeout=5)))
