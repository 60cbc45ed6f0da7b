#!/usr/bin/env bash
# Outbound auth to the target, each against a real peer:
#  1. OAuth2 client credentials (tests/tools/token_server.py issues tokens
#     that live 2 s): every request carries "Bearer <token>", the token is
#     refreshed before it expires (never used after), the scope and the
#     client's Basic credentials reach the token server.
#  2. A 401 from the target costs one token refresh and one retry of that
#     request, however many requests were refused with the same token.
#  3. A token server outage (503) is an outage, not a record failure: waiting
#     attempts fail as transport errors, and every record arrives after it.
#  4. Mutual TLS (openssl-made CA, server and client certificates; receiver.py
#     requires a client certificate from the CA): delivered with
#     --client-cert/--client-key, refused without.
#     OAuth2 with an https token server (verified with --ca-file) and mTLS at once.
#  5. --basic-auth-file.
# No secret (client secret, token, Basic password) appears in the consumer's
# log at debug level with stats lines, in /proc/PID/cmdline or in /metrics.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

T=auth-$RUN_ID
start_devcluster --brokers 1 --topic "$T:1"
umask 077
CLIENT_SECRET="cs-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$CLIENT_SECRET" >"$TMP/client-secret"
SUFFIX=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')

# start_tokens NAME [token_server.py flags]: sets TOKEN_URL, TOKEN_LOG and OAUTH (the
# consumer's --oauth2-* flags for it).
start_tokens() {
    local name=$1
    shift
    TOKEN_LOG=$TMP/$name.jsonl
    start_bg "$name" python3 "$ROOT/tests/tools/token_server.py" --port-file "$TMP/$name.port" \
        --log "$TOKEN_LOG" --client-id kgw-test --client-secret-file "$TMP/client-secret" \
        --token-suffix "$SUFFIX" "$@"
    wait_until 10 test -s "$TMP/$name.port" || return 1
    TOKEN_PORT=$(cat "$TMP/$name.port")
    TOKEN_URL=${TOKEN_SCHEME:-http}://127.0.0.1:$TOKEN_PORT/token
    OAUTH=(--oauth2-token-url "$TOKEN_URL" --oauth2-client-id kgw-test
        --oauth2-client-secret-file "$TMP/client-secret")
}
exits_with() {
    local rc=0
    wait_until 60 bash -c "! kill -0 $2" || return 1
    wait "$2" || rc=$?
    [ "$rc" -eq "$1" ]
}
delivered() { [ "$(recv_ids "$RECV_LOG" | sort -u | wc -l)" -ge "$1" ]; }
tokens_issued() { [ "$(grep -c '"status": 200' "$TOKEN_LOG")" -ge "$1" ]; }
# no_leak NAME PID SECRET...: none of the secrets in NAME's log, PID's command line, its /metrics.
no_leak() {
    local name=$1 pid=$2 s
    shift 2
    tr '\0' ' ' <"/proc/$pid/cmdline" >"$TMP/$name.cmdline"
    curl -s --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" >"$TMP/$name.metrics"
    [ -s "$TMP/$name.metrics" ] || return 1
    for s in "$@"; do
        if grep -q -F -- "$s" "$TMP/$name.err" "$TMP/$name.cmdline" "$TMP/$name.metrics"; then
            grep -l -F -- "$s" "$TMP/$name.err" "$TMP/$name.cmdline" "$TMP/$name.metrics" >&2
            return 1
        fi
    done
}
DEBUG_FLAGS=(-log-level debug -stats-interval 0.3)

# 1. Bearer tokens, refreshed before they expire.
start_tokens tok --expires-in 2
start_receiver r-oauth
METRICS_PORT=$(free_port)
produce "$T" 3 a
start_consumer c-oauth -topic "$T" -group "g-oauth-$RUN_ID" "${OAUTH[@]}" \
    --oauth2-scope "events.write events.read" -metrics-port "$METRICS_PORT" "${DEBUG_FLAGS[@]}"
