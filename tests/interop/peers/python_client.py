"""Python `websockets` client against a duplex interop server.

usage: python_client.py BASE_URL [--deflate]
Round trips of text and binary at the RFC's length boundaries up to 1 MiB,
ping/pong, a close with code and reason, and a rejected handshake (403).
Prints one line per check; exit status 0 only if all passed.
"""
import asyncio
import sys

import websockets

base = sys.argv[1]
compression = "deflate" if "--deflate" in sys.argv else None
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    failures += 0 if ok else 1


async def main():
    async with websockets.connect(base + "/echo", max_size=2 ** 21, compression=compression) as ws:
        negotiated = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        check(f"deflate negotiated={bool(negotiated)} as asked", bool(negotiated) == bool(compression))
        for size in (0, 125, 126, 65535, 65536, 1 << 20):
            text = ("aé€😀" * (size // 10 + 1))[: max(0, size // 3)]
            await ws.send(text)
            check(f"text {len(text.encode())} bytes", await ws.recv() == text)
            data = bytes((i * 31) & 0xFF for i in range(size))
            await ws.send(data)
            check(f"binary {size} bytes", await ws.recv() == data)
        pong = await ws.ping(b"ping-payload")
        await asyncio.wait_for(pong, 5)
        check("pong for ping", True)
        await ws.close(4001, "bye")
        check(f"close code echoed ({ws.close_code})", ws.close_code == 4001)
    try:
        async with websockets.connect(base + "/reject"):
            check("rejected handshake", False)
    except websockets.exceptions.InvalidStatusCode as e:
        check(f"rejected handshake status {e.status_code}", e.status_code == 403)


asyncio.run(asyncio.wait_for(main(), 60))
sys.exit(1 if failures else 0)
