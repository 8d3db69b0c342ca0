"""Two chat servers sharing rooms through a real redis-server.

usage: chat_scaleout.py CHAT_SERVER

Starts redis-server on a free loopback port and two chat_server processes with
--redis, then with Python `websockets` clients checks: a message sent on one
server reaches a member on the other with the same sequence number; room counts
include both servers; a client that leaves one server resumes on the other from
its last sequence number and gets exactly what it missed; typing indicators
cross servers; a restarted server still has the rooms' last messages (kept in
Redis), so a client resumes there and a new one gets them; killing Redis keeps
both servers serving their own members; when Redis returns, messages cross
again; SIGTERM stops both servers with exit status 0.
Prints one line per check; exit status 0 only if all passed.
"""
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import websockets

SECRET = "scaleout-test-secret"
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        failures += 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port):
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return p
        except OSError:
            time.sleep(0.05)
    sys.exit("redis-server did not start")


def start_chat(binary, redis_port):
    p = subprocess.Popen([binary, "--port", "0", "--secret", SECRET, "--redis", f"127.0.0.1:{redis_port}"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if not line.startswith("listening on "):
        sys.exit("chat_server did not start")
    return p, line.split()[-1]


def token(address, name):
    request = urllib.request.Request(f"http://{address}/login?name={name}", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["token"]


def healthy(address):
    try:
        with urllib.request.urlopen(f"http://{address}/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


async def connect(address, name):
    ws = await websockets.connect(f"ws://{address}/ws?token={token(address, name)}")
    await wait_for(ws, lambda e: e["type"] == "welcome")
    return ws


async def wait_for(ws, predicate, timeout=5.0):
    """The first event matching predicate, or None after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            event = json.loads(await asyncio.wait_for(ws.recv(), left))
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            return None
        if predicate(event):
            return event


async def join(ws, room, last_seq=None):
    request = {"type": "join", "room": room}
    if last_seq is not None:
        request["last_seq"] = last_seq
    await ws.send(json.dumps(request))


def message_from(sender, text=None):
    return lambda e: e["type"] == "message" and e["from"] == sender and (text is None or e["text"] == text)


async def scenario(binary):
    redis_port = free_port()
    redis = start_redis(redis_port)
    (server_a, a), (server_b, b) = start_chat(binary, redis_port), start_chat(binary, redis_port)
    try:
        time.sleep(0.3)  # both backplanes connect
        alice, bob = await connect(a, "alice"), await connect(b, "bob")
        await join(alice, "general")
        await join(bob, "general")
        check("both joined", await wait_for(alice, lambda e: e["type"] == "joined") is not None and
              await wait_for(bob, lambda e: e["type"] == "joined") is not None)

        await alice.send(json.dumps({"type": "message", "room": "general", "text": "hello from a"}))
        seen_by_bob = await wait_for(bob, message_from("alice", "hello from a"))
        seen_by_alice = await wait_for(alice, message_from("alice", "hello from a"))
        check("a message crosses servers", seen_by_bob is not None)
        check("with the same sequence number on both",
              seen_by_bob is not None and seen_by_alice is not None and seen_by_bob["seq"] == seen_by_alice["seq"])
        counted = await wait_for(bob, lambda e: e["type"] == "rooms" and
                                 any(r["name"] == "general" and r["count"] == 2 for r in e["rooms"]))
        check("room counts include the other server's members", counted is not None)

        # bob leaves server b and comes back on server a, resuming from what he saw.
        last = seen_by_bob["seq"] if seen_by_bob else 0
        await bob.close()
        for text in ("missed 1", "missed 2"):
            await alice.send(json.dumps({"type": "message", "room": "general", "text": text}))
            await wait_for(alice, message_from("alice", text))
        bob = await connect(a, "bob")
        await join(bob, "general", last)
        replayed = []
        while True:
            event = await wait_for(bob, lambda e: e["type"] in ("message", "joined"))
            if event is None or event["type"] == "joined":
                break
            replayed.append(event)
        texts = [e["text"] for e in replayed]
        check(f"resumed on the other server after seq {last}: {texts}", texts == ["missed 1", "missed 2"])
        check("joined without a resync", event is not None and event["resync"] is False)

        # Typing indicators cross servers too.
        carol = await connect(b, "carol")
        await join(carol, "general")
        await wait_for(carol, lambda e: e["type"] == "joined")
        await carol.send(json.dumps({"type": "typing", "room": "general"}))
        typing = await wait_for(alice, lambda e: e["type"] == "typing")
        check("a typing indicator crosses servers", typing is not None and typing["from"] == "carol")

        # Server b restarts: its memory is gone, the rooms' history is in Redis.
        await alice.send(json.dumps({"type": "message", "room": "general", "text": "before restart"}))
        seen = await wait_for(carol, message_from("alice", "before restart"))
        carol_last = seen["seq"] if seen else 0
        await carol.close()
        server_b.send_signal(signal.SIGTERM)
        server_b.wait(timeout=10)
        await alice.send(json.dumps({"type": "message", "room": "general", "text": "during restart"}))
        await wait_for(alice, message_from("alice", "during restart"))
        server_b, b = start_chat(binary, redis_port)
        time.sleep(0.3)
        carol = await connect(b, "carol")
        await join(carol, "general", carol_last)
        replayed = []
        while True:
            event = await wait_for(carol, lambda e: e["type"] in ("message", "joined"))
            if event is None or event["type"] == "joined":
                break
            replayed.append(event["text"])
        check(f"resumed on the restarted server after seq {carol_last}: {replayed}", replayed == ["during restart"])
        check("without a resync", event is not None and event["resync"] is False)
        dave = await connect(b, "dave")
        await join(dave, "general")
        # The history reaches back to the room's first message, so it comes as
        # a replay (before "joined"); a longer one would come after a resync.
        history, joined = [], None
        while True:
            event = await wait_for(dave, lambda e: e["type"] in ("message", "joined"), timeout=1.0)
            if event is None:
                break
            if event["type"] == "joined":
                joined = event
            else:
                history.append(event["text"])
        check(f"a newcomer on the restarted server gets the last messages: {history}",
              joined is not None and history[:1] == ["hello from a"] and
              history[-2:] == ["before restart", "during restart"])
        await dave.close()

        # Redis dies: both servers keep serving their own members.
        redis.kill()
        redis.wait()
        time.sleep(0.3)
        check("both servers alive without Redis", healthy(a) and healthy(b) and server_a.poll() is None and
              server_b.poll() is None)
        await alice.send(json.dumps({"type": "message", "room": "general", "text": "local only"}))
        check("local delivery goes on", await wait_for(bob, message_from("alice", "local only")) is not None)
        check("nothing crosses while Redis is down",
              await wait_for(carol, message_from("alice", "local only"), timeout=1.0) is None)

        # Redis comes back: the backplanes reconnect (backoff up to 5 s) and messages cross again.
        redis = start_redis(redis_port)
        crossed = None
        deadline = time.monotonic() + 15
        attempt = 0
        while crossed is None and time.monotonic() < deadline:
            attempt += 1
            await carol.send(json.dumps({"type": "message", "room": "general", "text": f"back {attempt}"}))
            crossed = await wait_for(alice, message_from("carol"), timeout=1.0)
        check(f"messages cross again once Redis is back (after {attempt} tries)", crossed is not None)
        for ws in (alice, bob, carol):
            await ws.close()
    finally:
        codes = []
        for p in (server_a, server_b):
            p.send_signal(signal.SIGTERM)
            try:
                codes.append(p.wait(timeout=10))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append("hung")
        redis.kill()
        redis.wait()
    check(f"both servers exit 0 on SIGTERM ({codes})", codes == [0, 0])


asyncio.run(asyncio.wait_for(scenario(sys.argv[1]), 90))
sys.exit(1 if failures else 0)
