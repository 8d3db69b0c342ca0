"""The RPC example end to end: rpc_service on a free port, rpc_client against it.

usage: rpc_example.py RPC_SERVICE RPC_CLIENT
Checks results, JSON-RPC errors (exit 1 with the code printed), the event with
its acknowledgement, the service's call to the client (client.hello), exit 2
when nothing listens, and that SIGTERM stops the service with exit 0.
"""
import json
import signal
import subprocess
import sys

service_path, client_path = sys.argv[1], sys.argv[2]
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        failures += 1


def client(*args):
    r = subprocess.run([client_path, *args], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def result_of(stdout):
    try:
        return json.loads(stdout)
    except ValueError:
        return "not JSON: " + stdout


service = subprocess.Popen([service_path, "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    line = service.stdout.readline()
    check(f"the service prints its address ({line.strip()})", line.startswith("listening on "))
    if not line.startswith("listening on "):
        sys.exit(1)
    url = f"ws://{line.split()[-1]}/rpc"

    code, out, err = client(url, "add", "[2, 3]")
    check(f"add [2, 3] prints 5 and exits 0 ({code}, {out.strip()!r})", code == 0 and result_of(out) == 5)
    check("the client answered the service's client.hello",
          '"service":"rpc_service"' in err and "hello from" in err)
    code, out, err = client(url, "add", "[0.5, 0.25]")
    check(f"add [0.5, 0.25] prints 0.75 ({code}, {out.strip()!r})", code == 0 and result_of(out) == 0.75)
    code, out, err = client(url, "uppercase", '["héllo, world"]')
    check(f"uppercase prints the upper-cased text ({code}, {out.strip()!r})",
          code == 0 and result_of(out) == "HéLLO, WORLD")

    code, out, err = client(url, "no.such.method", "[]")
    check(f"an unknown method exits 1 ({code})", code == 1)
    check(f"an unknown method prints -32601 ({err.strip()!r})", "-32601" in err and out == "")
    code, out, err = client(url, "add", '["a", "b"]')
    check(f"add with strings exits 1 with -32602 ({code}, {err.strip()!r})", code == 1 and "-32602" in err)
    code, out, err = client(url, "add", '{"a": 1}')
    check(f"add with an object exits 1 with -32602 ({code}, {err.strip()!r})", code == 1 and "-32602" in err)
    code, out, err = client(url, "uppercase", "[1]")
    check(f"uppercase with a number exits 1 with -32602 ({code}, {err.strip()!r})", code == 1 and "-32602" in err)

    code, out, err = client("--emit", url, "note", '{"text": "remember the milk"}')
    ack = result_of(out)
    check(f"the note event is acknowledged ({code}, {out.strip()!r})",
          code == 0 and isinstance(ack, dict) and ack.get("stored") is True and ack.get("notes") == 1)

    code, out, err = client(url, "stats")
    stats = result_of(out)
    check(f"stats answers ({code}, {out.strip()!r})", code == 0 and isinstance(stats, dict))
    if isinstance(stats, dict):
        # add twice, uppercase once, and this stats call succeeded; the rest failed.
        check(f"stats counts the 4 successful calls ({stats.get('calls')})", stats.get("calls") == 4)
        check(f"stats counts the note ({stats.get('notes')})", stats.get("notes") == 1)
        # The 8 clients before answered client.hello before leaving; this one may not have yet.
        check(f"the service got the client.hello answers ({stats.get('hellos')})", stats.get("hellos") in (8, 9))
        hello = stats.get("last_hello") or {}
        check(f"the last answer names rpc_client ({hello})",
              hello.get("name") == "rpc_client" and isinstance(hello.get("pid"), int))
        check(f"stats sees this connection ({stats.get('connections')})", stats.get("connections") == 1)

    code, out, err = client(url, "add", "not json")
    check(f"JSON-PARAMS that is not JSON is a usage error ({code})", code == 64)
finally:
    service.send_signal(signal.SIGTERM)
    try:
        status = service.wait(timeout=10)
    except subprocess.TimeoutExpired:
        service.kill()
        status = "killed after 10 s"
check(f"SIGTERM stops the service with exit 0 ({status})", status == 0)

code, out, err = client(url, "add", "[2, 3]")
check(f"nothing listening: exit 2 ({code}, {err.strip()!r})", code == 2 and out == "")
code, out, err = client("ws://127.0.0.1:1/rpc", "stats")
check(f"a closed port: exit 2 ({code})", code == 2)
code, out, err = client("http://not-a-ws-url", "stats")
check(f"a malformed URL: exit 2 ({code})", code == 2)

print("FAILED" if failures else "all passed", flush=True)
sys.exit(1 if failures else 0)
