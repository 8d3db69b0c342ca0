"""Python `websockets` echo server for duplex's interop tests.

usage: python_echo_server.py [--deflate]
Binds 127.0.0.1 on a free port and prints "listening on 127.0.0.1:PORT".
Echoes text as text and binary as binary; the text "close-me:CODE:REASON"
makes it close with that code and reason. permessage-deflate only with
--deflate. SIGTERM closes every connection (1001) and exits 0.
"""
import asyncio
import signal
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("close-me:"):
                _, code, reason = message.split(":", 2)
                await ws.close(int(code), reason)
                return
            await ws.send(message)
    except websockets.exceptions.ConnectionClosedError:
        pass  # how websockets ends the loop on a close code other than 1000/1001 (4001 here)


async def main():
    compression = "deflate" if "--deflate" in sys.argv else None
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=2 ** 21, compression=compression) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.wait_for(stop, 120)  # never outlive a test run


asyncio.run(main())
