"""The benchmark report: duplex against websocketpp 0.8.2, Boost.Beast 1.74, Node ws
and a raw TCP echo, every case interleaved (A, B, A, B) and repeated in one run,
written as Markdown, PNG plots and raw JSON.

usage: /usr/bin/python3 benchmarks/report.py [BUILD_DIR] [--quick] [--rounds N]
           [--warmup S] [--duration S] [--only GROUP,...] [--out DIR]

BUILD_DIR defaults to build/release (cmake --preset release, then
cmake --build --preset release --target duplex_bench_report); benchmarks/report.sh
does both and installs the packages first. --quick: one round of short runs, to
check that everything works (its figures mean little). Groups: micro, echo, text,
threads, tls, deflate, fanout, handshakes, idle, latency.

Output: benchmarks/results/<date>-<time>/ (report.md, *.png, results.json,
micro.json), copied to benchmarks/results/latest/ after a full run;
--quick writes benchmarks/results/<date>-<time>-quick/ and leaves latest alone.

Every server listens on 127.0.0.1 port 0 and is started afresh for every
measurement; every load run is bounded in time (load_generator caps --duration
at 60 s and is killed after its budget); nothing leaves loopback.
"""
import argparse
import datetime
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = [20, 1024, 16384, 1 << 20]
SIZE_NAMES = {20: "20 B", 1024: "1 KiB", 16384: "16 KiB", 1 << 20: "1 MiB"}
ORDER = ["duplex", "beast", "websocketpp", "ws", "raw"]
LABELS = {"duplex": "duplex", "beast": "Beast", "websocketpp": "websocketpp", "ws": "Node ws", "raw": "raw TCP"}
GROUPS = ["micro", "echo", "text", "threads", "tls", "deflate", "fanout", "handshakes", "idle", "latency"]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build", "release"))
parser.add_argument("--quick", action="store_true", help="one round of short runs: checks, not figures")
parser.add_argument("--rounds", type=int)
parser.add_argument("--warmup", type=float)
parser.add_argument("--duration", type=float)
parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups: " + ",".join(GROUPS))
parser.add_argument("--out")
args = parser.parse_args()
rounds = args.rounds or (1 if args.quick else 3)
warmup = args.warmup if args.warmup is not None else (0.2 if args.quick else 0.5)
duration = args.duration if args.duration is not None else (0.4 if args.quick else 1.2)
only = [g for g in args.only.split(",") if g]
for g in only:
    if g not in GROUPS:
        sys.exit(f"unknown group {g}; groups: {', '.join(GROUPS)}")

build = os.path.abspath(args.build)
load = os.path.join(build, "benchmarks", "load")
loadgen = os.path.join(load, "load_generator")
if not os.path.exists(loadgen) or not os.path.exists(os.path.join(build, "examples", "echo_server")):
    sys.exit(f"{build}: no load_generator or echo_server; build first: cmake --preset release && "
             "cmake --build --preset release --target duplex_bench_report (benchmarks/report.sh does it)")

stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
out = os.path.abspath(args.out) if args.out else os.path.join(HERE, "results", stamp + ("-quick" if args.quick else ""))
os.makedirs(out, exist_ok=True)
started = time.time()
load_before = os.getloadavg()


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the servers
node = shutil.which("node")
node_modules = os.path.join(ROOT, "tests", "interop", "node_modules")
env = dict(os.environ)
have_ws = bool(node) and os.path.isdir(os.path.join(node_modules, "ws"))
if have_ws:
    env["NODE_PATH"] = node_modules
binaries = {
    "duplex": os.path.join(build, "examples", "echo_server"),
    "beast": os.path.join(load, "duplex_bench_beast"),
    "websocketpp": os.path.join(load, "duplex_bench_websocketpp"),
    "raw": os.path.join(load, "duplex_bench_raw_echo"),
    "duplex_broadcast": os.path.join(load, "duplex_bench_broadcast"),
    "beast_broadcast": os.path.join(load, "duplex_bench_beast_broadcast"),
}
missing = {}
for name, why in (("beast", "Boost.Beast (libboost1.74-dev) not found at configure time"),
                  ("websocketpp", "websocketpp (libwebsocketpp-dev) not found at configure time"),
                  ("raw", "not built")):
    if not os.path.exists(binaries[name]):
        missing[name] = why
if not have_ws:
    missing["ws"] = "node or tests/interop/node_modules/ws missing (cmake/install-deps.sh installs them)"
available = [s for s in ORDER if s not in missing]

tls_dir = tempfile.mkdtemp(prefix="duplex-bench-")
tls_cert, tls_key = os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")
have_tls = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", tls_key, "-out", tls_cert],
                          capture_output=True).returncode == 0


