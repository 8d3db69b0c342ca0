"""Echo benchmark runner: duplex against Boost.Beast (and websocketpp when built),
interleaved and repeated in one run, reported as ratios against Beast.

usage: /usr/bin/python3 benchmarks/load/run.py BUILD_DIR [--rounds 3] [--duration 5]
         [--cases 20,16384] [--connections 100] [--idle-connections 1000]

BUILD_DIR is a release build with benchmarks (cmake --preset release && cmake
--build --preset release). Prints a Markdown table; every figure in it comes
from this one run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("build")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--duration", type=float, default=5)
parser.add_argument("--cases", default="20,16384")
parser.add_argument("--connections", type=int, default=100)
parser.add_argument("--idle-connections", type=int, default=1000)
args = parser.parse_args()

build = os.path.abspath(args.build)
servers = {
    "duplex": [f"{build}/examples/echo_server", "--port", "0"],
    "beast": [f"{build}/benchmarks/load/duplex_bench_beast", "--port", "0"],
}
servers = {k: v for k, v in servers.items() if os.path.exists(v[0])}
loadgen = f"{build}/benchmarks/load/load_generator"
if "duplex" not in servers or not os.path.exists(loadgen):
    sys.exit("build the release preset first (echo_server and load_generator missing)")


def start(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if not line.startswith("listening on"):
        p.kill()
        sys.exit(f"{cmd[0]} did not start")
    return p, int(line.rsplit(":", 1)[1])


def measure(name, extra):
    proc, port = start(servers[name])
    try:
        out = subprocess.run([loadgen, "--port", str(port), "--server-pid", str(proc.pid), "--json"] + extra,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            sys.exit(f"load generator failed against {name}: {out.stderr}")
        return json.loads(out.stdout)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


results = {}
for size in [int(s) for s in args.cases.split(",")]:
    for round_ in range(args.rounds):
        for name in servers:  # interleaved: A, B, A, B, ...
            r = measure(name, ["--connections", str(args.connections), "--size", str(size),
                               "--duration", str(args.duration), "--warmup", "1"])
            results.setdefault((size, name), []).append(r)
idle = {name: measure(name, ["--connections", str(args.idle_connections), "--idle"])["rss_per_connection"]
        for name in servers}

print(f"Echo, {args.connections} connections, binary, one server thread; {args.rounds} interleaved rounds of "
      f"{args.duration:g} s; {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
print("| size | server | msg/s median (min-max) | msg per server CPU-s | x Beast (per CPU-s) | p50 us | p99 us |")
print("|---|---|---|---|---|---|---|")
for size in [int(s) for s in args.cases.split(",")]:
    beast = statistics.median(r["messages_per_cpu_second"] for r in results.get((size, "beast"), [{"messages_per_cpu_second": 0}]))
    for name in servers:
        rs = results[(size, name)]
        rate = [r["messages_per_second"] for r in rs]
        per_cpu = statistics.median(r["messages_per_cpu_second"] for r in rs)
        ratio = f"{per_cpu / beast:.2f}" if beast else "-"
        print(f"| {size} B | {name} | {statistics.median(rate):,.0f} ({min(rate):,.0f}-{max(rate):,.0f}) | "
              f"{per_cpu:,.0f} | {ratio} | {statistics.median(r['p50_us'] for r in rs):.0f} | "
              f"{statistics.median(r['p99_us'] for r in rs):.0f} |")
print(f"\nIdle upgraded connections ({args.idle_connections}): " +
      ", ".join(f"{name} {bytes_:,.0f} B of server RSS each" for name, bytes_ in idle.items()))
