#!/usr/bin/env bash
# The whole pipeline: bin/e2e.sh with 1000 messages,
# 3 consumers in one group and a receiver failing 20% of requests with 503.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# On real Kafka (make test-kafka) bin/e2e.sh runs against the test cluster.
E2E_ARGS=()
real_kafka && E2E_ARGS=(--brokers "$KGW_TEST_BROKERS")

rc=0
"$ROOT/bin/e2e.sh" "${E2E_ARGS[@]+"${E2E_ARGS[@]}"}" --messages 1000 --consumers 3 --fail-rate 0.2 >"$TMP/e2e.out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/e2e.out"
check_eq "bin/e2e.sh passes (no loss, order held, offsets committed)" 0 "$rc"
check "summary table printed" grep -q '| delivered ' "$TMP/e2e.out"
check "every message acknowledged" grep -qE '^\| acknowledged +\| +1000 \|' "$TMP/e2e.out"
check "every message in Kafka" grep -qE '^\| in Kafka +\| +1000 \|' "$TMP/e2e.out"
check "every message delivered" grep -qE '^\| delivered +\| +1000 \|' "$TMP/e2e.out"
check "failures were retried" grep -qE '^\| retried +\| +[1-9][0-9]* \|' "$TMP/e2e.out"
finish
