#!/usr/bin/env python3
"""Each layer of include/duplex/ includes only the layers below it.

    frame <- handshake <- protocol <- extensions <- transport <- endpoints <- pubsub, rpc

with a base under all of them (config/, error.hpp and the std-only helpers in
detail/). A header may include headers of its own component and of lower
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
    (r"duplex/frame(/|\.hpp$)", 1, "frame"),
    (r"duplex/handshake(/|\.hpp$)", 2, "handshake"),
    (r"duplex/protocol(/|\.hpp$)", 3, "protocol"),
    (r"duplex/extensions/", 4, "extensions"),
    (r"duplex/transport/", 5, "transport"),
    (r"duplex/detail/(deadline_service|executor)\.hpp$", 5, "transport"),  # Asio timers and executors
    (r"duplex/pubsub(/|\.hpp$)", 7, "pubsub"),
    (r"duplex/rpc(/|\.hpp$)", 7, "rpc"),
    # Everything else at the top of duplex/ and in connection/, server/, client/, impl/.
    (r"duplex/", 6, "endpoints"),
]
LAYER_NAMES = {0: "base", 1: "frame", 2: "handshake", 3: "protocol", 4: "extensions", 5: "transport",
               6: "endpoints", 7: "pubsub/rpc"}
UMBRELLA = "duplex/duplex.hpp"  # includes everything by design


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
    if header == UMBRELLA:
        continue
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
