#!/usr/bin/env bash
# Runs kgw's tests: unit (criterion binaries), then integration, then
# end-to-end scripts. The last line is the total: "N passed, N failed".
#
#   tests/run.sh [unit|integration|e2e|faults ...]   (default: all of them, in that order)
#
# Integration and e2e scripts report checks as TAP-style lines ("ok - ...",
# "not ok - ..."); a script that exits non-zero without a "not ok" line counts
# as one failure. Each script is bounded by KGW_TEST_TIMEOUT seconds (default 300).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD ROOT
TIMEOUT=${KGW_TEST_TIMEOUT:-300}
passed=0
failed=0
failures=()

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

run_unit() {
    local bin out line t p
    for bin in "$BUILD"/tests/unit-*; do
        [ -x "$bin" ] || continue
        echo "== unit: $(basename "$bin")"
        out=$("$bin" --jobs 1 2>&1) || true
        printf '%s\n' "$out" | grep -vE '^\[----\] +(Criterion|Running)' | grep -E 'FAIL|Synthesis|\[FAIL\]|CRASH|Assertion|warning' || true
        line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1) || true
        if [ -z "$line" ]; then
            failed=$((failed + 1))
            failures+=("unit $(basename "$bin"): no criterion summary (crashed?)")
            printf '%s\n' "$out" | tail -20
            continue
        fi
        t=$(sed -E 's/.*Tested: ([0-9]+).*/\1/' <<<"$line")
        p=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")
        passed=$((passed + p))
        if [ "$t" -ne "$p" ]; then
            failed=$((failed + t - p))
            failures+=("unit $(basename "$bin"): $((t - p)) failing")
        fi
    done
}

run_scripts() {
    local dir=$1 script log rc p f t0
    for script in "$ROOT"/tests/"$dir"/[0-9]*.sh; do
        [ -f "$script" ] || continue
        echo "== $dir: $(basename "$script")"
        log=$(mktemp)
        rc=0
        t0=$SECONDS
        timeout --kill-after=10 "$TIMEOUT" bash "$script" >"$log" 2>&1 || rc=$?
        echo "# $(basename "$script"): $((SECONDS - t0)) s"
        grep -E '^(ok|not ok|#)' "$log" || true
        p=$(grep -c '^ok' "$log" || true)
        f=$(grep -c '^not ok' "$log" || true)
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            if [ "$rc" -eq 124 ]; then
                echo "not ok - $(basename "$script") timed out after ${TIMEOUT}s"
            else
                echo "not ok - $(basename "$script") exited $rc"
            fi
        fi
        if [ "$f" -gt 0 ]; then
            echo "-- last lines of $(basename "$script"):"
            tail -25 "$log" | sed 's/^/   | /'
            failures+=("$dir/$(basename "$script")")
        fi
        passed=$((passed + p))
        failed=$((failed + f))
        rm -f "$log"
    done
}

# Fault scripts add rows (what, records, lost, duplicates, peak RSS, and an
# optional note such as answered counts) here;
# the table is printed after the faults suite.
KGW_FAULT_TABLE=$(mktemp)
export KGW_FAULT_TABLE
trap 'rm -f "$KGW_FAULT_TABLE"' EXIT

print_fault_table() {
    [ -s "$KGW_FAULT_TABLE" ] || return 0
    echo "== fault suite results"
    printf '%-58s %8s %5s %10s %12s  %s\n' "fault" "records" "lost" "duplicates" "peak RSS MiB" "answered"
    while IFS=$'\t' read -r what records lost dups rss answered; do
        printf '%-58s %8s %5s %10s %12s  %s\n' "$what" "$records" "$lost" "$dups" "$((rss / 1024))" "$answered"
    done <"$KGW_FAULT_TABLE"
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration faults e2e)
start=$(date +%s)
for s in "${suites[@]}"; do
    case $s in
    unit) run_unit ;;
    integration | e2e) run_scripts "$s" ;;
    faults)
        run_scripts faults
        print_fault_table
        ;;
    *)
        echo "unknown suite '$s'" >&2
        exit 2
        ;;
    esac
done
echo "== $(($(date +%s) - start)) s"
for f in "${failures[@]+"${failures[@]}"}"; do
    echo "FAILED: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
