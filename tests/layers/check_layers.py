#!/usr/bin/env python3
"""Each layer of include/duplex/ includes only the layers below it.

    frame <- handshake <- protocol <- extensions <- transport <- connection
          <- server, client <- pubsub, rpc

with a base under all of them (config/, error.hpp and the std-only helpers in
detail/), and the umbrella headers and forwarders at the top of duplex/
over all of them. A header may include headers of its own component and of lower
layers; an include that points up or sideways fails the check, with the line.

    tests/layers/check_layers.py [INCLUDE_DIR]     exit 0: clean, 1: violations
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "include")

# (layer rank, component) for a header path under include/, first match wins.
RULES = [
    (r"duplex/config/", 0, "base"),
    (r"duplex/error\.hpp$", 0, "base"),
    (r"duplex/detail/(byte_buffer|random)\.hpp$", 0, "base"),
    (r"duplex/frame/", 1, "frame"),
    (r"duplex/handshake/", 2, "handshake"),
    (r"duplex/protocol/", 3, "protocol"),
    (r"duplex/extensions/", 4, "extensions"),
    (r"duplex/transport/", 5, "transport"),
    (r"duplex/detail/(deadline_service|executor)\.hpp$", 5, "transport"),  # Asio timers and executors
    (r"duplex/config\.hpp$", 5, "configs"),  # the ready-made Configs
    (r"duplex/connection/", 6, "connection"),
    (r"duplex/server/", 7, "server"),
    (r"duplex/client/", 7, "client"),
    (r"duplex/pubsub/", 8, "pubsub"),
    (r"duplex/rpc/", 8, "rpc"),
    # The top of duplex/: umbrellas (duplex.hpp, frame.hpp, tls.hpp, ...) and
    # the forwarders of moved headers. They may include anything.
    (r"duplex/[^/]+\.hpp$", 9, "umbrella"),
]
LAYER_NAMES = {0: "base", 1: "frame", 2: "handshake", 3: "protocol", 4: "extensions", 5: "transport",
               6: "connection", 7: "server/client", 8: "pubsub/rpc", 9: "umbrella"}


def classify(path):
    for pattern, rank, component in RULES:
        if re.search(pattern, path):
            return rank, component
    raise SystemExit(f"check_layers: no layer for {path}; add it to RULES")


include = re.compile(r'^\s*#\s*include\s*<(duplex/[^>]+)>')
headers = []
for directory, _, files in os.walk(os.path.join(ROOT, "duplex")):
    for name in files:
        if name.endswith(".hpp"):
            headers.append(os.path.relpath(os.path.join(directory, name), ROOT))
if not headers:
    raise SystemExit(f"check_layers: no headers under {ROOT}/duplex")

violations = 0
for header in sorted(headers):
    rank, component = classify(header)
    with open(os.path.join(ROOT, header), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = include.match(line)
            if not m:
                continue
            target = m.group(1)
            if not os.path.exists(os.path.join(ROOT, target)):
                print(f"{header}:{number}: includes {target}, which does not exist")
                violations += 1
                continue
            target_rank, target_component = classify(target)
            if target_component == component or target_rank < rank or target_rank == 0:
                continue
            print(f"{header}:{number}: {LAYER_NAMES[rank]} ({component}) includes {target} "
                  f"({LAYER_NAMES[target_rank]}, {target_component}): includes must point down")
            violations += 1

print(f"check_layers: {len(headers)} headers, {violations} include(s) pointing up or sideways")
sys.exit(1 if violations else 0)