C1=$CONSUMER_PID
check "oauth2: the first 3 records delivered" wait_until 20 delivered 3
check "oauth2: tokens keep being fetched (4 in about 5 s)" wait_until 15 tokens_issued 4
produce "$T" 3 b
check "oauth2: 3 more delivered after refreshes" wait_until 20 delivered 6
check "oauth2: no secret leaks (log at debug, cmdline, /metrics)" \
    no_leak c-oauth "$C1" "$CLIENT_SECRET" "$SUFFIX"
# metric_at_least FILE SERIES N: the series' value in a /metrics capture is at least N.
metric_at_least() { awk -v m="$2" -v n="$3" '$1 == m { v = $2 } END { exit !(v + 0 >= n) }' "$1"; }
check "oauth2: /metrics counts the token fetches (4 or more ok)" \
    metric_at_least "$TMP/c-oauth.metrics" 'kgw_consumer_oauth2_token_fetches_total{result="ok"}' 4
stop_pid "$C1"
oauth_report() {
    python3 - "$RECV_LOG" "$TOKEN_LOG" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
toks = [json.loads(l) for l in open(sys.argv[2])]
issued = {t["token"]: t["t"] for t in toks if t["status"] == 200}
times = sorted(issued.values())
gaps = [b - a for a, b in zip(times, times[1:])]
bad = []
for r in reqs:
    auth = r["headers"].get("authorization", "")
    tok = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
    if tok not in issued:
        bad.append("unknown token %r" % auth)
    elif r["t"] >= issued[tok] + 2.0:
        bad.append("expired token used %.2f s after issue" % (r["t"] - issued[tok]))
print("requests", len(reqs), "bad", len(bad), *bad[:3])
print("refresh gaps in [1.0, 2.0):", all(1.0 <= g < 2.0 for g in gaps), len(gaps) >= 3)
print("token requests:", all(t["client_ok"] and t["grant_type"] == "client_credentials"
                             and t["scope"] == "events.write events.read" for t in toks))
PY
}
oauth_report >"$TMP/oauth.txt"
check_eq "oauth2: every request carries a valid, unexpired Bearer token" "requests 6 bad 0" \
    "$(sed -n 1p "$TMP/oauth.txt")"
check_eq "oauth2: each refresh came before expiry (1.6 s of 2 s), not in a loop" \
    "refresh gaps in [1.0, 2.0): True True" "$(sed -n 2p "$TMP/oauth.txt")"
check_eq "oauth2: Basic client credentials, grant_type and scope reached the token server" \
    "token requests: True" "$(sed -n 3p "$TMP/oauth.txt")"
note "captured (oauth2): $(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); h=r["headers"]; print({k: h[k] for k in ("authorization","webhook-id","content-type")})' "$RECV_LOG" | sed "s/$SUFFIX/<redacted>/")"

# 2. A 401: one refresh, one retry. The receiver refuses the first token, and
# answers after 0.2 s so that several requests are refused with it at once.
start_tokens tok401 --expires-in 60
start_receiver r-401 --reject-auth "Bearer tok-1.$SUFFIX" --delay 0.2
produce "$T" 4 c
start_consumer c-401 -topic "$T" -group "g-401-$RUN_ID" "${OAUTH[@]}" -max-messages 10 \
    -retries 0 -on-failure stop -ordering none
check "401: the run exits 0 (-retries 0 -on-failure stop: no attempt failed)" \
    exits_with 0 "$CONSUMER_PID"
