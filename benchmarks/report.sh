#!/usr/bin/env bash
# The benchmark report in one command: install what it compares against, build the
# release preset, run every case interleaved and repeated, write
# benchmarks/results/<date>-<time>/ (report.md, PNG plots, JSON) and copy it to
# benchmarks/results/latest/.
#   benchmarks/report.sh            full run: 3 rounds, about 20 minutes on 2 cores
#   benchmarks/report.sh --quick    1 round of short runs (a few minutes): checks, not figures
#   benchmarks/report.sh --skip-build [report.py options...]   e.g. --only echo,fanout --rounds 5
# Loopback only; every run bounded in time. See benchmarks/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build=1
pass=()
for arg in "$@"; do
    case "$arg" in
        --skip-build) build=0 ;;
        -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) pass+=("$arg") ;;
    esac
done
if [ $build = 1 ]; then
    cmake/install-deps.sh --bench ||
        echo "report: some packages are missing (see above); the peers that need them are skipped" >&2
    cmake --preset release >/dev/null
    cmake --build --preset release --target duplex_bench_report
fi
exec /usr/bin/python3 benchmarks/report.py build/release "${pass[@]+"${pass[@]}"}"
