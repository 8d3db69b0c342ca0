"""Run one interop pairing: a server process and a client process.

usage: run_peer.py SERVER_CMD... -- CLIENT_CMD...
The server must print "listening on HOST:PORT"; the client gets ws://HOST:PORT
appended as its first argument (after the program and script). Fails if the
client fails, the server does not start within 20 s, or the server does not
exit within 10 s of SIGTERM.
"""
import os
import signal
import subprocess
import sys
import time

argv = sys.argv[1:]
split = argv.index("--")
server_cmd, client_cmd = argv[:split], argv[split + 1:]

server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, text=True)
try:
    deadline = time.time() + 20
    line = ""
    while time.time() < deadline:
        line = server.stdout.readline()
        if line.startswith("listening on ") or not line:
            break
    if not line.startswith("listening on "):
        print(f"server did not start: {server_cmd}", file=sys.stderr)
        sys.exit(1)
    address = line.split()[-1]
    url = f"ws://{address}"
    insert_at = 2 if client_cmd[0].endswith(("python3", "node")) else 1
    cmd = client_cmd[:insert_at] + [url] + client_cmd[insert_at:]
    print("client:", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, timeout=90)
    server.send_signal(signal.SIGTERM)
    rest, _ = server.communicate(timeout=10)
    sys.stdout.write(rest)
    if result.returncode != 0:
        print(f"client failed with {result.returncode}", file=sys.stderr)
        sys.exit(1)
    print(f"{len([l for l in rest.splitlines()])} server lines; interop passed", flush=True)
finally:
    if server.poll() is None:
        server.kill()
        server.wait()
