"""Load and soak test of a duplex server, bounded and on loopback only.

usage: run_soak.py SOAK_SERVER SOAK_CLIENT [--connections 10000] [--churn-seconds 60]
                   [--concurrency 200] [--subscribers 50] [--publishers 10]

1. hold: SOAK_CLIENT opens --connections connections (one echo each) and holds
   them, then all send again at once; the server's RSS growth must stay within
   2 KiB per connection, and its file descriptors return to the baseline once
   they close.
2. churn: --concurrency workers connect, echo or publish, and disconnect in a
   loop for --churn-seconds; the server's RSS, sampled every second, must end
   within 5% (or 2 MiB) of where it was a quarter of the way in (no leak), and
   no file descriptor may be left behind.
3. graceful shutdown under load: publishers publish as fast as they are
   acknowledged to every subscriber; SIGTERM stops the server, which must
   exit 0 after closing every connection with 1001, and every publish it
   acknowledged must have reached every subscriber closed that way.
A longer soak: --churn-seconds 1800. Prints one line per check; exit status 0
only if all passed.
"""
import argparse
import os
import signal
import subprocess
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("server")
parser.add_argument("client")
parser.add_argument("--connections", type=int, default=10000)
parser.add_argument("--churn-seconds", type=float, default=60)
parser.add_argument("--concurrency", type=int, default=200)
parser.add_argument("--subscribers", type=int, default=50)
parser.add_argument("--publishers", type=int, default=10)
args = parser.parse_args()

failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        failures += 1


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settle_fds(pid, target, seconds=10):
    """The server's fd count once it is back at target, or what it is after seconds."""
    deadline = time.monotonic() + seconds
    n = fd_count(pid)
    while n != target and time.monotonic() < deadline:
        time.sleep(0.1)
        n = fd_count(pid)
    return n


def run_client(*argv, timeout):
    return subprocess.run([args.client, *map(str, argv)], stdout=subprocess.PIPE, text=True, timeout=timeout)


server = subprocess.Popen([args.server, "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    line = server.stdout.readline()
    if not line.startswith("listening on "):
        sys.exit("soak_server did not start")
    port = line.split(":")[-1].strip()
    pid = server.pid
    base_rss, base_fds = rss_kib(pid), fd_count(pid)
    print(f"server pid {pid}: RSS {base_rss} KiB, {base_fds} file descriptors", flush=True)

    # 1. hold N connections
    n = args.connections
    started = time.monotonic()
    hold = subprocess.Popen([args.client, "hold", port, str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    holding = hold.stdout.readline().strip()
    opened = time.monotonic() - started
    print(f"client: {holding}", flush=True)
    check(f"{n} connections opened, each echoed once ({opened:.1f} s)", holding.startswith(f"holding {n} ok={n} "))
    time.sleep(2)  # idle connections give their read buffers back (park_after)
    rss, fds = rss_kib(pid), fd_count(pid)
    per_connection = (rss - base_rss) * 1024 / n
    print(f"server at {n} connections: RSS {rss} KiB (+{rss - base_rss} KiB, {per_connection:.0f} B per "
          f"connection), {fds} file descriptors", flush=True)
    check(f"server RSS growth {per_connection:.0f} B per connection <= 2 KiB", per_connection <= 2 * 1024)
    check(f"one server descriptor per connection ({fds - base_fds})", fds - base_fds == n)
    hold.stdin.write("\n")
    hold.stdin.flush()
    closed = hold.stdout.readline().strip()
    hold_status = hold.wait(timeout=120)
    check(f"every connection echoed again and closed normally ({closed})", hold_status == 0)
    fds = settle_fds(pid, base_fds)
    check(f"server file descriptors back to {base_fds} ({fds})", fds == base_fds)

    # 2. churn
    samples = []
    stop_sampling = threading.Event()

    def sample():
        while not stop_sampling.wait(1.0):
            samples.append(rss_kib(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    churn = run_client("churn", port, args.churn_seconds, args.concurrency, timeout=args.churn_seconds + 120)
    stop_sampling.set()
    sampler.join()
    print(f"client: {churn.stdout.strip()}", flush=True)
    check("churn without a failure", churn.returncode == 0)
    if len(samples) >= 4:
        early, last = samples[len(samples) // 4], samples[-1]
        margin = max(early * 0.05, 2048)
        print(f"server RSS during churn: {min(samples)}-{max(samples)} KiB; at 25% {early} KiB, at the end {last} KiB",
              flush=True)
        check(f"RSS flat during churn (+{last - early} KiB, margin {margin:.0f} KiB)", last - early <= margin)
    else:
        check("enough RSS samples during churn", False)
    fds = settle_fds(pid, base_fds)
    check(f"no file descriptor leaked by churn ({fds} vs {base_fds})", fds == base_fds)

    # 3. graceful shutdown under load
    shutdown = subprocess.Popen([args.client, "shutdown", port, str(args.subscribers), str(args.publishers)],
                                stdout=subprocess.PIPE, text=True)
    publishing = shutdown.stdout.readline().strip()
    check("publishing to every subscriber", publishing == "publishing")
    time.sleep(1.0)
    server.send_signal(signal.SIGTERM)
    try:
        server_status = server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server_status = "hung"
    summary = shutdown.stdout.read().strip()
    client_status = shutdown.wait(timeout=30)
    print(f"client: {summary}", flush=True)
    print(f"server: {server.stdout.read().strip()}", flush=True)
    check("every acknowledged publish reached every subscriber closed with 1001", client_status == 0)
    check(f"server exits 0 on SIGTERM under load ({server_status})", server_status == 0)
finally:
    if server.poll() is None:
        server.kill()
        server.wait()

sys.exit(1 if failures else 0)
