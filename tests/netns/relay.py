#!/usr/bin/python3
"""A TCP relay that delays every chunk by DELAY seconds in each direction,
keeping their order: the "slow middle" of tests/netns/delay_test.sh.

    relay.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS

Prints "ready" once it listens. Runs until killed.
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def later():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.create_task(later())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await queue.put((asyncio.get_running_loop().time() + delay, data))
    except ConnectionError:
        pass
    await queue.put((0, None))
    try:
        await task
    except ConnectionError:
        pass


async def main(host, port, target_host, target_port, delay):
    async def on_client(reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pump(reader, up_writer, delay), pump(up_reader, writer, delay))

    server = await asyncio.start_server(on_client, host, port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                     int(sys.argv[5]) / 1000))
