"""The example programs' command lines, echo_server's limits and echo_client over wss.

usage: example_cli.py [--tls] PROGRAM=PATH...   (echo_server=PATH, echo_client=PATH, tls_server=PATH, ...)

For every program given: --help exits 0 with the usage line on stdout; an unknown
option, a missing value and a bad value each exit with the usage status (2; 64
for rpc_client, whose 2 means "no connection") and the usage line on stderr,
and start nothing (each run has 5 s: a server still running then fails).
echo_server: --max-fragments 2 and --max-frame-size 100 close with 1009 what
goes past them (a raw-socket client sends the frames). With --tls, echo_client
over wss:// to an echo_server with a certificate from a throwaway CA (openssl
command line) passes with --ca and fails without it. Prints one line per check; exit status 0 only if all passed.
"""
import os
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading

from raw_websocket import RawClient, frame

programs = dict(arg.split("=", 1) for arg in sys.argv[1:] if "=" in arg)
failures = 0

# Per program: its usage status and bad command lines, each of them an unknown
# option, a missing value or a bad value (rpc_client: a missing argument, bad JSON).
URL = "ws://127.0.0.1:9/"
CASES = {
    "echo_server": (2, [["--no-such-option"], ["--port"], ["--port", "abc"], ["--port", "70000"], ["--threads", "0"],
                        ["--max-fragments", "0"], ["--max-frame-size", "-1"], ["--max-message-size", "1k"]]),
    "echo_client": (2, [[URL, "--no-such-option"], [URL, "--count"], [URL, "--count", "abc"], [URL, "--size", "1e3"],
                        []]),
    "multi_threaded": (2, [["--no-such-option"], ["--threads"], ["--port", "abc"], ["--threads", "0"],
                           ["--seconds", "-1"]]),
    "tls_server": (2, [["--no-such-option"], ["--cert"], ["--port", "70000"], ["--port", ""], ["--cert", "c.pem"]]),
    "chat_server": (2, [["--no-such-option"], ["--secret"], ["--port", "8080x"], ["--token-ttl", "-1"]]),
    "dashboard_server": (2, [["--no-such-option"], ["--interval-ms"], ["--interval-ms", "5"], ["--port", "abc"]]),
    "rpc_service": (2, [["--no-such-option"], ["--host"], ["--port", "70000"], ["extra"]]),
    "sans_io_echo": (2, [["--no-such-option"], ["--port"], ["--port", "abc"], ["--max-fragments", "0"],
                         ["--max-message-size", "-1"]]),
    "rpc_client": (64, [[URL, "add", "--no-such-option"], [URL], [URL, "add", "[1,"], [URL, "add", "5"]]),
}
with_tls = "--tls" in sys.argv  # echo_server and echo_client are built with TLS: check wss


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        failures += 1


def run(args):
    """(exit status, stdout, stderr); exit status None when still running after 5 s."""
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=5)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:  # run() has killed it; its output comes as bytes
        return None, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")


def check_command_lines(program, path):
    usage_status, bad_command_lines = CASES[program]
    usage = f"usage: {program} "
    code, out, err = run([path, "--help"])
    check(f"{program} --help exits 0 with the usage on stdout ({code}, {out.strip()!r})",
          code == 0 and out.startswith(usage) and "listening on" not in out)
    for args in bad_command_lines:
        code, out, err = run([path, *args])
        check(f"{program} {' '.join(args)!r} exits {usage_status} with the usage on stderr "
              f"({code}, {err.strip().splitlines()[:1]})",
              code == usage_status and usage in err and "listening on" not in out)


class Server:
    """An echo_server started with `args`; its port read from "listening on HOST:PORT"."""

    def __init__(self, args):
        self.process = subprocess.Popen([programs["echo_server"], "--port", "0", *args], stdout=subprocess.PIPE,
                                        text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=10)
        except queue.Empty:
            line = ""
        if not line.startswith("listening on "):
            self.process.kill()
            sys.exit(f"echo_server {args} did not start ({line!r})")
        self.port = int(line.split(":")[-1])

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None


def exchange(port, frames):
    """Sends `frames` on a new connection, then reads the answer: ("message", payload) or ("close", code)."""
    c = RawClient(port)
    try:
        if not c.upgraded:
            return ("no handshake", c.handshake)
        c.send(*frames)
        opcode, payload = c.read_frame()
        if opcode == 0x8:
            return ("close", struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
        return ("message", payload)
    finally:
        c.close()


def check_limits():
    server = Server(["--max-fragments", "2"])
    answer = exchange(server.port, [frame(0x1, b"a", fin=False), frame(0x0, b"b")])
    check(f"--max-fragments 2: a message in 2 fragments is echoed ({answer})", answer == ("message", b"ab"))
    answer = exchange(server.port, [frame(0x1, b"a", fin=False), frame(0x0, b"b", fin=False), frame(0x0, b"c")])
    check(f"--max-fragments 2: a message in 3 fragments is closed with 1009 ({answer})", answer == ("close", 1009))
    check("echo_server exits 0 on SIGTERM", server.stop() == 0)

    server = Server(["--max-frame-size", "100", "--max-message-size", "1000"])
    answer = exchange(server.port, [frame(0x2, b"x" * 100)])
    check(f"--max-frame-size 100: a 100-byte frame is echoed ({answer[0]})", answer == ("message", b"x" * 100))
    parts = [frame(0x2, b"y" * 90, fin=False), frame(0x0, b"y" * 90, fin=False), frame(0x0, b"y" * 90)]
    answer = exchange(server.port, parts)
    check(f"--max-message-size 1000: a 270-byte message in 3 frames is echoed ({answer[0]})",
          answer == ("message", b"y" * 270))
    answer = exchange(server.port, [frame(0x2, b"z" * 200)])
    check(f"--max-frame-size 100: a 200-byte frame is closed with 1009 ({answer})", answer == ("close", 1009))
    check("echo_server exits 0 on SIGTERM", server.stop() == 0)


def check_wss(directory):
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=30)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=example_cli CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "1",
            "-days", "1", "-extfile", "server.ext", "-out", "server.pem")

    server = Server(["--tls-cert", os.path.join(directory, "server.pem"),
                     "--tls-key", os.path.join(directory, "server.key")])
    url = f"wss://localhost:{server.port}/"
    client = [programs["echo_client"], url, "--count", "3"]
    r = subprocess.run(client + ["--ca", os.path.join(directory, "ca.pem")], capture_output=True, text=True,
                       timeout=30)
    check(f"echo_client {url} --ca ca.pem --count 3 exits 0 ({r.returncode}, {r.stdout.strip()!r}, "
          f"{r.stderr.strip()!r})", r.returncode == 0 and r.stdout.startswith("3 sent, 3 matched"))
    r = subprocess.run(client, capture_output=True, text=True, timeout=30)
    check(f"echo_client {url} without --ca fails: the certificate is verified ({r.returncode}, "
          f"{r.stderr.strip()!r})", r.returncode != 0)
    check("echo_server (wss) exits 0 on SIGTERM", server.stop() == 0)


for program, path in programs.items():
    check_command_lines(program, path)
if "echo_server" in programs:
    check_limits()
if with_tls and "echo_server" in programs and "echo_client" in programs:
    with tempfile.TemporaryDirectory() as directory:
        check_wss(directory)
sys.exit(1 if failures else 0)