r401() {
    python3 - "$RECV_LOG" "$TOKEN_LOG" "$SUFFIX" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
toks = [json.loads(l) for l in open(sys.argv[2])]
sfx = sys.argv[3]
refused = [r["headers"]["webhook-id"] for r in reqs if r["status"] == 401]
ok = [r for r in reqs if r["status"] == 200]
print("tokens", sum(1 for t in toks if t["status"] == 200),
      "refused", len(refused) > 1 and all(r["headers"]["authorization"] == "Bearer tok-1." + sfx
                                          for r in reqs if r["status"] == 401),
      "ok", len(ok), "unique", len({r["headers"]["webhook-id"] for r in ok}),
      "retried-with-tok-2", all(any(o["headers"]["webhook-id"] == i and
                                    o["headers"]["authorization"] == "Bearer tok-2." + sfx for o in ok)
                                for i in refused))
PY
}
check_eq "401: several refused at once, exactly one refresh; each retried once with the new token" \
    "tokens 2 refused True ok 10 unique 10 retried-with-tok-2 True" "$(r401)"
note "401: $(grep -c '"status": 401' "$RECV_LOG") requests refused with tok-1, one token fetched after them"
check "401: the refresh is logged" grep -q 'oauth2 token refused by the target (401)' "$TMP/c-401.err"

# 3. The token server is down (503) while records wait: their attempts fail as
# transport errors (retried, never a record failure), nothing goes out without
# a token, and once it answers again every record is delivered.
start_tokens tok503 --expires-in 60 --fail-first 1000000
start_receiver r-503
start_consumer c-503 -topic "$T" -group "g-503-$RUN_ID" "${OAUTH[@]}" -max-messages 10 \
    -retries 1000 -on-failure stop
check "outage: waiting attempts fail as transport errors naming the token server" \
    wait_until 30 grep -q 'delivery attempt failed .*status=0 .*OAuth2 token request failed: HTTP 503: temporarily_unavailable' "$TMP/c-503.err"
check_eq "outage: nothing was sent to the target meanwhile" 0 "$(recv_stat "$RECV_PORT" requests)"
curl -s --max-time 5 -X POST --data '{"fail_first": 0}' "http://127.0.0.1:$TOKEN_PORT/_control" >/dev/null
check "outage: once the token server answers, the run exits 0 (-on-failure stop: no record failed)" \
    exits_with 0 "$CONSUMER_PID"
check_eq "outage: every record delivered once, with a token" "10 10" \
    "$(recv_ids "$RECV_LOG" | sort -u | wc -l) $(grep -c '"authorization": "Bearer tok-1' "$RECV_LOG")"
check "outage: the token failures are logged with the backoff" \
    grep -q 'oauth2 token request failed.*HTTP 503: temporarily_unavailable" failures=2 retry_in_ms=500 deliveries=wait' "$TMP/c-503.err"

# 4. Mutual TLS.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kgw-test-ca \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
mkcert() { # NAME CN [extensions]
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$TMP/$1.key" -out "$TMP/$1.csr" 2>/dev/null
    openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
        -days 1 -out "$TMP/$1.pem" ${3:+-extfile <(printf '%s\n' "$3")} 2>/dev/null
}
mkcert server 127.0.0.1 "subjectAltName=IP:127.0.0.1"
mkcert client kgw-consumer "extendedKeyUsage=clientAuth"
start_receiver r-mtls --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" --tls-client-ca "$TMP/ca.pem"
MTLS_URL=https://127.0.0.1:$RECV_PORT/hook
RECV_URL=$MTLS_URL start_consumer c-mtls -topic "$T" -group "g-mtls-$RUN_ID" -max-messages 10 \
    --ca-file "$TMP/ca.pem" --client-cert "$TMP/client.pem" --client-key "$TMP/client.key"
check "mTLS: with the client certificate the run exits 0" exits_with 0 "$CONSUMER_PID"
check_eq "mTLS: every request came with the client certificate (CN kgw-consumer)" "10 10" \
    "$(recv_ids "$RECV_LOG" | sort -u | wc -l) $(grep -c '"client_cn": "kgw-consumer"' "$RECV_LOG")"
