#!/usr/bin/env python3
"""Write the seed corpus of every fuzz target: tests/fuzz/corpus/<target>/seed-*.

Run it again after changing a target's input layout; it rewrites the seed-*
files and leaves regression-* files (crashes found by fuzzing) alone.
The input layouts are described at the top of each target's source file.
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
RSV1 = 0x40
RFC_KEY = bytes([0x37, 0xFA, 0x21, 0x3D])  # RFC 6455 5.7
ZERO_KEY = bytes(4)


def frame(opcode, payload=b"", fin=True, rsv=0, key=None):
    """One frame, masked with `key` when given (RFC 6455 5.2)."""
    out = bytearray([(0x80 if fin else 0) | rsv | opcode])
    mask_bit = 0x80 if key is not None else 0
    n = len(payload)
    if n < 126:
        out.append(mask_bit | n)
    elif n <= 0xFFFF:
        out.append(mask_bit | 126)
        out += struct.pack(">H", n)
    else:
        out.append(mask_bit | 127)
        out += struct.pack(">Q", n)
    if key is None:
        return bytes(out) + payload
    out += key
    return bytes(out) + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_body(code, reason=b""):
    return struct.pack(">H", code) + reason


def deflate_messages(messages, window_bits=15, context_takeover=True):
    """permessage-deflate payloads (RFC 7692 7.2.1): raw deflate, sync flush, tail removed."""
    out = []
    z = zlib.compressobj(6, zlib.DEFLATED, -window_bits)
    for m in messages:
        if not context_takeover:
            z = zlib.compressobj(6, zlib.DEFLATED, -window_bits)
        data = z.compress(m) + z.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        out.append(data[:-4])
    return out


def records(wire, reads):
    """The session targets' records: `wire` cut into reads of the sizes in `reads` (cycled)."""
    out = bytearray()
    pos, i = 0, 0
    while pos < len(wire):
        n = min(reads[i % len(reads)], len(wire) - pos, 255)
        out.append(n)
        out += wire[pos:pos + n]
        pos += n
        i += 1
    return bytes(out)


def action(code, argument):
    return bytes([0, code, argument])


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def clear_seeds():
    if not os.path.isdir(CORPUS):
        return
    for target in os.listdir(CORPUS):
        folder = os.path.join(CORPUS, target)
        for name in os.listdir(folder):
            if name.startswith("seed-"):
                os.remove(os.path.join(folder, name))


# ---- frame_codec: flags byte, then header bytes --------------------------------

def frame_codec():
    t = "frame_codec"
    write(t, "masked-hello", b"\x00" + frame(TEXT, b"Hello", key=RFC_KEY))
    write(t, "unmasked-hello", b"\x01" + frame(TEXT, b"Hello"))
    write(t, "len16-binary", b"\x10" + frame(BINARY, bytes(range(256)) * 1, key=ZERO_KEY)[:40])
    write(t, "len64-header", b"\x21" + frame(BINARY, b"")[:1] + b"\x7f" + struct.pack(">Q", 0x10000) + b"abcd")
    write(t, "close-1000", b"\x01" + frame(CLOSE, close_body(1000, b"bye")))
    write(t, "close-payload", b"\x00" + close_body(1001, "d\u00e9part".encode()))
    write(t, "ping-masked", b"\x00" + frame(PING, b"are you there?", key=RFC_KEY))
    write(t, "rsv1-deflate", b"\x09" + frame(TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=RSV1))
    write(t, "utf8-text", b"\xc1" + "κόσμε 😀 €uro".encode())
    write(t, "reserved-opcode", b"\x01\x83\x00")
    write(t, "non-minimal", b"\x01\x82\x7e\x00\x05hello")


# ---- handshakes: flags byte, then the HTTP message ------------------------------

