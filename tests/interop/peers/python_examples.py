"""Checks of the example programs with Python websockets.

usage: python_examples.py URL tls CERT_FILE   wss echo, trusting the certificate the server wrote
       python_examples.py URL ticks            echo plus at least 3 ticks from the server's own thread
"""
import asyncio
import ssl
import sys

import websockets

url, mode = sys.argv[1], sys.argv[2]


async def main():
    if mode == "tls":
        port = url.rsplit(":", 1)[1]
        context = ssl.create_default_context(cafile=sys.argv[3])  # verifies chain and host name
        async with websockets.connect(f"wss://localhost:{port}/echo", ssl=context, max_size=None) as ws:
            await ws.send("over TLS")
            assert await ws.recv() == "over TLS"
            # Frame-length boundaries and more than one TLS record, text and binary.
            for size in (0, 125, 126, 16384, 65535, 65536, 1 << 20):
                for message in ("t" * size, bytes(i * 7 % 251 for i in range(size))):
                    await ws.send(message)
                    assert await ws.recv() == message, f"{type(message).__name__} of {size} bytes"
            for i in range(200):  # a burst: many records in one read
                await ws.send(f"burst {i}")
            for i in range(200):
                assert await ws.recv() == f"burst {i}"
        print("ok   wss echo with the generated certificate, 0 B to 1 MiB, and a burst of 200")
    else:
        async with websockets.connect(url + "/") as ws:
            await ws.send("echo me")
            ticks, echoed = 0, False
            while ticks < 3 or not echoed:
                message = await ws.recv()
                if message == "echo me":
                    echoed = True
                elif message.startswith("tick "):
                    ticks += 1
        print("ok   echo and", ticks, "ticks from another thread")


asyncio.run(asyncio.wait_for(main(), 20))
