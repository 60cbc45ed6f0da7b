#!/usr/bin/env bash
# The README's examples, run in order against a fresh `make run` (bin/run.sh: kgw-devcluster,
# kgw-producer, kgw-consumer), answer exactly what the README shows. The examples are the
# ```sh blocks marked `<!-- readme-example -->`; tests/tools/readme_examples.py runs them.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"

export BUILD
port=$(free_port)
start_bg run "$ROOT/bin/run.sh" --port "$port" </dev/null
check "make run comes up" wait_until 60 grep -q 'Ctrl-C stops all three' "$TMP/run.out"
python3 "$ROOT/tests/tools/readme_examples.py" --readme "$ROOT/README.md" \
    --base "127.0.0.1:$port" >"$TMP/examples.out" || true
cat "$TMP/examples.out"
FAILS=$((FAILS + $(grep -c '^not ok' "$TMP/examples.out" || true)))
finish
