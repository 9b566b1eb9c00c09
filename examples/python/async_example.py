#!/usr/bin/python3
# asyncio: serves "shout" (an async handler) and calls "echo" on PEER,
# printing its answer: async_example.py PEER
import asyncio
import json
import sys

import peernet


async def shout(args, peer):
    await asyncio.sleep(0)  # a handler may await anything
    return str(args).upper()


async def main(peer):
    async with await peernet.AsyncClient.connect() as p:  # $PEERNET_SOCKET, else the default
        await p.expose("shout", shout)
        try:
            print(json.dumps(await p.call(peer, "echo", {"text": "hi"}, timeout=5)))
        except peernet.PeernetError as e:  # e.code: "peer_offline", "no_such_handle", ...
            print(f"echo failed: {e.code}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
