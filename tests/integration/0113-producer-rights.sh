#!/usr/bin/env bash
# Topic rights per caller: the token file names callers and their topic
# patterns; a refused topic is 403 on every produce route and hidden from the
# metadata routes; metrics count by caller name and never show a token;
# SIGHUP reloads the file without a restart, and a malformed reload keeps the
# old tokens and logs one error.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

O="orders-$RUN_ID"
A="audit-$RUN_ID"
start_devcluster --brokers 1 --topic "$O:1" --topic "$O.eu:1" --topic "$A:1"
TOK_O="tok-orders-$RANDOM$RANDOM"
TOK_A="tok-any-$RANDOM$RANDOM"
printf '# callers\n%s name=orders-svc topics=orders-*\n%s name=ops\n' "$TOK_O" "$TOK_A" >"$TMP/tokens"
start_producer --auth-token-file "$TMP/tokens"

# as TOKEN METHOD PATH [BODY [CTYPE]]: prints "<status> <body>".
as() {
    local tok=$1 method=$2 path=$3 body=${4:-} ctype=${5:-application/json} out
    local args=(-s --max-time 30 -w '\n%{http_code}' -X "$method" -H "Authorization: Bearer $tok")
    [ -n "$body" ] && args+=(-H "Content-Type: $ctype" --data-binary "$body")
    out=$(curl "${args[@]}" "$URL$path") || true
    printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}

check_eq "orders-svc: /produce to its topic -> 200" 200 \
    "$(status_of "$(as "$TOK_O" POST /produce "{\"topic\":\"$O\",\"payload\":1}")")"
check_eq "orders-svc: a topic matching its pattern -> 200" 200 \
    "$(status_of "$(as "$TOK_O" POST /produce "{\"topic\":\"$O.eu\",\"payload\":1}")")"
r=$(as "$TOK_O" POST /produce "{\"topic\":\"$A\",\"payload\":1}")
check_eq "orders-svc: /produce to audit -> 403" 403 "$(status_of "$r")"
check "naming the topic" grep -q "topic '$A' is not allowed" <<<"$r"
check_eq "orders-svc: REST Proxy v2 to audit -> 403" 403 \
    "$(status_of "$(as "$TOK_O" POST "/topics/$A" '{"records":[{"value":1}]}' application/vnd.kafka.json.v2+json)")"
cid=$(jget "$(body_of "$(as "$TOK_O" GET /v3/clusters)")" 'j["data"][0]["cluster_id"]')
check_eq "orders-svc: v3 records to audit -> 403" 403 \
    "$(status_of "$(as "$TOK_O" POST "/v3/clusters/$cid/topics/$A/records" '{"value":{"data":1}}')")"
check_eq "ops (no topics=): audit -> 200" 200 \
    "$(status_of "$(as "$TOK_A" POST /produce "{\"topic\":\"$A\",\"payload\":1}")")"
list=$(body_of "$(as "$TOK_O" GET /topics)")
check_eq "orders-svc sees its topics" true "$(jget "$list" "'$O' in j and '$O.eu' in j")"
check_eq "orders-svc does not see audit" false "$(jget "$list" "'$A' in j")"
check_eq "ops sees audit" true "$(jget "$(body_of "$(as "$TOK_A" GET /topics)")" "'$A' in j")"
check_eq "orders-svc: GET /topics/audit -> 403" 403 "$(status_of "$(as "$TOK_O" GET "/topics/$A")")"

m=$(body_of "$(as "$TOK_A" GET /metrics)")
check "metrics by caller name" grep -q 'kgw_producer_caller_requests_total{caller="orders-svc",status="403"}' <<<"$m"
check "ops counted too" grep -q 'caller="ops",status="200"' <<<"$m"
check "no token in /metrics" bash -c "! grep -qF -e '$TOK_O' -e '$TOK_A' <<<\"\$1\"" _ "$m"
check "no token in the logs" bash -c "! grep -qF -e '$TOK_O' -e '$TOK_A' '$TMP/producer.out' '$TMP/producer.err'"

# --- SIGHUP: orders-svc may now write audit too, and a new token appears.
TOK_N="tok-new-$RANDOM$RANDOM"
printf '%s name=orders-svc topics=orders-*,audit-*\n%s name=newcomer\n' "$TOK_O" "$TOK_N" >"$TMP/tokens.new"
mv "$TMP/tokens.new" "$TMP/tokens"
kill -HUP "$PRODUCER_PID"
check "reload logged" wait_until 10 grep -q 'token file reloaded tokens=2' "$TMP/producer.out" "$TMP/producer.err"
check_eq "after reload: orders-svc may write audit" 200 \
    "$(status_of "$(as "$TOK_O" POST /produce "{\"topic\":\"$A\",\"payload\":2}")")"
check_eq "after reload: the new token works" 200 \
    "$(status_of "$(as "$TOK_N" POST /produce "{\"topic\":\"$A\",\"payload\":3}")")"
check_eq "after reload: the removed token is refused" 401 \
    "$(status_of "$(as "$TOK_A" POST /produce "{\"topic\":\"$A\",\"payload\":4}")")"
check "the process did not restart" alive "$PRODUCER_PID"

# --- A malformed reload keeps the previous tokens and logs one error.
printf '%s name=bad name\n' "$TOK_N" >"$TMP/tokens"
kill -HUP "$PRODUCER_PID"
check "one error logged" wait_until 10 grep -q 'token file reload failed, keeping the previous tokens' \
    "$TMP/producer.out" "$TMP/producer.err"
check_eq "exactly one" 1 "$(cat "$TMP/producer.out" "$TMP/producer.err" | grep -c 'token file reload failed')"
check "the error names the line, not the token" bash -c "grep 'reload failed' '$TMP/producer.out' '$TMP/producer.err' | grep -q 'tokens:1:' && ! grep -qF '$TOK_N' '$TMP/producer.out' '$TMP/producer.err'"
check_eq "the previous tokens still work" 200 \
    "$(status_of "$(as "$TOK_N" POST /produce "{\"topic\":\"$A\",\"payload\":5}")")"
finish
