"""Echo benchmark runner: duplex against Boost.Beast (and websocketpp when built),
interleaved and repeated in one run, reported as ratios against Beast.

For the whole report (every case, plots, goals), use benchmarks/report.sh; this
runner is the quick way to look at one kind of load while working on it.

usage: /usr/bin/python3 benchmarks/load/run.py BUILD_DIR [--rounds 3] [--duration 5]
         [--cases 20,16384] [--connections 100] [--idle-connections 1000] [--deflate]
         [--broadcast 100,1000]

--broadcast N,...: fan-out in the style of uWebSockets' broadcast_test, against a
Beast server that loops over its sessions (peers/beast_broadcast.cpp): N clients
each send one 20-byte message per round and the server delivers every message
to all N; reported in deliveries per second and per server CPU-second.

--deflate: every server negotiates permessage-deflate (context takeover, as
browsers offer it) and the load generator sends 1 KiB of JSON-like text by
default, each message different. Two settings are measured: each library's
defaults (duplex zlib level 1, Beast level 8 memLevel 4, ws level 6), and all at
level 1 memLevel 8. Node `ws` joins when node and tests/interop/node_modules are
present. The table adds wire bytes per round trip.

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
parser.add_argument("--deflate", action="store_true")
parser.add_argument("--broadcast", default="",
                    help="fan-out instead of echo: comma-separated connection counts, e.g. 100,1000")
args = parser.parse_args()
if args.deflate and args.cases == "20,16384":
    args.cases = "1024"

build = os.path.abspath(args.build)
servers = {
    "duplex": [f"{build}/examples/echo_server", "--port", "0"],
    "beast": [f"{build}/benchmarks/load/duplex_bench_beast", "--port", "0"],
    "websocketpp": [f"{build}/benchmarks/load/duplex_bench_websocketpp", "--port", "0"],
}
if args.deflate:
    del servers["websocketpp"]  # its permessage-deflate needs its own config
if args.broadcast:
    servers = {
        "duplex": [f"{build}/benchmarks/load/duplex_bench_broadcast", "--port", "0"],
        "beast": [f"{build}/benchmarks/load/duplex_bench_beast_broadcast", "--port", "0"],
        "websocketpp": [f"{build}/benchmarks/load/duplex_bench_websocketpp", "--port", "0", "--broadcast"],
    }
servers = {k: v for k, v in servers.items() if os.path.exists(v[0])}
here = os.path.dirname(os.path.abspath(__file__))
node_modules = os.path.join(here, "..", "..", "tests", "interop", "node_modules")
if args.deflate and os.path.exists("/usr/bin/node") and os.path.isdir(os.path.join(node_modules, "ws")):
    os.environ["NODE_PATH"] = os.path.abspath(node_modules)
    servers["ws"] = ["/usr/bin/node", os.path.join(here, "peers", "ws_echo.js"), "--port", "0"]
if args.deflate:  # (label, flag per server) for each library's defaults, then all at level 1
    defaults = {name: cmd + ["--deflate"] for name, cmd in servers.items()}
    level1 = {name: cmd + (["--deflate"] if name == "duplex" else ["--deflate-level1"]) for name, cmd in servers.items()}
    servers = {}
    for label, group in (("defaults", defaults), ("level 1", level1)):
        for name, cmd in group.items():
            servers[f"{name} ({label})"] = cmd
loadgen = f"{build}/benchmarks/load/load_generator"
if not any(k.startswith("duplex") for k in servers) or not os.path.exists(loadgen):
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


if args.broadcast:
    # Every connection sends one 20-byte message per round; the server delivers each to all.
    rows = []
    for n in [int(x) for x in args.broadcast.split(",")]:
        runs = {}
        for round_ in range(args.rounds):
            for name in servers:
                # Long enough for several whole rounds of the slower server (N*N deliveries each).
                duration = min(60, max(args.duration, n * 0.02))
                r = measure(name, ["--broadcast", "--connections", str(n), "--size", "20",
                                   "--duration", str(duration), "--warmup", "1"])
                runs.setdefault(name, []).append(r)
        rows.append((n, runs))
    print(f"Broadcast fan-out, 20 B binary, one server thread; {args.rounds} interleaved rounds of "
          f"{args.duration:g} s; {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
    print("| connections | server | deliveries/s median (min-max) | deliveries per server CPU-s | x Beast (per CPU-s) | round p50 ms |")
    print("|---|---|---|---|---|---|")
    for n, runs in rows:
        beast = statistics.median(r["messages_per_cpu_second"] for r in runs.get("beast", [{"messages_per_cpu_second": 0}]))
        for name, rs in runs.items():
            rate = [r["messages_per_second"] for r in rs]
            per_cpu = statistics.median(r["messages_per_cpu_second"] for r in rs)
            ratio = f"{per_cpu / beast:.2f}" if beast else "-"
            print(f"| {n} | {name} | {statistics.median(rate):,.0f} ({min(rate):,.0f}-{max(rate):,.0f}) | "
                  f"{per_cpu:,.0f} | {ratio} | {statistics.median(r['p50_us'] for r in rs) / 1000:.1f} |")
    sys.exit(0)

results = {}
for size in [int(s) for s in args.cases.split(",")]:
    for round_ in range(args.rounds):
        for name in servers:  # interleaved: A, B, A, B, ...
            r = measure(name, ["--connections", str(args.connections), "--size", str(size),
                               "--duration", str(args.duration), "--warmup", "1"] +
                        (["--deflate"] if args.deflate else []))
            results.setdefault((size, name), []).append(r)
idle = {name: measure(name, ["--connections", str(args.idle_connections), "--idle"])["rss_per_connection"]
        for name in servers} if not args.deflate else {}

kind = "JSON-like text, permessage-deflate level 1" if args.deflate else "binary"
print(f"Echo, {args.connections} connections, {kind}, one server thread; {args.rounds} interleaved rounds of "
      f"{args.duration:g} s; {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
wire = " wire B per round trip |" if args.deflate else ""
print(f"| size | server | msg/s median (min-max) | msg per server CPU-s | x Beast (per CPU-s) | p50 us | p99 us |{wire}")
print("|---|---|---|---|---|---|---|" + ("---|" if args.deflate else ""))
for size in [int(s) for s in args.cases.split(",")]:
    for name in servers:
        base = "beast" + name[len(name.split(" ")[0]):]  # the Beast row of the same setting
        beast = statistics.median(r["messages_per_cpu_second"] for r in results.get((size, base), [{"messages_per_cpu_second": 0}]))
        rs = results[(size, name)]
        rate = [r["messages_per_second"] for r in rs]
        per_cpu = statistics.median(r["messages_per_cpu_second"] for r in rs)
        ratio = f"{per_cpu / beast:.2f}" if beast else "-"
        print(f"| {size} B | {name} | {statistics.median(rate):,.0f} ({min(rate):,.0f}-{max(rate):,.0f}) | "
              f"{per_cpu:,.0f} | {ratio} | {statistics.median(r['p50_us'] for r in rs):.0f} | "
              f"{statistics.median(r['p99_us'] for r in rs):.0f} |" +
              (f" {statistics.median(r['bytes_per_message'] for r in rs):,.0f} |" if args.deflate else ""))
if idle:
    print(f"\nIdle upgraded connections ({args.idle_connections}): " +
          ", ".join(f"{name} {bytes_:,.0f} B of server RSS each" for name, bytes_ in idle.items()))