RFC_REQUEST = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
BROWSER_REQUEST = (b"GET /ws?room=lobby&user=1 HTTP/1.1\r\nHost: localhost:8080\r\nConnection: Upgrade\r\n"
                   b"Pragma: no-cache\r\nCache-Control: no-cache\r\n"
                   b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36\r\n"
                   b"Upgrade: websocket\r\nOrigin: http://localhost:8080\r\nSec-WebSocket-Version: 13\r\n"
                   b"Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n"
                   b"Cookie: session=abc123; theme=dark\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
                   b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")


def server_handshake():
    t = "server_handshake"
    write(t, "rfc6455", b"\x00" + RFC_REQUEST)
    write(t, "browser-deflate", b"\x04" + BROWSER_REQUEST)
    write(t, "browser-bytewise", b"\x24" + BROWSER_REQUEST)
    write(t, "deflate-params", b"\xe8" + RFC_REQUEST.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
        b"client_max_window_bits=10; server_max_window_bits=12, permessage-deflate\r\n\r\n"))
    write(t, "frame-behind", b"\x0c" + RFC_REQUEST + frame(TEXT, b"Hello", key=RFC_KEY))
    write(t, "no-key", b"\x00" + b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
          b"Sec-WebSocket-Version: 13\r\n\r\n")
    write(t, "version-8", b"\x00" + RFC_REQUEST.replace(b"Version: 13", b"Version: 8"))
    write(t, "post", b"\x00" + RFC_REQUEST.replace(b"GET", b"POST"))
    write(t, "small-limits", b"\x01" + RFC_REQUEST)
    write(t, "bare-lf", b"\x00" + b"GET / HTTP/1.1\nHost: a\n\n")
    write(t, "folding", b"\x00" + b"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n")


RFC_RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n")


