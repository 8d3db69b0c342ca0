#!/usr/bin/env bash
# Run every libFuzzer binary of the fuzz preset for a bounded time, two at a
# time, each on a copy of its seed corpus (tests/fuzz/corpus/<target>/, so the
# repository is never written) with its dictionary (tests/fuzz/dict/<target>.dict).
# Crash inputs go to BUILD_DIR/fuzz-artifacts/<target>/. Exits non-zero on any
# finding (crash, invariant violation, leak, timeout, out of memory).
#
#   tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET] [BUILD_DIR]
#       SECONDS_PER_TARGET  default 60;  BUILD_DIR  default build/fuzz
#   DUPLEX_FUZZ_JOBS=N      fuzzers run at once (default 2)
#   DUPLEX_FUZZ_TARGETS="a b"  only these targets
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
build="${2:-$root/build/fuzz}"
jobs="${DUPLEX_FUZZ_JOBS:-2}"
sources="$root/tests/fuzz"
bin_dir="$build/tests/fuzz"

if [ ! -d "$bin_dir" ]; then
    echo "run_fuzzers: no $bin_dir; build the fuzzers: cmake --preset fuzz && cmake --build --preset fuzz" >&2
    exit 2
fi
build="$(cd "$build" && pwd)"
bin_dir="$build/tests/fuzz"
artifacts="$build/fuzz-artifacts"

targets=()
if [ -n "${DUPLEX_FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$DUPLEX_FUZZ_TARGETS"
else
    for binary in "$bin_dir"/duplex_fuzz_*; do
        name="${binary##*/duplex_fuzz_}"
        [ "$name" = replay ] || [ ! -x "$binary" ] || targets+=("$name")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "run_fuzzers: no fuzzers in $bin_dir; build them: cmake --preset fuzz && cmake --build --preset fuzz" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/duplex-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Runs one fuzzer; its log and "exit-code seconds" land in $work.
run_target() {
    local name="$1" started=$SECONDS rc=0
    local corpus="$work/corpus/$name"
    mkdir -p "$corpus" "$artifacts/$name"
    if [ -d "$sources/corpus/$name" ]; then cp -R "$sources/corpus/$name/." "$corpus/"; fi
    local options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
                   -artifact_prefix="$artifacts/$name/")
    if [ -f "$sources/dict/$name.dict" ]; then options+=(-dict="$sources/dict/$name.dict"); fi
    # json_rpc has many features (nlohmann/json, Asio): the entropic schedule's
    # bookkeeping halves its speed, so it runs with the plain one.
    if [ "$name" = json_rpc ]; then options+=(-entropic=0); fi
    "$bin_dir/duplex_fuzz_$name" "${options[@]}" "$corpus" >"$work/$name.log" 2>&1 || rc=$?
    echo "$rc $((SECONDS - started))" >"$work/$name.status"
}

echo "run_fuzzers: ${#targets[@]} targets, ${seconds} s each, $jobs at a time; artifacts in $artifacts"
running=0
for name in "${targets[@]}"; do
    if [ ! -x "$bin_dir/duplex_fuzz_$name" ]; then
        echo "run_fuzzers: no fuzzer $bin_dir/duplex_fuzz_$name" >&2
        echo "2 0" >"$work/$name.status"
        continue
    fi
    run_target "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

failed=0
summary=()
for name in "${targets[@]}"; do
    read -r rc took <"$work/$name.status"
    log="$work/$name.log"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" 2>/dev/null | tail -n 1)"
    units="$(find "$work/corpus/$name" -type f | wc -l)"
    result=ok
    if [ "$rc" != 0 ]; then
        result="FAILED (exit $rc)"
        failed=1
        echo
        echo "=== $name: finding (exit $rc); the end of its log:"
        tail -n 60 "$log" 2>/dev/null || true
        sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" 2>/dev/null | while read -r file; do
            echo "=== $name: crash input: $file"
        done
    fi
    summary+=("$(printf '%-18s %5s s %12s execs %8s exec/s %6s corpus  %s' "$name" "$took" "${execs:-?}" \
        "${rate:-?}" "$units" "$result")")
done

echo
echo "=== fuzz summary (target, seconds, total executions, executions per second, corpus files, result)"
printf '%s\n' "${summary[@]}"
if [ "$failed" != 0 ]; then
    echo "run_fuzzers: FINDINGS; reproduce with the crash input above:"
    echo "    $bin_dir/duplex_fuzz_<target> <crash file>   or   duplex_fuzz_replay <target> <crash file>"
    exit 1
fi
echo "run_fuzzers: no findings"