def server_command(name, threads=1, tls=False, deflate=None, broadcast=False):
    """The command line of one server, or None when it does not do this."""
    if name not in available:
        return None
    tls_flags = ["--tls-cert", tls_cert, "--tls-key", tls_key] if tls else []  # (names no loop reuses)
    deflate_flag = []
    if deflate:  # "defaults" or "level1"; duplex's defaults are level 1
        deflate_flag = ["--deflate"] if deflate == "defaults" or name == "duplex" else ["--deflate-level1"]
    if broadcast:
        if threads != 1 or tls or deflate:
            return None
        if name == "duplex":
            return [binaries["duplex_broadcast"], "--port", "0"]
        if name == "beast":
            return [binaries["beast_broadcast"], "--port", "0"] if os.path.exists(binaries["beast_broadcast"]) else None
        if name == "websocketpp":
            return [binaries["websocketpp"], "--port", "0", "--broadcast"]
        if name == "ws":
            return [node, os.path.join(HERE, "load", "peers", "ws_echo.js"), "--port", "0", "--broadcast"]
        return None
    if name == "ws":
        if threads != 1:
            return None
        return [node, os.path.join(HERE, "load", "peers", "ws_echo.js"), "--port", "0"] + tls_flags + deflate_flag
    if name == "raw":
        if tls or deflate:
            return None
        return [binaries["raw"], "--port", "0", "--threads", str(threads)]
    if name == "websocketpp" and deflate:
        return None  # websocketpp 0.8.2's permessage-deflate needs a custom config and misses context takeover
    return [binaries[name], "--port", "0", "--threads", str(threads)] + tls_flags + deflate_flag