note "captured (mTLS): $(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print({"client_cn": r["client_cn"], "webhook-id": r["headers"]["webhook-id"]})' "$RECV_LOG")"
TOKEN_SCHEME=https start_tokens tok-tls --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key"
RECV_URL=$MTLS_URL start_consumer c-mtls-oauth -topic "$T" -group "g-mtls-oauth-$RUN_ID" -max-messages 10 \
    --ca-file "$TMP/ca.pem" --client-cert "$TMP/client.pem" --client-key "$TMP/client.key" "${OAUTH[@]}"
check "mTLS + OAuth2 from an https token server (--ca-file): the run exits 0" exits_with 0 "$CONSUMER_PID"
check_eq "mTLS + OAuth2: 10 more requests, each with the certificate and a Bearer token" "10" \
    "$(grep '"client_cn": "kgw-consumer"' "$RECV_LOG" | grep -c '"authorization": "Bearer tok-1\.')"
# A refused handshake says nothing about the record: the breaker holds it.
RECV_URL=$MTLS_URL start_consumer c-nocert -topic "$T" -group "g-nocert-$RUN_ID" \
    --ca-file "$TMP/ca.pem" -retries 1 -on-failure stop
nocert_open() { grep -q 'circuit breaker open' "$TMP/c-nocert.err"; }
check "mTLS: without a client certificate the handshake fails and the breaker holds the records" \
    wait_until 30 nocert_open
check_eq "mTLS: and nothing reached the receiver" 20 "$(wc -l <"$RECV_LOG")"
check_eq "mTLS: nothing committed" 0 "$(committed_sum "g-nocert-$RUN_ID" "$T" 1)"
stop_pid "$CONSUMER_PID"
out=$("$CONSUMER" -broker b -topic t -target-url "$MTLS_URL" --client-cert "$TMP/nope.pem" 2>&1) && rc=0 || rc=$?
check "mTLS: an unreadable --client-cert stops startup, naming the flag" \
    bash -c "[ $rc = 1 ] && grep -q -- '--client-cert: cannot read' <<<'$out'"

# 5. Basic auth.
BASIC_PASS="pw-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'kgw-user:%s\n' "$BASIC_PASS" >"$TMP/basic"
start_receiver r-basic
METRICS_PORT=$(free_port)
start_consumer c-basic -topic "$T" -group "g-basic-$RUN_ID" --basic-auth-file "$TMP/basic" \
    -metrics-port "$METRICS_PORT" "${DEBUG_FLAGS[@]}"
check "basic: 10 records delivered" wait_until 20 delivered 10
want="Basic $(printf 'kgw-user:%s' "$BASIC_PASS" | base64 -w0)"
check_eq "basic: every request carries the user:password of the file" 10 \
    "$(grep -c -F "\"authorization\": \"$want\"" "$RECV_LOG")"
check "basic: no secret leaks (log at debug, cmdline, /metrics)" \
    no_leak c-basic "$CONSUMER_PID" "$BASIC_PASS" "$(printf 'kgw-user:%s' "$BASIC_PASS" | base64 -w0)"
note "captured (basic): authorization: Basic <base64 of kgw-user:<redacted>>"
stop_pid "$CONSUMER_PID"

# Misuse: exit 2, one line naming the flag.
misuse() {
    local rc=0 out
    out=$("$CONSUMER" -broker b -topic t -target-url http://127.0.0.1:1/ "$@" 2>&1) || rc=$?
    [ "$rc" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q -- "$1" <<<"$out"
}
check "misuse: --oauth2-token-url without a client id" misuse --oauth2-token-url "$TOKEN_URL"
check "misuse: --oauth2-client-id alone" misuse --oauth2-client-id x
check "misuse: --basic-auth-file with oauth2" misuse --basic-auth-file "$TMP/basic" "${OAUTH[@]}"
check "misuse: -H Authorization with --basic-auth-file" misuse -H 'Authorization: x' --basic-auth-file "$TMP/basic"
check "misuse: --client-key without --client-cert" misuse --client-key "$TMP/client.key"
finish
