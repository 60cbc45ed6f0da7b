#!/usr/bin/env bash
# CORS for browser producers: no CORS header at all unless --cors-origins is
# set; with it, an OPTIONS preflight from an allowed origin is answered 204
# (without a token, as browsers send none) with the methods and headers kgw
# reads, answers carry Access-Control-Allow-Origin for allowed origins only,
# and a bad origin list is a usage error.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="cors-$RUN_ID"
APP=http://app.example:3000
start_devcluster --brokers 1 --topic "$T:1"

# hdrs ARGS...: the answer's status line and headers, lower-cased.
hdrs() { curl -s -o /dev/null -D - --max-time 10 "$@" | tr -d '\r' | tr '[:upper:]' '[:lower:]'; }

start_producer
h=$(hdrs -H "Origin: $APP" -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":1}" "$URL/produce")
check "off by default: produced" grep -q '^http/1.1 200' <<<"$h"
check "off by default: no CORS header" bash -c "! grep -q '^access-control-' <<<\"\$1\"" _ "$h"
h=$(hdrs -X OPTIONS -H "Origin: $APP" -H 'Access-Control-Request-Method: POST' "$URL/produce")
check "off by default: OPTIONS is not a preflight (405)" grep -q '^http/1.1 405' <<<"$h"
check "off by default: no CORS header on it" bash -c "! grep -q '^access-control-' <<<\"\$1\"" _ "$h"

printf 'tok-cors name=web\n' >"$TMP/tokens"
PRODUCER_N=2
start_producer --cors-origins "$APP, https://other.example" --auth-token-file "$TMP/tokens"
h=$(hdrs -X OPTIONS -H "Origin: $APP" -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type, idempotency-key' "$URL/produce")
check "preflight -> 204 without a token" grep -q '^http/1.1 204' <<<"$h"
check "allows the origin" grep -qx "access-control-allow-origin: $APP" <<<"$h"
check "allows POST" grep -q '^access-control-allow-methods: .*post' <<<"$h"
check "allows Authorization, Content-Type, Idempotency-Key" \
    grep -q '^access-control-allow-headers: authorization, content-type, idempotency-key' <<<"$h"
check "Vary: Origin" grep -qx 'vary: origin' <<<"$h"
h=$(hdrs -H "Origin: $APP" -H 'Authorization: Bearer tok-cors' -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":2}" "$URL/produce")
check "the actual POST -> 200" grep -q '^http/1.1 200' <<<"$h"
check "carries Access-Control-Allow-Origin" grep -qx "access-control-allow-origin: $APP" <<<"$h"
check "exposes Retry-After and Idempotent-Replayed" \
    grep -q '^access-control-expose-headers: retry-after, idempotent-replayed' <<<"$h"
h=$(hdrs -H "Origin: $APP" "$URL/produce")
check "errors carry it too (401 without a token)" bash -c "grep -q '^http/1.1 401' <<<\"\$1\" && grep -q '^access-control-allow-origin' <<<\"\$1\"" _ "$h"
h=$(hdrs -X OPTIONS -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST' "$URL/produce")
check "preflight from another origin -> 403" grep -q '^http/1.1 403' <<<"$h"
check "without CORS headers" bash -c "! grep -q '^access-control-allow' <<<\"\$1\"" _ "$h"
h=$(hdrs -H 'Origin: http://evil.example' -H 'Authorization: Bearer tok-cors' -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":3}" "$URL/produce")
check "another origin's POST gets no Allow-Origin (the browser hides the answer)" \
    bash -c "! grep -q '^access-control-allow-origin' <<<\"\$1\"" _ "$h"

out=$("$BUILD/kgw-producer" --cors-origins 'app.example' 2>&1) && rc=0 || rc=$?
check_eq "--cors-origins without a scheme exits 2" 2 "$rc"
check "naming the flag" grep -q -- '--cors-origins' <<<"$out"
finish