def start(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    deadline = time.time() + 15
    while time.time() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line.startswith("listening on"):
                return proc, int(line.strip().rsplit(":", 1)[1])
            if not line:
                break
        if proc.poll() is not None:
            break
    stop(proc)
    return None, 0


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(cmd, gen_args, budget):
    proc, port = start(cmd)
    if not proc:
        return {"error": f"{os.path.basename(cmd[1] if cmd[0] == node else cmd[0])} did not start"}
    try:
        r = subprocess.run([loadgen, "--port", str(port), "--server-pid", str(proc.pid), "--json"] + gen_args,
                           capture_output=True, text=True, timeout=budget)
        if r.returncode != 0:
            return {"error": r.stderr.strip() or f"load_generator exit {r.returncode}"}
        return json.loads(r.stdout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {budget:.0f} s"}
    finally:
        stop(proc)


# ---------------------------------------------------------------- the cases
class Case:
    def __init__(self, group, key, servers, gen, **params):
        self.group, self.key, self.params = group, key, params
        self.servers = [(s, c) for s, c in servers if c]  # (name, command)
        self.gen = gen  # (server name, this round's results) -> load_generator arguments, or None to skip
        self.warmup = params.pop("warmup", warmup)
        self.duration = params.pop("duration", duration)


def timing(w, d):
    return ["--warmup", f"{w:g}", "--duration", f"{d:g}"]


def echo_gen(connections, size, text=False, tls=False, w=None, d=None):
    def gen(server, _):
        a = ["--connections", str(connections), "--size", str(size)] + timing(w or warmup, d or duration)
        if server == "raw":
            return a + ["--raw"]
        return a + (["--text"] if text else []) + (["--tls"] if tls else [])
    return gen


def long_for(size):  # 1 MiB round trips take milliseconds each (a whole round of 100, most of a second): longer
    return duration * 2 if size >= 1 << 20 else duration


def warm_for(size):
    return warmup * 2 if size >= 1 << 20 else warmup


cases = []
if "echo" in only:
    for connections in (1, 100, 1000):
        for size in SIZES:
            if connections == 1000 and size == 1 << 20:
                continue  # 1 GiB in flight at once: left out (see the report's notes)
            cases.append(Case("echo", f"echo-{connections}-{size}", [(s, server_command(s)) for s in ORDER],
                              echo_gen(connections, size, w=warm_for(size), d=long_for(size)), connections=connections,
                              size=size, warmup=warm_for(size), duration=long_for(size)))
if "text" in only:
    for size in SIZES:
        cases.append(Case("text", f"text-100-{size}", [(s, server_command(s)) for s in ORDER if s != "raw"],
                          echo_gen(100, size, text=True, w=warm_for(size), d=long_for(size)), connections=100, size=size,
                          warmup=warm_for(size), duration=long_for(size)))
if "threads" in only:
    for size in SIZES:
        cases.append(Case("threads", f"threads2-100-{size}", [(s, server_command(s, threads=2)) for s in ORDER],
                          echo_gen(100, size, w=warm_for(size), d=long_for(size)), connections=100, size=size, threads=2,
                          warmup=warm_for(size), duration=long_for(size)))
if "tls" in only and have_tls:
    for size in SIZES:
        cases.append(Case("tls", f"tls-100-{size}", [(s, server_command(s, tls=True)) for s in ORDER],
                          echo_gen(100, size, tls=True, w=warm_for(size), d=long_for(size)), connections=100, size=size,
                          warmup=warm_for(size), duration=long_for(size)))
if "deflate" in only:
    for setting in ("defaults", "level1"):
        cases.append(Case("deflate", f"deflate-{setting}", [(s, server_command(s, deflate=setting)) for s in ORDER],
                          lambda server, _: ["--connections", "100", "--size", "1024", "--deflate"] +
                          timing(warmup, duration), connections=100, size=1024, setting=setting))
FANOUT_SENDERS = 100
if "fanout" in only:
    # Rounds of K x N deliveries (K publishers, N subscribers); then the same at 1,000 with 10 publishers,
    # fewer messages queued per subscriber and so less to batch. 10,000 take a while to connect and warm up.
    for subscribers, senders in ((100, FANOUT_SENDERS), (1000, FANOUT_SENDERS), (10000, FANOUT_SENDERS), (1000, 10)):
        w = warmup * 2 if subscribers >= 10000 else warmup
        d = duration * 2 if subscribers >= 10000 else duration
        key = f"fanout-{subscribers}" + ("" if senders == FANOUT_SENDERS else f"-{senders}")
        cases.append(Case("fanout", key, [(s, server_command(s, broadcast=True)) for s in ORDER],
                          lambda server, _, n=subscribers, k=senders, w=w, d=d:
                          ["--broadcast", "--senders", str(k), "--connections", str(n), "--size", "20"] +
                          timing(w, d), subscribers=subscribers, senders=senders, size=20, warmup=w, duration=d))
if "handshakes" in only:
    cases.append(Case("handshakes", "handshakes", [(s, server_command(s)) for s in ORDER if s != "raw"],
                      lambda server, _: ["--handshakes", "--connections", "20"] + timing(warmup, duration), concurrent=20))
if "idle" in only:
    for n in (1000, 10000):
        cases.append(Case("idle", f"idle-{n}", [(s, server_command(s)) for s in ORDER if s != "raw"],
                          lambda server, _, n=n: ["--idle", "--connections", str(n), "--warmup", "0.3"], connections=n))
    if have_tls:
        cases.append(Case("idle", "idle-tls-1000", [(s, server_command(s, tls=True)) for s in ORDER if s != "raw"],
                          lambda server, _: ["--idle", "--tls", "--connections", "1000", "--warmup", "0.3"],
                          connections=1000))
if "latency" in only:
    def fixed_rate(server, round_results):
        # Half the lowest maximum the C++ WebSocket servers reached at 100 x 20 B in this round (echo
        # group), or 10,000 msg/s without it; every server gets the same offered load.
        maxima = [r["messages_per_second"] for (case, s), r in round_results.items()
                  if case == "echo-100-20" and s in ("duplex", "beast", "websocketpp") and "error" not in r]
        rate = 0.5 * min(maxima) if maxima else 10000
        return (["--connections", "100", "--size", "20", "--rate", f"{rate:.0f}"] + ["--raw"] * (server == "raw") +
                timing(warmup, duration * 2))
    cases.append(Case("latency", "latency-100-20", [(s, server_command(s)) for s in ORDER], fixed_rate,
                      connections=100, size=20, duration=duration * 2))


# ---------------------------------------------------------------- micro benchmarks
def run_micro():
    exe = os.path.join(build, "benchmarks", "micro", "duplex_micro_benchmarks")
    if not os.path.exists(exe):
        return None
    path = os.path.join(out, "micro.json")
    reps = 1 if args.quick else 3
    log(f"micro benchmarks ({reps} repetitions, interleaved)")
    subprocess.run([exe, f"--benchmark_out={path}", "--benchmark_out_format=json",
                    f"--benchmark_repetitions={reps}", "--benchmark_enable_random_interleaving=true",
                    f"--benchmark_min_time={0.05 if args.quick else 0.3}"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=False)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


micro = run_micro() if "micro" in only else None

# ---------------------------------------------------------------- the load runs
results = []  # {"round", "group", "case", "params", "server", "result"}
total = sum(len(c.servers) for c in cases) * rounds
done = 0
for round_ in range(rounds):
    round_results = {}
    for case in cases:
        for server, cmd in case.servers:  # interleaved: A, B, C, then the next case; every round again
            gen_args = case.gen(server, round_results)
            if gen_args is None:
                continue
            done += 1
            budget = case.warmup + case.duration + 120
            t0 = time.time()
            r = measure(cmd, gen_args, budget)
            r["wall_seconds"] = round(time.time() - t0, 2)
            round_results[(case.key, server)] = r
            results.append({"round": round_, "group": case.group, "case": case.key, "params": case.params,
                            "server": server, "command": [os.path.relpath(c, ROOT) if c.startswith(ROOT) else c
                                                          for c in cmd],
                            "load_generator": gen_args, "result": r})
            log(f"[{done}/{total}] round {round_ + 1} {case.key} {server}: " +
                (r["error"] if "error" in r else f"{r['rss_per_connection']:,.0f} B per connection"
                 if "rss_per_connection" in r else f"{r.get('messages_per_second', 0):,.0f}/s"))


# ---------------------------------------------------------------- machine and versions
def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def dpkg_version(package):
    v = first_line(["dpkg-query", "-W", "-f=${Version}", package])
    return v if v and "no packages" not in v else "?"


def cache_value(name):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


cpu_model = "?"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
with open("/proc/meminfo") as f:
    mem_gib = int(f.readline().split()[1]) / (1 << 20)
os_name = "?"
if os.path.exists("/etc/os-release"):
    with open("/etc/os-release") as f:
        m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
        os_name = m.group(1) if m else "?"
with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
    m = re.search(r"project\(duplex VERSION ([0-9.]+)", f.read())
duplex_version = (m.group(1) if m else "?") + " (" + first_line(["git", "-C", ROOT, "describe", "--always", "--dirty"]) + ")"
ws_version = "-"
if have_ws:
    with open(os.path.join(node_modules, "ws", "package.json")) as f:
        ws_version = json.load(f)["version"]
compiler = first_line([cache_value("CMAKE_CXX_COMPILER") or "c++", "--version"])
machine = {
    "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    "cpu": cpu_model, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1), "os": os_name,
    "kernel": platform.release(), "compiler": compiler, "build_type": cache_value("CMAKE_BUILD_TYPE"),
    "load_average_before": [round(x, 2) for x in load_before],
    "load_average_after": [round(x, 2) for x in os.getloadavg()],
}
versions = {
    "duplex": duplex_version,
    "Boost (Beast, Asio for websocketpp)": dpkg_version("libboost1.74-dev"),
    "websocketpp": dpkg_version("libwebsocketpp-dev"),
    "Asio (standalone, duplex)": dpkg_version("libasio-dev"),
    "Node": first_line([node, "--version"]) if node else "-",
    "ws": ws_version,
    "OpenSSL": first_line(["openssl", "version"]),
    "zlib": dpkg_version("zlib1g-dev"),
    "Google Benchmark": dpkg_version("libbenchmark-dev"),
}
settings = {"mode": "quick" if args.quick else "full", "rounds": rounds, "warmup_s": warmup, "duration_s": duration,
            "groups": only, "missing": missing, "tls": have_tls}

# ---------------------------------------------------------------- statistics
by = {}
for row in results:
    by.setdefault((row["case"], row["server"]), {})[row["round"]] = row["result"]


def values(case, server, metric):
    return [r[metric] for _, r in sorted(by.get((case, server), {}).items()) if "error" not in r and metric in r]


def error_of(case, server):
    for r in by.get((case, server), {}).values():
        if "error" in r:
            return r["error"]
    return None


def paired(case, server, base_case, base_server, metric):
    """Ratios of the same round (interleaved neighbours), so drift between rounds cancels."""
    a, b = by.get((case, server), {}), by.get((base_case, base_server), {})
    return [a[k][metric] / b[k][metric] for k in sorted(a)
            if k in b and "error" not in a[k] and "error" not in b[k] and b[k].get(metric)]


def mmm(xs, fmt="{:,.0f}"):
    """median (min-max) of a list."""
    if not xs:
        return "-"
    med = fmt.format(statistics.median(xs))
    return med if len(xs) == 1 else f"{med} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def med(xs, fmt="{:,.0f}"):
    return fmt.format(statistics.median(xs)) if xs else "-"


def servers_of(case):
    return [s for s in ORDER if (case, s) in by]


# ---------------------------------------------------------------- the report
md = []
w = md.append
w(f"# duplex benchmark report ({machine['date']})\n")
if args.quick:
    w("**Quick run** (`--quick`): one round of short runs, to check that everything works. Its figures are "
      "not fit to quote.\n")
w(f"{machine['cores']} cores, {machine['cpu']}, {machine['memory_gib']} GiB, {machine['os']}, Linux "
  f"{machine['kernel']}; {machine['compiler']}, CMake build type {machine['build_type'] or '?'}. Load average "
  f"{'/'.join(str(x) for x in machine['load_average_before'])} before, "
  f"{'/'.join(str(x) for x in machine['load_average_after'])} after (1/5/15 min): a figure well above 1 means "
  "other work shared the cores.\n")
w("| component | version |\n|---|---|")
for k, v in versions.items():
    w(f"| {k} | {v} |")
w("")
w(f"{rounds} round{'s' if rounds != 1 else ''}; every case runs each server once per round, in turn (A, B, C, A, "
  f"B, C, ...), each server started afresh; {warmup:g} s warm-up then {duration:g} s measured (both twice "
  "that for 1 MiB messages and 10,000 subscribers, the window twice that for the fixed-load case). Cells are "
  "median (min-max) over the rounds; \"x Beast\" is the median of the per-round ratios. \"per CPU-s\" is messages per second of server CPU "
  "time (user + system, `/proc/PID/stat`): on a 2-core machine the load generator takes one core, so this "
  "is the fair figure when the generator is the bottleneck. Wall-clock figures on a shared machine drift "
  "by 20-40 % between runs; ratios from one run are what count.\n")
if missing:
    w("Not measured: " + "; ".join(f"{LABELS[s]}: {why}" for s, why in missing.items()) + ".\n")
if not have_tls:
    w("TLS cases skipped: `openssl req` could not make a certificate.\n")

# Goals
goals = []


def goal(text, ratios, target, unit="x", note="", lower_is_better=False):
    if not ratios:
        goals.append((text, "-", f"{target:g}{unit}", "not measured", note))
        return
    m = statistics.median(ratios)
    ok = m <= target if lower_is_better else m >= target
    shown = mmm(ratios, "{:.2f}") + unit if unit == "x" else mmm(ratios, "{:,.0f}") + unit
    goals.append((text, shown, ("<= " if lower_is_better else ">= ") + f"{target:g}{unit}",
                  "**met**" if ok else "**missed**", note))


goal("single-thread echo, 100 x 20 B, msg per server CPU-s vs Beast",
     paired("echo-100-20", "duplex", "echo-100-20", "beast", "messages_per_cpu_second"), 1.8)
goal("single-thread echo, 100 x 16 KiB, msg per server CPU-s vs Beast",
     paired("echo-100-16384", "duplex", "echo-100-16384", "beast", "messages_per_cpu_second"), 4)
goal("two server threads vs one, duplex, 100 x 20 B, msg/s",
     paired("threads2-100-20", "duplex", "echo-100-20", "duplex", "messages_per_second"), 1.7,
     note=(f"this machine has {machine['cores']} cores and the load generator needs one of them, so two server "
           "threads share the other core with it" if (machine["cores"] or 0) < 3 else ""))
goal("server RSS per idle connection, duplex, 10,000 connections",
     values("idle-10000", "duplex", "rss_per_connection"), 1024, unit=" B", lower_is_better=True,
     note="at 1,000: " + mmm(values("idle-1000", "duplex", "rss_per_connection")) + " B")
goal(f"fan-out to 1,000 subscribers ({FANOUT_SENDERS} publishers), deliveries per server CPU-s vs Beast",
     paired("fanout-1000", "duplex", "fanout-1000", "beast", "messages_per_cpu_second"), 10,
     note="with 10 publishers: " + mmm(paired("fanout-1000-10", "duplex", "fanout-1000-10", "beast",
                                               "messages_per_cpu_second"), "{:.2f}") + "x")
w("## Goals\n")
w("| goal | measured | target | status | note |\n|---|---|---|---|---|")
for g in goals:
    w("| " + " | ".join(g) + " |")
w("")


def echo_table(title, case_keys, base_group_note=""):
    if not any(servers_of(k) for k, _ in case_keys):
        return
    w(f"### {title}\n")
    if base_group_note:
        w(base_group_note + "\n")
    w("| case | server | msg/s | msg per server CPU-s | x Beast (per CPU-s) | p50 us | p99 us |")
    w("|---|---|---|---|---|---|---|")
    for key, label in case_keys:
        for s in servers_of(key):
            err = error_of(key, s)
            if not values(key, s, "messages_per_second"):
                w(f"| {label} | {LABELS[s]} | failed: {err} | | | | |")
                continue
            ratio = paired(key, s, key, "beast", "messages_per_cpu_second") if s != "beast" else []
            w(f"| {label} | {LABELS[s]} | {mmm(values(key, s, 'messages_per_second'))} | "
              f"{mmm(values(key, s, 'messages_per_cpu_second'))} | "
              f"{mmm(ratio, '{:.2f}') if ratio else ('1' if s == 'beast' else '-')} | "
              f"{med(values(key, s, 'p50_us'))} | {med(values(key, s, 'p99_us'))} |")
    w("")


w("## Echo\n")
w("Closed loop: every connection has one message in flight and sends the next when the echo is back "
  "(`load_generator`, epoll, one thread). Latency is the round trip of each message, from a histogram of all "
  "of them. \"raw TCP\" is the physical reference: `peers/raw_echo.cpp` writes back what it reads, no "
  "WebSocket at all (`load_generator --raw` sends the same payload bytes).\n")
for connections in (1, 100, 1000):
    echo_table(f"One server thread, binary, {connections:,} connection{'s' if connections > 1 else ''}",
               [(f"echo-{connections}-{s}", SIZE_NAMES[s]) for s in SIZES])
echo_table("One server thread, text (UTF-8 validated), 100 connections",
           [(f"text-100-{s}", SIZE_NAMES[s]) for s in SIZES])
echo_table("Two server threads, binary, 100 connections", [(f"threads2-100-{s}", SIZE_NAMES[s]) for s in SIZES],
           "Node ws has one thread and is left out. Beast runs each session on a strand, websocketpp's asio "
           "config has one per connection, duplex's echo_server uses its multi-threaded config; raw TCP has an "
           "epoll loop per thread (SO_REUSEPORT)." + (f" With {machine['cores']} cores the load generator "
                                                      "competes with the two server threads." if (machine['cores'] or 0) < 3 else ""))
if any(servers_of(f"threads2-100-{s}") for s in SIZES):
    w("Scaling, msg/s with two threads over one thread (same round):\n")
    scaled = [s for s in ORDER if any((f"threads2-100-{size}", s) in by for size in SIZES)]
    w("| size | " + " | ".join(LABELS[s] for s in scaled) + " |")
    w("|---|" + "---|" * len(scaled))
    for size in SIZES:
        cells = [mmm(paired(f"threads2-100-{size}", s, f"echo-100-{size}", s, "messages_per_second"), "{:.2f}")
                 for s in scaled]
        w(f"| {SIZE_NAMES[size]} | " + " | ".join(cells) + " |")
    w("")

w("## TLS echo\n")
if have_tls and any(servers_of(f"tls-100-{s}") for s in SIZES):
    w("wss with a self-signed P-256 certificate; every server and the generator use the system OpenSSL "
      f"({versions['OpenSSL']}) and negotiate TLS 1.3 with its default cipher. Beast uses `beast::ssl_stream`, "
      "websocketpp its `asio_tls` config, Node `https`.\n")
    echo_table("One server thread, binary, 100 connections", [(f"tls-100-{s}", SIZE_NAMES[s]) for s in SIZES])
else:
    w("Not measured in this run.\n")

w("## permessage-deflate echo\n")
if any(servers_of(f"deflate-{s}") for s in ("defaults", "level1")):
    w("1 KiB of JSON-like text, different in every message, compressed with context takeover both ways (as "
      "browsers offer it); the generator inflates and checks every echo. Two settings: each library's defaults "
      "(duplex: zlib level 1, memLevel 8; Beast: level 8, memLevel 4; ws: level 6, messages of 1 KiB and up), and "
      "all at level 1, memLevel 8. websocketpp is left out: 0.8.2's permessage-deflate needs its own config "
      "and does not keep the context between messages.\n")
    w("| setting | server | msg/s | msg per server CPU-s | x Beast (per CPU-s) | p50 us | p99 us | wire B per round trip |")
    w("|---|---|---|---|---|---|---|---|")
    for setting in ("defaults", "level1"):
        key = f"deflate-{setting}"
        for s in servers_of(key):
            if not values(key, s, "messages_per_second"):
                w(f"| {setting} | {LABELS[s]} | failed: {error_of(key, s)} | | | | | |")
                continue
            ratio = paired(key, s, key, "beast", "messages_per_cpu_second") if s != "beast" else []
            w(f"| {setting} | {LABELS[s]} | {mmm(values(key, s, 'messages_per_second'))} | "
              f"{mmm(values(key, s, 'messages_per_cpu_second'))} | "
              f"{mmm(ratio, '{:.2f}') if ratio else ('1' if s == 'beast' else '-')} | "
              f"{med(values(key, s, 'p50_us'))} | {med(values(key, s, 'p99_us'))} | "
              f"{med(values(key, s, 'bytes_per_message'))} |")
    w("")
else:
    w("Not measured in this run.\n")

w("## Fan-out\n")
if any(servers_of(f"fanout-{n}") for n in (100, 1000, 10000)):
    w(f"N subscribers connected; in each round the first K of them (K = {FANOUT_SENDERS}, or 10 in the last "
      "rows) send one 20-byte binary message each and the server delivers every message to all N (the senders "
      "too), so a round is K x N deliveries; the next round starts when all have arrived. Every delivery in the "
      "window counts. With fewer publishers fewer messages wait for each subscriber at once, so there is less "
      "to batch into one write. duplex publishes through its pub/sub broker "
      "(framed once, one shared buffer); Beast keeps a set of sessions with a queue of shared strings each (as "
      "its examples do); websocketpp sends the received message to every handle (its broadcast_server example); "
      "ws loops over `wss.clients`. One server thread.\n")
    w("| subscribers | publishers | server | deliveries/s | deliveries per server CPU-s | x Beast (per CPU-s) | "
      "round p50 ms |")
    w("|---|---|---|---|---|---|---|")
    for n, k, key in ((100, FANOUT_SENDERS, "fanout-100"), (1000, FANOUT_SENDERS, "fanout-1000"),
                      (10000, FANOUT_SENDERS, "fanout-10000"), (1000, 10, "fanout-1000-10")):
        for s in servers_of(key):
            if not values(key, s, "messages_per_second"):
                w(f"| {n:,} | {k} | {LABELS[s]} | failed: {error_of(key, s)} | | | |")
                continue
            ratio = paired(key, s, key, "beast", "messages_per_cpu_second") if s != "beast" else []
            p50 = [x / 1000 for x in values(key, s, "p50_us") if x > 0]
            w(f"| {n:,} | {k} | {LABELS[s]} | {mmm(values(key, s, 'messages_per_second'))} | "
              f"{mmm(values(key, s, 'messages_per_cpu_second'))} | "
              f"{mmm(ratio, '{:.2f}') if ratio else ('1' if s == 'beast' else '-')} | "
              f"{med(p50, '{:,.1f}') if p50 else 'no whole round in the window'} |")
    w("")
else:
    w("Not measured in this run.\n")

w("## Connections\n")
if servers_of("handshakes"):
    w("Handshakes: 20 clients at once, each connecting, upgrading, sending a close frame, reading the "
      "server's close frame and waiting for its FIN, then again.\n")
    w("| server | handshakes/s | per server CPU-s | cycle p50 us | cycle p99 us |")
    w("|---|---|---|---|---|")
    for s in servers_of("handshakes"):
        if not values("handshakes", s, "messages_per_second"):
            w(f"| {LABELS[s]} | failed: {error_of('handshakes', s)} | | | |")
            continue
        w(f"| {LABELS[s]} | {mmm(values('handshakes', s, 'messages_per_second'))} | "
          f"{mmm(values('handshakes', s, 'messages_per_cpu_second'))} | {med(values('handshakes', s, 'p50_us'))} | "
          f"{med(values('handshakes', s, 'p99_us'))} |")
    w("")
if servers_of("idle-1000") or servers_of("idle-10000"):
    w("Idle upgraded connections: growth of the server's RSS from before the first connection to 0.8 s after "
      "the last upgrade, divided by the connections (echo servers; user-space memory, not the kernel's socket "
      "buffers).\n")
    w("| server | bytes per connection at 1,000 | at 10,000 | wss at 1,000 |")
    w("|---|---|---|---|")
    for s in ORDER:
        if (("idle-1000", s) in by) or (("idle-10000", s) in by):
            w(f"| {LABELS[s]} | {mmm(values('idle-1000', s, 'rss_per_connection'))} | "
              f"{mmm(values('idle-10000', s, 'rss_per_connection'))} | "
              f"{mmm(values('idle-tls-1000', s, 'rss_per_connection'))} |")
    w("")

w("## Latency under a fixed offered load\n")
if servers_of("latency-100-20"):
    rates = sorted({row["result"].get("offered_rate", 0) for row in results
                    if row["case"] == "latency-100-20" and "error" not in row["result"]})
    w("Open loop: 100 connections, 20 B binary, messages sent on a fixed schedule (round-robin over the "
      "connections) whatever the echoes do, at half the lowest maximum the C++ WebSocket servers reached at "
      "100 x 20 B in the same round (offered: " + ", ".join(f"{r:,.0f}" for r in rates) + " msg/s). Latency "
      "counts from the scheduled send time, so a stall is not hidden (no coordinated omission); \"send lag\" is "
      "how late the generator itself was against its schedule (a busy machine shows here first).\n")
    w("| server | achieved msg/s | p50 us | p99 us | p99.9 us | max us | send lag p99 us |")
    w("|---|---|---|---|---|---|---|")
    for s in servers_of("latency-100-20"):
        key = "latency-100-20"
        if not values(key, s, "messages_per_second"):
            w(f"| {LABELS[s]} | failed: {error_of(key, s)} | | | | | |")
            continue
        sat = any(by[(key, s)][k].get("saturated") for k in by[(key, s)])
        w(f"| {LABELS[s]} | {mmm(values(key, s, 'messages_per_second'))}{' (fell behind)' if sat else ''} | "
          f"{mmm(values(key, s, 'p50_us'))} | {mmm(values(key, s, 'p99_us'))} | {mmm(values(key, s, 'p999_us'))} | "
          f"{med(values(key, s, 'max_us'))} | {med(values(key, s, 'send_lag_p99_us'))} |")
    w("")
else:
    w("Not measured in this run.\n")

w("## Codec microbenchmarks\n")
if micro:
    runs = {}
    for b in micro.get("benchmarks", []):
        if b.get("run_type") == "iteration":
            runs.setdefault(b["run_name"], []).append(b)
    w("Google Benchmark (`benchmarks/micro`), CPU time per operation, repetitions interleaved at random; "
      "`memcpy_reference` is `memcpy` of the same buffer.\n")
    w("| benchmark | ns per op | throughput |\n|---|---|---|")
    for name, bs in sorted(runs.items(), key=lambda kv: (kv[1][0]["family_index"],
                                                          kv[1][0]["per_family_instance_index"])):
        ns = [b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}.get(b.get("time_unit", "ns"), 1) for b in bs]
        thr = "-"
        if "bytes_per_second" in bs[0]:
            thr = mmm([b["bytes_per_second"] / 1e9 for b in bs], "{:.1f}") + " GB/s"
        elif "items_per_second" in bs[0]:
            thr = mmm([b["items_per_second"] / 1e6 for b in bs], "{:.1f}") + " M msg/s"
        w(f"| `{name}` | {mmm(ns, '{:,.1f}')} | {thr} |")
    w("")
else:
    w("Not measured in this run.\n")

w("## Notes\n")
w("- Left out: 1,000 connections x 1 MiB (1 GiB in flight on each side at once; a round trip takes seconds on "
  "loopback, so a bounded run measures little beyond memory bandwidth). websocketpp's permessage-deflate (see "
  "above). Node ws with two threads (it has one).")
w("- Every server is built by this repository's release preset (`-O3`, `NDEBUG`) from Debian's packages; Beast "
  "and websocketpp run with their default options (logging off for websocketpp), TCP_NODELAY on everywhere.")
w("- Plots: " + ", ".join(f"`{p}`" for p in ("echo_cpu.png", "echo_latency.png", "threads.png", "tls.png",
                                                 "fanout.png", "connections.png", "latency.png")) +
  " (those with data in this run); raw figures of every run: `results.json`; micro: `micro.json`.")
w(f"- Wall time of this report: {(time.time() - started) / 60:.1f} min.")
w("")


# ---------------------------------------------------------------- plots
def plots():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (apt-get install python3-matplotlib): no plots")
        return []
    made = []
    colors = {"duplex": "#1f77b4", "beast": "#ff7f0e", "websocketpp": "#2ca02c", "ws": "#9467bd", "raw": "#7f7f7f"}

    def bars(ax, groups, metric, title, ylabel, log_scale=True):
        """groups: [(label, case key)]; one bar per server per group, error bars min-max."""
        servers = [s for s in ORDER if any((k, s) in by for _, k in groups)]
        width = 0.8 / max(1, len(servers))
        for i, s in enumerate(servers):
            xs, ys, lo, hi = [], [], [], []
            for j, (_, k) in enumerate(groups):
                v = values(k, s, metric)
                if not v:
                    continue
                m = statistics.median(v)
                xs.append(j + i * width - 0.4 + width / 2)
                ys.append(m)
                lo.append(m - min(v))
                hi.append(max(v) - m)
            if xs:
                ax.bar(xs, ys, width, yerr=[lo, hi], label=LABELS[s], color=colors[s], capsize=2)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([g for g, _ in groups])
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        if log_scale:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)

    def legend(ax):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(out, name), dpi=110)
        plt.close(fig)
        made.append(name)

    if any(servers_of(f"echo-{c}-20") for c in (1, 100, 1000)):
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
        for ax, c in zip(axes, (1, 100, 1000)):
            bars(ax, [(SIZE_NAMES[s], f"echo-{c}-{s}") for s in SIZES], "messages_per_cpu_second",
                 f"echo, 1 thread, {c:,} connection{'s' if c > 1 else ''}", "messages per server CPU-s")
        legend(axes[0])
        save(fig, "echo_cpu.png")
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        for ax, metric in zip(axes, ("p50_us", "p99_us")):
            bars(ax, [(SIZE_NAMES[s], f"echo-100-{s}") for s in SIZES], metric,
                 f"echo round trip {metric[:3]}, 1 thread, 100 connections", "microseconds")
        legend(axes[0])
        save(fig, "echo_latency.png")
    if any(servers_of(f"threads2-100-{s}") for s in SIZES):
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        bars(axes[0], [(SIZE_NAMES[s], f"echo-100-{s}") for s in SIZES], "messages_per_second",
             "echo msg/s, 1 server thread, 100 connections", "messages/s")
        bars(axes[1], [(SIZE_NAMES[s], f"threads2-100-{s}") for s in SIZES], "messages_per_second",
             "echo msg/s, 2 server threads, 100 connections", "messages/s")
        legend(axes[0])
        save(fig, "threads.png")
    if any(servers_of(f"tls-100-{s}") for s in SIZES):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        bars(ax, [(SIZE_NAMES[s], f"tls-100-{s}") for s in SIZES], "messages_per_cpu_second",
             "TLS echo, 1 thread, 100 connections", "messages per server CPU-s")
        legend(ax)
        save(fig, "tls.png")
    if any(servers_of(f"fanout-{n}") for n in (100, 1000, 10000)):
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        groups = [(f"{n:,}", f"fanout-{n}") for n in (100, 1000, 10000)] + [("1,000\n10 publishers", "fanout-1000-10")]
        bars(axes[0], groups, "messages_per_cpu_second", f"fan-out ({FANOUT_SENDERS} publishers unless noted), deliveries per server CPU-s", "deliveries / CPU-s")
        bars(axes[1], groups, "messages_per_second", "fan-out, deliveries/s", "deliveries/s")
        axes[0].set_xlabel("subscribers")
        axes[1].set_xlabel("subscribers")
        legend(axes[0])
        save(fig, "fanout.png")
    if servers_of("handshakes") or servers_of("idle-10000"):
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        bars(axes[0], [("20 clients at once", "handshakes")], "messages_per_second",
             "handshakes/s (connect, upgrade, close)", "handshakes/s", log_scale=False)
        bars(axes[1], [("1,000", "idle-1000"), ("10,000", "idle-10000")], "rss_per_connection",
             "server RSS per idle connection", "bytes", log_scale=False)
        axes[1].axhline(1024, color="red", linestyle="--", linewidth=1, label="goal: 1 KiB")
        axes[1].set_xlabel("idle connections")
        legend(axes[1])
        save(fig, "connections.png")
    if servers_of("latency-100-20"):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        servers = servers_of("latency-100-20")
        width = 0.8 / 3
        for i, (metric, label) in enumerate((("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9"))):
            ys = [statistics.median(values("latency-100-20", s, metric) or [0]) for s in servers]
            ax.bar([j + i * width - 0.4 + width / 2 for j in range(len(servers))], ys, width, label=label)
        ax.set_xticks(range(len(servers)))
        ax.set_xticklabels([LABELS[s] for s in servers])
        ax.set_yscale("log")
        ax.set_ylabel("microseconds")
        ax.set_title("echo latency at a fixed offered load, 100 x 20 B", fontsize=10)
        legend(ax)
        ax.grid(axis="y", alpha=0.3)
        save(fig, "latency.png")
    return made


made = plots()
if made:
    w("## Plots\n")
    for p in made:
        w(f"![{p}]({p})\n")

with open(os.path.join(out, "report.md"), "w") as f:
    f.write("\n".join(md))
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"machine": machine, "versions": versions, "settings": settings, "runs": results}, f, indent=1)
shutil.rmtree(tls_dir, ignore_errors=True)
if not args.quick and not args.out:
    latest = os.path.join(HERE, "results", "latest")
    shutil.rmtree(latest, ignore_errors=True)
    shutil.copytree(out, latest)
log(f"report: {os.path.relpath(os.path.join(out, 'report.md'), os.getcwd())} "
    f"({(time.time() - started) / 60:.1f} min)")
