#!/usr/bin/env bash
# GET /openapi.json serves producer/openapi.json; the document validates with
# a real OpenAPI validator from the npm registry (Redocly CLI, pinned, cached
# under $KGW_NPM_CACHE, default ~/.cache/kgw-npm); every request example in
# it is posted to a running producer and every GET route called, and each
# answer is checked against the schema documented for its status
# (tests/tools/openapi_check.py, jsonschema draft 2020-12).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

REDOCLY_VERSION=2.77.0
T="openapi-$RUN_ID"
start_devcluster --brokers 1 --topic "$T:1"
start_producer

curl -s -o "$TMP/openapi.json" -w '%{http_code} %{content_type}\n' "$URL/openapi.json" >"$TMP/get.txt"
check_eq "GET /openapi.json -> 200 JSON" "200 application/json" "$(cat "$TMP/get.txt")"
check "serves producer/openapi.json byte for byte" cmp -s "$ROOT/producer/openapi.json" "$TMP/openapi.json"
check_eq "OpenAPI 3.1" 3.1.0 "$(jget "$(cat "$TMP/openapi.json")" 'j["openapi"]')"
check_eq "open without a token, like /health (documentation only)" 200 "$(http_status "$URL/openapi.json")"

# A real validator: Redocly CLI, installed once into the cache directory.
REDOCLY=$(npm_package @redocly/cli "$REDOCLY_VERSION")/node_modules/.bin/redocly
check "Redocly CLI $REDOCLY_VERSION installed" test -x "$REDOCLY"
(cd "$TMP" && timeout 120 "$REDOCLY" lint --format stylish openapi.json) >"$TMP/lint.txt" 2>&1 && rc=0 || rc=$?
sed 's/^/# /' "$TMP/lint.txt" | tail -n 5
check_eq "redocly lint: valid (exit 0)" 0 "$rc"
check "redocly lint: no warnings either" bash -c "! grep -qiE '[0-9]+ warning' '$TMP/lint.txt'"

python3 "$ROOT/tests/tools/openapi_check.py" "$PORT" "$T" >"$TMP/check.txt" 2>&1 && rc=0 || rc=$?
grep -v '^ok ' "$TMP/check.txt" | sed 's/^/# /'
check_eq "every example posted and every answer matches its documented schema" 0 "$rc"
check "at least 25 calls checked" python3 -c 'import re,sys; n=int(re.search(r"calls (\d+)", open(sys.argv[1]).read()).group(1)); sys.exit(n < 25)' "$TMP/check.txt"

# Every route the server serves is in the document.
for p in /produce /topics "/topics/{topic}" "/topics/{topic}/partitions" "/topics/{topic}/partitions/{partition}" \
    /v3/clusters "/v3/clusters/{cluster_id}" "/v3/clusters/{cluster_id}/topics" \
    "/v3/clusters/{cluster_id}/topics/{topic_name}" "/v3/clusters/{cluster_id}/topics/{topic_name}/records" \
    /health /ready /metrics /openapi.json /webhook-simulator; do
    check "documents $p" python3 -c 'import json,sys; sys.exit(sys.argv[2] not in json.load(open(sys.argv[1]))["paths"])' "$TMP/openapi.json" "$p"
done
finish
