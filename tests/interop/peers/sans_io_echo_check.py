"""examples/sans_io_echo (no Asio: duplex's sans-I/O connection on poll(2)) as
strict as echo_server: each bad input gets its RFC close code or HTTP status,
the server keeps serving, and SIGTERM closes open connections with 1001.

usage: sans_io_echo_check.py SANS_IO_ECHO_BINARY [CXX INCLUDE_DIR SOURCE]
Starts the server itself (with --max-message-size 1000 --max-fragments 3) on
127.0.0.1 port 0; every wait is bounded. With a compiler, the include
directory and the example's source, also checks that no Asio header is part
of it (the compiler's -M list of every header it reads).
"""
import os
import signal
import socket
import struct
import subprocess
import sys

from raw_websocket import RawClient, frame

binary = sys.argv[1]
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        failures += 1


def http(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = s.recv(4096)
            if not chunk:
                break
            response += chunk
        return response


def upgrade(port):
    c = RawClient(port, "/echo", timeout=5)
    assert c.upgraded, c.handshake
    return c


if len(sys.argv) >= 5:
    cxx, include, source = sys.argv[2:5]
    examples = os.path.dirname(os.path.dirname(os.path.abspath(source)))  # for "common/cli.hpp"
    deps = subprocess.run([cxx, "-std=c++17", "-M", "-DDUPLEX_HAS_ZLIB=1", "-I", include, "-I", examples, source],
                          capture_output=True, text=True, timeout=120)
    headers = deps.stdout.replace("\\\n", " ").split()
    duplex_headers = [h for h in headers if "/duplex/" in h]
    asio_headers = [h for h in headers if "/asio/" in h or h.endswith("/asio.hpp")]
    check(f"the example reads {len(duplex_headers)} duplex headers and no Asio header ({asio_headers[:3]})"
          + (f": {deps.stderr.strip()[:300]}" if deps.returncode != 0 else ""),
          deps.returncode == 0 and len(duplex_headers) > 10 and not asio_headers)

server = subprocess.Popen([binary, "--port", "0", "--max-message-size", "1000", "--max-fragments", "3"],
                          stdout=subprocess.PIPE, text=True)
try:
    line = server.stdout.readline()
    check(f"prints 'listening on HOST:PORT' ({line.strip()})", line.startswith("listening on 127.0.0.1:"))
    port = int(line.strip().rsplit(":", 1)[1])

    # Echo: text and binary, a message in 3 fragments, a ping.
    s = upgrade(port)
    s.send(frame(0x1, "héllo".encode()))
    check("text echo", s.read_frame() == (0x1, "héllo".encode()))
    s.send(frame(0x2, bytes(range(200))))
    check("binary echo", s.read_frame() == (0x2, bytes(range(200))))
    s.send(frame(0x1, b"a", fin=False) + frame(0x0, b"b", fin=False) + frame(0x0, b"c"))
    check("a message in 3 fragments (the limit) is echoed whole", s.read_frame() == (0x1, b"abc"))
    s.send(frame(0x9, b"are you there"))
    check("a ping is answered with its pong", s.read_frame() == (0xA, b"are you there"))
    s.send(frame(0x8, struct.pack("!H", 1000)))
    check("a close is answered with 1000", s.close_code() == 1000)
    s.close()

    # Bad input: each gets its close code, and the server keeps serving.
    cases = [
        ("a message over --max-message-size", frame(0x2, b"x" * 1001), 1009),
        ("a 4th fragment over --max-fragments", frame(0x2, b"a", fin=False) + frame(0x0, b"b", fin=False) +
         frame(0x0, b"c", fin=False) + frame(0x0, b"d"), 1009),
        ("invalid UTF-8 in a text message", frame(0x1, b"\xff\xfe"), 1007),
        ("an unmasked client frame", frame(0x1, b"hi", masked=False), 1002),
        ("a reserved opcode", frame(0x3, b""), 1002),
        ("RSV1 without an extension", frame(0x1, b"hi", rsv=0x40), 1002),
        ("a fragmented ping", frame(0x9, b"p", fin=False), 1002),
    ]
    for name, data, code in cases:
        s = upgrade(port)
        s.send(data)
        got = s.close_code()
        check(f"{name}: close {code} (got {got})", got == code)
        s.close()

    # Bad handshakes get HTTP statuses; plain HTTP gets 404.
    for name, request, status in [
        ("POST instead of GET", b"POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", b"405"),
        ("version 8", b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", b"426"),
        ("a header block over 8 KiB", b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"y" * 9000 + b"\r\n\r\n", b"431"),
        ("plain HTTP", b"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n", b"404"),
    ]:
        response = http(port, request)
        check(f"{name}: HTTP {status.decode()} ({response[:12]!r})", response.startswith(b"HTTP/1.1 " + status))

    # Still serving after all that; then SIGTERM closes with 1001 and exits 0.
    s = upgrade(port)
    s.send(frame(0x1, b"still here"))
    check("still serving after the bad input", s.read_frame() == (0x1, b"still here"))
    server.send_signal(signal.SIGTERM)
    check("SIGTERM closes an open connection with 1001", s.close_code() == 1001)
    s.send(frame(0x8, struct.pack("!H", 1001)))
    s.close()
    server.wait(timeout=10)
    check(f"exits 0 after SIGTERM ({server.returncode})", server.returncode == 0)
finally:
    if server.poll() is None:
        server.kill()
        server.wait()

sys.exit(1 if failures else 0)
