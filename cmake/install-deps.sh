#!/usr/bin/env bash
# Install what building and testing duplex needs on Debian 12 (as root), or
# print the command to run. Quiet and quick when everything is present.
#   cmake/install-deps.sh          install what is missing
#   cmake/install-deps.sh --check  only report
#   cmake/install-deps.sh --bench  also what benchmarks/report.sh compares against and plots
#                                  with (websocketpp, Boost, matplotlib); combines with --check
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check_only=0
bench=0
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        --bench) bench=1 ;;
        *) echo "usage: cmake/install-deps.sh [--check] [--bench]" >&2; exit 2 ;;
    esac
done

packages=(cmake make g++ clang libclang-rt-14-dev clang-format libasio-dev libboost1.74-dev doxygen catch2 libssl-dev zlib1g-dev
          libbenchmark-dev nlohmann-json3-dev libhiredis-dev redis-server python3 python3-websockets openssl git
          chromium firefox-esr tinyproxy)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
[ $bench = 1 ] && packages+=(libwebsocketpp-dev python3-matplotlib)

if [ "$(uname -s)" = "Darwin" ]; then
    echo "On macOS: brew install cmake asio catch2 openssl zlib google-benchmark nlohmann-json node && pip3 install websockets"
    exit 0
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
else
    echo "install-deps: not a Debian system; install: ${packages[*]}" >&2
    exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ $check_only = 1 ]; then
        echo "missing: ${missing[*]}"
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "install-deps: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages of the interop tests (Node ws, Playwright), from the lockfile.
interop="$root/tests/interop"
if [ -f "$interop/package.json" ] && { [ ! -f "$interop/node_modules/.package-lock.json" ] ||
        [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; }; then
    if [ $check_only = 1 ]; then
        echo "missing: npm packages in tests/interop (npm ci --prefix tests/interop)"
        exit 1
    fi
    if [ -f "$root/tests/interop/package-lock.json" ]; then
        npm ci --prefix "$root/tests/interop" --no-audit --no-fund --loglevel=error >/dev/null
    else
        npm install --prefix "$root/tests/interop" --no-audit --no-fund --loglevel=error >/dev/null
    fi
fi
[ $check_only = 1 ] && echo "all dependencies present"
exit 0
