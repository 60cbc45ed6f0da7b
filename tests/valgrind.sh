#!/usr/bin/env bash
# make valgrind: runs the integration tests with every kgw program under
# valgrind memcheck, unchanged: build/valgrind/ holds wrapper scripts named like
# the binaries (tests find them through BUILD=build/valgrind), each logging to
# build/valgrind/logs/. Afterwards every log must show no errors and no
# definitely or indirectly lost blocks.
#
#   tests/valgrind.sh [SUITE ...]     (default: integration)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REAL=${BUILD:-build}
case $REAL in /*) ;; *) REAL=$ROOT/$REAL ;; esac
VG=$REAL/valgrind
rm -rf "$VG"
mkdir -p "$VG/logs"
ln -s "$REAL/tests" "$VG/tests"
[ -d "$REAL/bench" ] && ln -s "$REAL/bench" "$VG/bench"
for bin in "$REAL"/kgw-*; do
    name=$(basename "$bin")
    # kgw-devcluster is the test fixture, not the code under test: run it as is.
    if [ "$name" = kgw-devcluster ]; then
        ln -s "$bin" "$VG/$name"
        continue
    fi
    cat >"$VG/$name" <<WRAP
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --track-fds=no --num-callers=30 \\
    --log-file="$VG/logs/$name.%p.log" "$bin" "\$@"
WRAP
    chmod +x "$VG/$name"
done

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(integration)
rc=0
KGW_TEST_TIMEOUT=${KGW_TEST_TIMEOUT:-600} KGW_UNDER_VALGRIND=1 BUILD=$VG "$ROOT/tests/run.sh" "${suites[@]}" || rc=$?

# --help/--version runs and misuse exits leave empty logs; look at the rest.
bad=0
runs=0
for log in "$VG"/logs/*.log; do
    [ -e "$log" ] || continue
    runs=$((runs + 1))
    if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write)|uninitialised' "$log"; then
        echo "valgrind: problems in $log:"
        head -60 "$log"
        bad=$((bad + 1))
    fi
done
echo "valgrind: $runs program runs checked, $bad with memory errors or leaks"
[ "$bad" -eq 0 ] || rc=1
exit "$rc"