def client_handshake():
    t = "client_handshake"
    write(t, "rfc6455", b"\x00" + RFC_RESPONSE)
    write(t, "deflate", b"\x04" + RFC_RESPONSE.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
        b"client_max_window_bits=10\r\n\r\n"))
    write(t, "deflate-bytewise", b"\x64" + RFC_RESPONSE.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"))
    write(t, "wrong-accept", b"\x00" + RFC_RESPONSE.replace(b"s3pP", b"AAAA"))
    write(t, "unoffered-protocol", b"\x00" + RFC_RESPONSE.replace(b"Protocol: chat", b"Protocol: mqtt"))
    write(t, "rejected", b"\x00" + b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
          b"Content-Length: 0\r\n\r\n")
    write(t, "frame-behind", b"\x08" + RFC_RESPONSE + frame(TEXT, b"Hello"))
    write(t, "request-fields", b"\x20" + b"example.com:8080\n/chat?room=1 & more\nhttps://example.com\n"
          b"chat, superchat, not a token\npermessage-deflate; client_max_window_bits")
    write(t, "request-own-offer", b"\xa0" + b"localhost\n/\n\nv2.json\n")


def extension_headers():
    t = "extension_headers"
    write(t, "browser-offer", b"\x00permessage-deflate; client_max_window_bits")
    write(t, "all-params", b"\x0bpermessage-deflate; server_no_context_takeover; client_no_context_takeover; "
          b"server_max_window_bits=10; client_max_window_bits=12, permessage-deflate")
    write(t, "quoted", b"\x2apermessage-deflate; client_max_window_bits=\"10\"; server_max_window_bits=\"9\"")
    write(t, "eight-bits", b"\x00x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=8")
    write(t, "subprotocols", b"\x00chat, superchat,, v2.json ,\t mqtt")
    write(t, "escapes", b"\x00foo; bar=\"b\\\"az\", , baz; q")
    write(t, "duplicate-param", b"\x00permessage-deflate; server_no_context_takeover; server_no_context_takeover")
    write(t, "window-bits", b"\x0015")


# ---- sessions: three setting bytes, then records --------------------------------

def session_seeds(target, key):
    """`key` masks frames for a server session; None for a client session."""
    def wire(frames):
        return b"".join(frame(*f[:2], **(dict(f[2]) if len(f) > 2 else {}), key=key) for f in frames)

    close = (CLOSE, close_body(1000, b"done"))
    plain = wire([(TEXT, b"Hello"), (BINARY, bytes(range(40))), (PING, b"p"), close])
    write(target, "echo-whole", b"\x00\x00\x00" + records(plain, [255]))
    write(target, "echo-bytewise", b"\x80\x00\x40" + records(plain, [1, 2, 3]))
    fragmented = wire([(TEXT, "h\u00e9l".encode()[:2], {"fin": False}), (PING, b"between"),
                       (CONT, "h\u00e9l".encode()[2:] + b"lo", {"fin": False}), (CONT, b" world"),
                       (BINARY, bytes(300)), close])
    write(target, "fragments", b"\x00\x00\x00" + records(fragmented, [7, 64, 3]))
    write(target, "fragments-streaming", b"\x02\x00\x00" + records(fragmented, [5, 200]))
    # Local sends: text, binary, ping, a fragmented message, then our close answered by the peer's.
    local = (action(0, 5) + action(1, 9) + action(2, 10) + action(7, 4) + action(7, 5) + action(4, 0x10) +
             records(wire([(PONG, b"late"), (CLOSE, close_body(1000))]), [255]))
    write(target, "local-sends", b"\x00\x00\x00" + records(wire([(TEXT, b"hi")]), [255]) + local)
    write(target, "transport-lost", b"\x18\x00\x00" + records(wire([(TEXT, b"cut", {"fin": False})]), [255]) +
          action(6, 0) + action(5, 0))
    # Failures: invalid UTF-8 (1007), a reserved opcode (1002), a message over the limit (1009).
    write(target, "bad-utf8", b"\x00\x00\x00" + records(wire([(TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce"
                                                                     b"\xb5\xed\xa0\x80edited")]), [4]))
    write(target, "reserved-opcode", b"\x00\x00\x00" + records(wire([(0x3, b"")]), [255]))
    write(target, "too-big", b"\x60\x00\x00" + records(wire([(BINARY, bytes(20))]), [255]))
    write(target, "wrong-masking", b"\x00\x00\x00" + records(frame(TEXT, b"Hello", key=None if key else RFC_KEY),
                                                             [255]))
    # permessage-deflate: context takeover across messages, then a fresh window.
    messages = [b"Hello", b"Hello Hello Hello", b'{"type":"chat","text":"Hello"}' * 3]
    compressed = deflate_messages(messages)
    deflated = wire([(TEXT, compressed[0], {"rsv": RSV1}), (TEXT, compressed[1], {"rsv": RSV1}),
                     (BINARY, b"plain"), (TEXT, compressed[2], {"rsv": RSV1}), close])
    write(target, "deflate", b"\x01\x3e\x00" + records(deflated, [255]))
    write(target, "deflate-bytewise-swap", b"\x81\x3e\x45" + records(deflated, [1, 5]))
    # An empty message after another, echoed compressed (threshold 0) with context takeover.
    empty = deflate_messages([b"Hello", b""])
    write(target, "deflate-empty-echo", b"\x01\x3e\x00" + records(
        wire([(TEXT, empty[0], {"rsv": RSV1}), (TEXT, empty[1], {"rsv": RSV1}), (TEXT, b"after")]), [255]))
    fresh = deflate_messages(messages, window_bits=10, context_takeover=False)
    first, second = fresh[2][:10], fresh[2][10:]
    split = wire([(TEXT, first, {"rsv": RSV1, "fin": False}), (PING, b"x"), (CONT, second), (TEXT, fresh[0],
                                                                                             {"rsv": RSV1})])
    write(target, "deflate-fragmented", b"\x01\xd1\x00" + records(split, [16]))
    write(target, "deflate-streaming", b"\x03\xd1\x00" + records(split, [3, 100]))
    write(target, "deflate-corrupt", b"\x01\x3e\x00" + records(wire([(TEXT, b"\xff\xff\xff", {"rsv": RSV1})]), [255]))
    # At and just past the limits (index 2: 1000-byte messages; index 3: 3 fragments).
    text = b"0123456789" * 100
    for name, size in (("at-limit", 1000), ("over-limit", 1001)):
        write(target, "deflate-" + name, b"\x41\x3e\x00" + records(
            wire([(TEXT, deflate_messages([text[:size - 1] + b"!"])[0], {"rsv": RSV1}), close]), [255]))
        write(target, name, b"\x40\x00\x00" + records(
            wire([(BINARY, text[:500], {"fin": False}), (CONT, text[:size - 500]), close]), [255]))
    write(target, "fragment-limit", b"\x60\x00\x00" + records(
        wire([(TEXT, b"a", {"fin": False}), (CONT, b"b", {"fin": False}), (CONT, b"c", {"fin": False}),
              (CONT, b"d")]), [255]))
    bomb = deflate_messages([bytes(200000)])[0]
    write(target, "deflate-bomb", b"\x21\x3e\x00" + records(wire([(BINARY, bomb, {"rsv": RSV1})]), [255]))


def server_session():
    session_seeds("server_session", RFC_KEY)


def client_session():
    session_seeds("client_session", None)


def topic_tree():
    t = "topic_tree"
    write(t, "wildcards", b"Sa/b\nSa/+\nSa/#\nS#\nS+/b\nS+/+\nMa/b\nMa\nMb/b\nUa/+\nMa/b\nFa/#\nFa/+\nU#\nMa/c/d")
    write(t, "sports", b"Ssport/tennis/+\nSsport/#\nSsport/+/player1\nMsport/tennis/player1\n"
          b"Msport\nMsport/tennis\nUsport/#\nMsport/tennis/player1\nFsport/tennis/+")
    write(t, "empty-levels", b"Sa//b\nS/\nS+/+\nS/#\nM/\nMa//b\nM//\nU/\nF/\nMa/")
    write(t, "rooms", b"Sroom:1\nSroom:2\nSroom:+\nS+\nMroom:1\nUroom:1\nMroom:1\nUroom:2\nU+\nMroom:2")


def json_rpc():
    t = "json_rpc"
    msgs = [
        b'{"jsonrpc":"2.0","method":"echo","params":[1,2,{"a":"b"}],"id":1}',
        b'{"jsonrpc":"2.0","method":"count","params":["x","y"],"id":"abc"}',
        b'{"jsonrpc":"2.0","method":"fail","params":{"why":"test"},"id":2}',
        b'{"jsonrpc":"2.0","method":"boom","id":3}',
        b'{"jsonrpc":"2.0","method":"missing","id":null}',
        b'{"jsonrpc":"2.0","method":"echo","params":[1]}',
    ]
    write(t, "requests", b"\x00" + b"\x00".join(msgs))
    write(t, "batch", b"\x00" + b'[{"jsonrpc":"2.0","method":"echo","params":[1,2,4],"id":"1"},'
          b'{"jsonrpc":"2.0","method":"notify_hello","params":[7]},'
          b'{"jsonrpc":"2.0","method":"count","params":[42,23],"id":"2"},'
          b'{"foo":"boo"},{"jsonrpc":"2.0","method":"later","id":"9"},1]')
    write(t, "events", b"\x00" + b'{"jsonrpc":"2.0","method":"rpc.emit","params":{"event":"chat","data":"hi"},"id":4}'
          b'\x00{"jsonrpc":"2.0","method":"rpc.emit","params":{"event":"other"},"id":5}'
          b'\x00{"jsonrpc":"2.0","method":"rpc.emit","params":{"data":1},"id":6}'
          b'\x00{"jsonrpc":"2.0","method":"rpc.emit","params":{"event":"chat","data":[1]}}')
    write(t, "responses", b"\x0c" + b'{"jsonrpc":"2.0","result":3,"id":1}'
          b'\x00{"jsonrpc":"2.0","error":{"code":-32601,"message":"no"},"id":2}'
          b'\x00[{"jsonrpc":"2.0","result":null,"id":3},{"jsonrpc":"2.0","result":1,"id":1}]')
    write(t, "pending-bound", b"\x0d" + b'{"jsonrpc":"2.0","method":"never","id":1}'
          b'\x00{"jsonrpc":"2.0","method":"never","id":2}\x00{"jsonrpc":"2.0","method":"echo","id":3}'
          b'\x00[{"jsonrpc":"2.0","method":"later","id":4},{"jsonrpc":"2.0","method":"echo","id":5}]')
    write(t, "malformed", b"\x11" + b'{"jsonrpc":"2.0","method":"echo","params":[1,2'
          b'\x00[]\x00{"jsonrpc":"1.0","method":"echo","id":1}\x00{"jsonrpc":"2.0","method":1,"id":1}'
          b'\x00{"jsonrpc":"2.0","method":"echo","params":"x","id":{"a":1}}\x00' + b"[" * 70 + b"]" * 70 +
          b'\x00"just a string"\x00{"jsonrpc":"2.0","method":"echo","id":"' + b"x" * 300 + b'"}')


if __name__ == "__main__":
    clear_seeds()
    for make in (frame_codec, server_handshake, client_handshake, extension_headers, server_session, client_session,
                 topic_tree, json_rpc):
        make()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(CORPUS) for f in fs)
    print(f"corpus: {total} bytes")
