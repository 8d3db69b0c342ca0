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
        async with websockets.connect(f"wss://localhost:{port}/echo", ssl=context) as ws:
            await ws.send("over TLS")
            assert await ws.recv() == "over TLS"
        print("ok   wss echo with the generated certificate")
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
