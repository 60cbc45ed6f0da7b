#!/usr/bin/env bash
# kgw-producer's security options: HTTPS (--tls-cert/--tls-key), bearer tokens
# (--auth-token-file, several tokens at once, /health and /ready open,
# /metrics configurable), the topic allow-list (--allow-topics, 403), Kafka
# TLS/SASL flag misuse (exit 2), and secrets (SASL password, tokens) never in
# the logs, even at --log-level debug with -X debug=all.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

P=$BUILD/kgw-producer
T="sec-$RUN_ID"

misuse() {
    local want=$1
    shift
    local out rc=0
    out=$(timeout 10 "$P" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && grep -q -- "$want" <<<"$out"
}

TOKEN1="tok1-$RUN_ID-$RANDOM$RANDOM"
TOKEN2="tok2-$RUN_ID-$RANDOM$RANDOM"
printf '# current and next token\n%s\n\n  %s  \n' "$TOKEN1" "$TOKEN2" >"$TMP/tokens"
: >"$TMP/empty"

check "--tls-cert without --tls-key exits 2" misuse "go together" --tls-cert "$TMP/tokens"
check "--tls-key without --tls-cert exits 2" misuse "go together" --tls-key "$TMP/tokens"
check "--tls-cert unreadable exits 2 naming it" misuse "--tls-cert: cannot read" \
    --tls-cert "$TMP/nope.pem" --tls-key "$TMP/nope.key"
check "--auth-token-file missing exits 2" misuse "--auth-token-file: cannot read" --auth-token-file "$TMP/nope"
check "--auth-token-file empty exits 2" misuse "holds no token" --auth-token-file "$TMP/empty"
check "--allow-topics with an empty pattern exits 2" misuse "--allow-topics: 'a,,b'" --allow-topics 'a,,b'
check "--kafka-security-protocol bogus exits 2" misuse "--kafka-security-protocol: 'tls9'" \
    --kafka-security-protocol tls9
check "--kafka-sasl-mechanism without a user exits 2" misuse "--kafka-sasl-username: required" \
    --kafka-security-protocol sasl_plaintext --kafka-sasl-mechanism PLAIN
check "SASL without a password exits 2" misuse "KGW_KAFKA_SASL_PASSWORD" \
    --kafka-security-protocol sasl_ssl --kafka-sasl-mechanism SCRAM-SHA-256 --kafka-sasl-username u
check "--kafka-sasl-mechanism bogus exits 2" misuse "--kafka-sasl-mechanism: 'MD5'" \
    --kafka-security-protocol sasl_plaintext --kafka-sasl-mechanism MD5 --kafka-sasl-username u
check "--help lists the security flags" bash -c "'$P' --help | grep -q -- '--auth-token-file' && '$P' --help | grep -q -- '--kafka-sasl-password-file'"

start_devcluster --brokers 3 --topic "$T:2" --topic "ev-$RUN_ID.a:1" --topic "other-$RUN_ID:1"

# --- HTTPS with a self-signed certificate, tokens and an allow-list.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
PORT=$(free_port)
URL="https://127.0.0.1:$PORT"
start_bg producer "$P" --brokers "$BOOTSTRAP" --listen 127.0.0.1 --port "$PORT" \
    --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --auth-token-file "$TMP/tokens" \
    --allow-topics "$T, ev-$RUN_ID.*"
PRODUCER_PID=$LAST_PID
CA=(--cacert "$TMP/cert.pem")
check "HTTPS /health answers 200 (curl --cacert)" \
    wait_until 20 curl -sf -o /dev/null "${CA[@]}" "$URL/health"
check "the startup line says https and bearer" grep -q "scheme=https auth=bearer allowed_topics=2" "$TMP/producer.err"
check "plain HTTP on the HTTPS port gets no HTTP answer" \
    bash -c "! curl -sf --max-time 5 -o /dev/null 'http://127.0.0.1:$PORT/health'"
check "an unknown CA is refused by curl" bash -c "! curl -sf --max-time 5 -o /dev/null '$URL/health'"

# spost PATH BODY [CTYPE] [curl args...]: POST over HTTPS; prints "<status> <body>".
spost() {
    local path=$1 body=$2 ctype=${3:-application/json} out
    shift 3 || shift $#
    out=$(curl -s "${CA[@]}" --max-time 30 -w '\n%{http_code}' -H "Content-Type: $ctype" "$@" \
        --data-binary "$body" "$URL$path") || true
    printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}
AUTH1=(-H "Authorization: Bearer $TOKEN1")
AUTH2=(-H "Authorization: bearer $TOKEN2")

hdrs=$(curl -s "${CA[@]}" -D - -o "$TMP/401.json" -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":1}" "$URL/produce")
check "no token -> 401" grep -q '^HTTP/1.1 401' <<<"$hdrs"
check "401 carries WWW-Authenticate: Bearer realm=\"kgw\"" grep -qi '^WWW-Authenticate: Bearer realm="kgw"' <<<"$hdrs"
check "401 body is JSON with error" python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['error']" "$TMP/401.json"
r=$(spost /produce "{\"topic\":\"$T\",\"payload\":1}" application/json -H "Authorization: Bearer wrong-$TOKEN1")
check_eq "wrong token -> 401" 401 "$(status_of "$r")"
r=$(spost /produce "{\"topic\":\"$T\",\"payload\":1}" application/json -H "Authorization: Basic dTpw")
check_eq "Basic credentials -> 401" 401 "$(status_of "$r")"
r=$(spost /produce "{\"topic\":\"$T\",\"payload\":1}" application/json -H "Authorization: Bearer ${TOKEN1:0:10}")
check_eq "a prefix of the token -> 401" 401 "$(status_of "$r")"
r=$(spost /produce "{\"topic\":\"$T\",\"payload\":{\"over\":\"tls\"}}" application/json "${AUTH1[@]}")
check_eq "first token, HTTPS /produce -> 200" 200 "$(status_of "$r")"
check "and it names a partition and offset" grep -q '"offset":[0-9]' <<<"$r"
r=$(spost /produce "{\"topic\":\"$T\",\"payload\":2}" application/json "${AUTH2[@]}")
check_eq "second token (rotation) -> 200" 200 "$(status_of "$r")"
r=$(spost "/topics/$T" '{"records":[{"value":1}]}' application/vnd.kafka.json.v2+json)
check_eq "REST Proxy without a token -> 401" 401 "$(status_of "$r")"
check_eq "REST Proxy 401 is 40101" 40101 "$(jget "$(body_of "$r")" 'j["error_code"]')"
check_eq "/health is open" 200 "$(http_status "$URL/health" "${CA[@]}")"
check_eq "/ready is open" 200 "$(http_status "$URL/ready" "${CA[@]}")"
check_eq "/metrics needs a token by default" 401 "$(http_status "$URL/metrics" "${CA[@]}")"
check_eq "/metrics with a token" 200 "$(http_status "$URL/metrics" "${CA[@]}" "${AUTH1[@]}")"
check_eq "unknown path without a token -> 401 (reveals nothing)" 401 "$(http_status "$URL/nope" "${CA[@]}")"

# Allow-list: exact names and globs, /produce and REST Proxy.
r=$(spost /produce "{\"topic\":\"other-$RUN_ID\",\"payload\":1}" application/json "${AUTH1[@]}")
check_eq "topic outside the allow-list -> 403" 403 "$(status_of "$r")"
check "403 says the topic is not allowed" grep -q "\"error\":\"topic 'other-$RUN_ID' is not allowed\"" <<<"$r"
r=$(spost "/topics/other-$RUN_ID" '{"records":[{"value":1}]}' application/vnd.kafka.json.v2+json "${AUTH1[@]}")
check_eq "REST Proxy topic outside the allow-list -> 403" 403 "$(status_of "$r")"
check_eq "REST Proxy 403 is 40301" 40301 "$(jget "$(body_of "$r")" 'j["error_code"]')"
r=$(spost "/topics/ev-$RUN_ID.a" '{"records":[{"value":{"glob":1}}]}' application/vnd.kafka.json.v2+json "${AUTH1[@]}")
check_eq "REST Proxy topic matching the glob -> 200" 200 "$(status_of "$r")"
r=$(spost /produce "{\"topic\":\"ev-$RUN_ID.a\",\"messages\":[{\"payload\":1}]}" application/json "${AUTH1[@]}")
check_eq "batch to a glob-matched topic -> 200" 200 "$(status_of "$r")"
m=$(curl -s "${CA[@]}" "${AUTH1[@]}" "$URL/metrics")
check "metrics count the 401s and 403s" bash -c "grep -q 'status=\"401\"' <<<'$m' && grep -q 'status=\"403\"' <<<'$m'"

# --auth-metrics=false leaves /metrics open (plain HTTP, tokens still on).
PRODUCER_N=2
start_producer --auth-token-file "$TMP/tokens" --auth-metrics=false
check_eq "--auth-metrics=false: /metrics open" 200 "$(http_status "$URL/metrics")"
check_eq "--auth-metrics=false: /produce still needs a token" 401 \
    "$(http_status "$URL/produce" -H 'Content-Type: application/json' -d '{}')"
# KGW_AUTH_TOKEN_FILE from the environment.
PRODUCER_N=3
KGW_AUTH_TOKEN_FILE=$TMP/tokens start_producer
check_eq "KGW_AUTH_TOKEN_FILE turns authentication on" 401 "$(http_status "$URL/metrics")"

# --- Secrets never logged: SASL password from the environment and a bearer
# token, at debug level with every librdkafka debug context. The mock cluster
# does not authenticate, so connection attempts fail: that is fine.
SECRET="pw-$RUN_ID-$RANDOM$RANDOM-secret"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
KGW_KAFKA_SASL_PASSWORD=$SECRET start_bg secrets "$P" --brokers "$BOOTSTRAP" --listen 127.0.0.1 \
    --port "$PORT" --kafka-security-protocol sasl_plaintext --kafka-sasl-mechanism PLAIN \
    --kafka-sasl-username u --auth-token-file "$TMP/tokens" --log-level debug -X debug=all
check "starts with SASL flags" wait_until 20 curl -sf -o /dev/null "$URL/health"
check "it logged connection attempts to the brokers" \
    wait_until 20 grep -qiE 'sasl|connect' "$TMP/secrets.err"
check "librdkafka's SASL configuration was logged (debug=all)" \
    wait_until 10 grep -qi 'sasl' "$TMP/secrets.err"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN1" "$URL/metrics"
curl -s -o /dev/null -H "Authorization: Bearer x$TOKEN2" "$URL/metrics"
sleep 1
check "log has many lines (debug)" test "$(wc -l <"$TMP/secrets.err")" -gt 20
check "the SASL password appears nowhere in stdout/stderr" \
    bash -c "! grep -qF -- '$SECRET' '$TMP/secrets.err' '$TMP/secrets.out'"
check "no token appears in stdout/stderr" \
    bash -c "! grep -qF -e '$TOKEN1' -e '$TOKEN2' '$TMP/secrets.err' '$TMP/secrets.out' '$TMP/producer.err' '$TMP/producer2.err'"
check "first producer still alive" alive "$PRODUCER_PID"
finish
