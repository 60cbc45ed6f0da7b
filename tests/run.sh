#!/usr/bin/env bash
# Runs kgw's tests: unit (criterion binaries), then integration, then
# end-to-end scripts. The last line is the total: "N passed, N failed".
#
#   tests/run.sh [unit|integration|e2e|faults ...]   (default: all of them, in that order)
#
# Integration and e2e scripts report checks as TAP-style lines ("ok - ...",
# "not ok - ..."); a script that exits non-zero without a "not ok" line counts
# as one failure. Each script is bounded by KGW_TEST_TIMEOUT seconds (default 300).
# KGW_TEST_JOBS scripts run at once (default 2 on kgw-devcluster, else 1).
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
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
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

# How many scripts run at once. The scripts mostly wait on real processes
# (a whole make test used about a third of one core), and each starts its own
# kgw-devcluster on ports picked free, so two at a time halve the wall time.
# One at a time on a shared cluster (KGW_TEST_BROKERS: real Kafka, whose fault
# scripts stop brokers under everyone) and under valgrind or a sanitizer.
if [ -n "${KGW_TEST_BROKERS:-}" ] || [ -n "${KGW_UNDER_VALGRIND:-}" ] || [ -n "${KGW_SANITIZED:-}" ]; then
    JOBS=${KGW_TEST_JOBS:-1}
else
    JOBS=${KGW_TEST_JOBS:-2}
fi

# The scripts that take longest start first, so that they do not end the run alone.
LONG_FIRST="0302 0211 0204 0207 0208 0224 0223 0205"

# run_one SCRIPT LOG: runs one script bounded by TIMEOUT; its exit status and
# duration go to LOG.rc.
run_one() {
    local script=$1 log=$2 rc=0 t0=$SECONDS
    timeout --kill-after=10 "$TIMEOUT" bash "$script" >"$log" 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" >"$log.rc"
}

# report DIR SCRIPT LOG: prints a finished script's checks and counts them.
report() {
    local dir=$1 script=$2 log=$3 rc secs p f
    read -r rc secs <"$log.rc"
    echo "== $dir: $(basename "$script")"
    echo "# $(basename "$script"): $secs s"
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
    rm -f "$log" "$log.rc"
}

run_scripts() {
    local dir=$1 script logdir n=0 next=0 shown=0 running=0
    local -a order=() logs=()
    for script in "$ROOT"/tests/"$dir"/[0-9]*.sh; do
        [ -f "$script" ] || continue
        case " $LONG_FIRST " in *" $(basename "$script" | cut -c1-4) "*) order=("$script" "${order[@]}") ;; *) order+=("$script") ;; esac
    done
    [ ${#order[@]} -gt 0 ] || return 0
    n=${#order[@]}
    logdir=$(mktemp -d)
    # Reports come in start order, each as soon as it and those before it are done.
    while [ "$shown" -lt "$n" ]; do
        while [ "$next" -lt "$n" ] && [ "$running" -lt "$JOBS" ]; do
            logs[next]=$logdir/$next.log
            run_one "${order[next]}" "${logs[next]}" &
            next=$((next + 1))
            running=$((running + 1))
        done
        wait -n || true
        running=$((running - 1))
        while [ "$shown" -lt "$next" ] && [ -f "${logs[shown]}.rc" ]; do
            report "$dir" "${order[shown]}" "${logs[shown]}"
            shown=$((shown + 1))
        done
    done
    rmdir "$logdir" 2>/dev/null || true
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
