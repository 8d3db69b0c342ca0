"""Python `websockets` client against a duplex server.

usage: python_client.py BASE_URL [--deflate] [--no-reject]
On BASE_URL/echo: text and binary round trips of exactly 0, 125, 126, 65535,
65536 and 1 MiB bytes (text mixes 1- to 4-byte UTF-8 characters), a ping whose
pong must carry its payload, and a close with 4001 "bye" whose echoed code is
checked. permessage-deflate is negotiated only with --deflate; without it, one
more connection offers deflate (as websockets does by default) and must still
echo, the server having declined. Unless --no-reject, BASE_URL/reject must
refuse the handshake with 403.
Prints one line per check; exit status 0 only if all passed.
"""
import asyncio
import sys

import websockets

base = sys.argv[1]
deflate = "--deflate" in sys.argv
compression = "deflate" if deflate else None
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    failures += 0 if ok else 1


def text_of(size):
    """Valid UTF-8 of exactly `size` bytes: a, é, €, 😀 (1+2+3+4 bytes), ASCII padding."""
    text = "aé€😀" * (size // 10)
    return text + "a" * (size - len(text.encode()))


def negotiated(ws):
    return ws.response_headers.get("Sec-WebSocket-Extensions", "")


async def main():
    async with websockets.connect(base + "/echo", max_size=2 ** 21, compression=compression) as ws:
        check(f"deflate negotiated={bool(negotiated(ws))} as asked", bool(negotiated(ws)) == deflate)
        for size in (0, 125, 126, 65535, 65536, 1 << 20):
            text = text_of(size)
            await ws.send(text)
            echoed = await ws.recv()
            check(f"text {len(text.encode())} bytes", isinstance(echoed, str) and echoed == text)
            data = bytes((i * 31) & 0xFF for i in range(size))
            await ws.send(data)
            echoed = await ws.recv()
            check(f"binary {size} bytes", isinstance(echoed, bytes) and echoed == data)
        # websockets resolves the waiter only for a pong with the ping's payload.
        pong = await ws.ping(b"ping-payload")
        await asyncio.wait_for(pong, 5)
        check("pong with the ping's payload", True)
        await ws.close(4001, "bye")
        check(f"close 4001 echoed (got {ws.close_code} {ws.close_reason!r})", ws.close_code == 4001)
    if not deflate:
        async with websockets.connect(base + "/echo", compression="deflate") as ws:
            await ws.send("offered deflate")
            echoed = await ws.recv()
            check(
                f"deflate offered, declined ({negotiated(ws)!r}), echo works",
                negotiated(ws) == "" and echoed == "offered deflate",
            )
    if "--no-reject" not in sys.argv:
        try:
            async with websockets.connect(base + "/reject", compression=compression):
                check("rejected handshake", False)
        except websockets.exceptions.InvalidStatusCode as e:
            check(f"rejected handshake status {e.status_code}", e.status_code == 403)


try:
    asyncio.run(asyncio.wait_for(main(), 60))
except Exception as e:  # a failed connect, a timeout, a closed connection: one failed check
    check(f"{type(e).__name__}: {e}", False)
sys.exit(1 if failures else 0)
