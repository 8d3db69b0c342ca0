"""A raw-socket WebSocket client for tests that must send what no library
client would (a frame over a limit, an unmasked frame, a reserved opcode) and
read exactly what the server answers. Standard library only.

    c = RawClient(port)                 # upgrade on 127.0.0.1; c.handshake holds the response head
    c.send(frame(0x1, b"a", fin=False), frame(0x0, b"b"))
    opcode, payload = c.read_frame()
    code = c.close_code()               # the code of the next close frame
"""
import base64
import os
import socket
import struct


def frame(opcode, payload, fin=True, masked=True, rsv=0):
    """One frame (RFC 6455 5.2); masked as a client's unless masked=False."""
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n <= 0xFFFF:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawClient:
    """One connection: the upgrade request sent and its response head read at construction."""

    def __init__(self, port, path="/", host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.received = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        while b"\r\n\r\n" not in self.received:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.received += chunk
        self.handshake, _, self.received = self.received.partition(b"\r\n\r\n")
        self.upgraded = self.handshake.startswith(b"HTTP/1.1 101 ")

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def read(self, n):
        while len(self.received) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.received += chunk
        data, self.received = self.received[:n], self.received[n:]
        return data

    def read_frame(self):
        """(opcode, payload) of the next frame; server frames are not masked."""
        b0, b1 = self.read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read(8))[0]
        return b0 & 0x0F, self.read(n)

    def close_code(self):
        """The code of the next close frame (data frames before it are skipped); 1005 without a code."""
        for _ in range(10):
            opcode, payload = self.read_frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        return None

    def close(self):
        self.sock.close()
