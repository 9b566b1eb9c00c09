#!/usr/bin/python3
# Calls "echo" on PEER and prints its answer: call_example.py PEER
import json
import sys

from peernet_client import Client

with Client() as peernet:  # $PEERNET_SOCKET, else peernetd's default socket
    print(json.dumps(peernet.call(sys.argv[1], "echo", {"text": "hi"}, timeout=5)))
