#!/usr/bin/env bash
# bin/e2e.sh must fail loudly when a message is lost: --sabotage makes the
# receiver reject a share of records permanently (400) and the consumers skip
# them, so they never reach it. The run must exit non-zero and name the losses.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# On real Kafka (make test-kafka) bin/e2e.sh runs against the test cluster.
E2E_ARGS=()
real_kafka && E2E_ARGS=(--brokers "$KGW_TEST_BROKERS")

rc=0
"$ROOT/bin/e2e.sh" "${E2E_ARGS[@]+"${E2E_ARGS[@]}"}" --messages 300 --consumers 2 --sabotage >"$TMP/e2e.out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/e2e.out"
check "bin/e2e.sh --sabotage exits non-zero" test "$rc" -ne 0
check "it names the lost records" grep -q '^LOST at the receiver: seq' "$TMP/e2e.out"
check "it says FAIL" grep -q '^FAIL:' "$TMP/e2e.out"
finish
