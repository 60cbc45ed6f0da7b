#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target for a bounded time from its seed corpus
# (tests/fuzz/corpus/<target>/, copied, so new inputs stay out of the tree).
#
#   tests/fuzz/run.sh SECONDS TARGET_BINARY...
#
# Prints the executions per target; exits 1 on any crash, leak or timeout
# (the reproducer is copied to build/fuzz/findings/).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:?usage: run.sh SECONDS TARGET...}
shift
rc=0
for bin in "$@"; do
    name=$(basename "$bin")
    corpus_name=${name#fuzz_}
    work=$(mktemp -d)
    findings=$(dirname "$bin")/findings
    mkdir -p "$work/corpus" "$findings"
    cp "$ROOT/tests/fuzz/corpus/$corpus_name"/* "$work/corpus/" 2>/dev/null || true
    echo "fuzz: $name for ${secs}s"
    status=0
    (cd "$work" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 corpus >log 2>&1) || status=$?
    runs=$(grep -oE 'Done [0-9]+ runs' "$work/log" | grep -oE '[0-9]+' || echo 0)
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $name FAILED (exit $status):"
        grep -E 'ERROR|SUMMARY|Test unit written' "$work/log" | head -10
        cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$findings/" 2>/dev/null || true
        rc=1
    else
        echo "fuzz: $name: $runs executions, 0 crashes, 0 leaks"
    fi
    rm -rf "$work"
done
exit "$rc"
