#!/usr/bin/env bash
# kgw-consumer security: requests signed by the Standard Webhooks scheme and
# verified by an independent implementation (Python's hmac, in receiver.py);
# an https target is verified by default (a self-signed certificate is refused
# and nothing is committed), accepted with --ca-file, and with --insecure
# only after a warning; secrets (signing secret, SASL password) never appear
# in the logs, even at debug level with librdkafka debugging on.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

if ! command -v openssl >/dev/null; then
    echo "not ok - openssl is needed to make a test certificate (add it to bin/deps.sh)"
    exit 1
fi

T=sec-$RUN_ID
N=20
start_devcluster --brokers 1 --topic "$T:2"
produce "$T" "$N"

SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
umask 077
printf '%s\n' "$SECRET" >"$TMP/secret"

# exits_with RC PID: waits for PID to exit with status RC.
exits_with() {
    local rc=0
    wait_until 60 bash -c "! kill -0 $2" || return 1
    wait "$2" || rc=$?
    [ "$rc" -eq "$1" ]
}

# 1. Signatures, the secret from a file, checked by receiver.py --verify-secret.
start_receiver sig --verify-secret "$SECRET"
start_consumer c-sig -topic "$T" -group "g-sig-$RUN_ID" -max-messages "$N" \
    --signing-secret-file "$TMP/secret"
check "signed run exits 0" exits_with 0 "$CONSUMER_PID"
sig_counts() {
    python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
print(len(recs), sum(1 for r in recs if r.get("sig_ok") is True))' "$1"
}
check_eq "every request carries a valid webhook-signature" "$N $N" "$(sig_counts "$RECV_LOG")"
check "the signature header is v1,<base64>" grep -q '"webhook-signature": "v1,[A-Za-z0-9+/]*="' "$RECV_LOG"

# The same secret from the environment; a wrong one is detected by the receiver.
start_receiver sig-env --verify-secret "$SECRET"
KGW_SIGNING_SECRET=$SECRET start_consumer c-sig-env -topic "$T" -group "g-env-$RUN_ID" \
    -max-messages "$N"
check "signed run (KGW_SIGNING_SECRET) exits 0" exits_with 0 "$CONSUMER_PID"
check_eq "env secret: every signature valid" "$N $N" "$(sig_counts "$RECV_LOG")"
start_receiver sig-wrong --verify-secret "whsec_$(head -c 24 /dev/urandom | base64)"
start_consumer c-sig-wrong -topic "$T" -group "g-wrong-$RUN_ID" -max-messages "$N" \
    --signing-secret-file "$TMP/secret"
check "run against a receiver with another secret exits 0" exits_with 0 "$CONSUMER_PID"
check_eq "another secret: no signature verifies" "$N 0" "$(sig_counts "$RECV_LOG")"

printf 'whsec_not base64!\n' >"$TMP/bad-secret"
rc=0
"$CONSUMER" -broker "$BOOTSTRAP" -topic "$T" -target-url http://127.0.0.1:1/x \
    --signing-secret-file "$TMP/bad-secret" 2>"$TMP/bad.err" || rc=$?
check_eq "a malformed secret stops startup" 1 "$rc"
check "its error names the flag, not the secret" \
    bash -c "grep -q 'signing secret' '$TMP/bad.err' && ! grep -q 'not base64!' '$TMP/bad.err'"

# 2. TLS to the target: a self-signed certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
start_receiver tls --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
HTTPS_URL=https://127.0.0.1:$RECV_PORT/hook

RECV_URL=$HTTPS_URL start_consumer c-tls-noca -topic "$T" -group "g-noca-$RUN_ID" \
    -retries 2 -on-failure stop -commit-interval 100
noca_open() { grep -q 'circuit breaker open' "$TMP/c-tls-noca.err"; }
check "without --ca-file the self-signed target is refused: the breaker holds the records" \
    wait_until 30 noca_open
check "the refusal is a certificate error, retried first" \
    bash -c "grep -q 'attempt=2' '$TMP/c-tls-noca.err' && grep -qi 'certificate' '$TMP/c-tls-noca.err'"
tls_requests() {
    curl -sk --max-time 5 "https://127.0.0.1:$RECV_PORT/_stats" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'
}
check_eq "nothing reached the receiver" 0 "$(tls_requests)"
check_eq "nothing committed" 0 "$(committed_sum "g-noca-$RUN_ID" "$T" 2)"
stop_pid "$CONSUMER_PID"

RECV_URL=$HTTPS_URL start_consumer c-tls-ca -topic "$T" -group "g-ca-$RUN_ID" \
    -max-messages "$N" --ca-file "$TMP/cert.pem"
check "with --ca-file the https run exits 0" exits_with 0 "$CONSUMER_PID"
check_eq "with --ca-file every record delivered over TLS" "$N" "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"

RECV_URL=$HTTPS_URL start_consumer c-tls-insecure -topic "$T" -group "g-insec-$RUN_ID" \
    -max-messages "$N" --insecure
check "with --insecure the https run exits 0" exits_with 0 "$CONSUMER_PID"
check "--insecure is logged as a warning" \
    grep -q 'WARN.*TLS verification of the target is OFF' "$TMP/c-tls-insecure.err"
check_eq "with --insecure every record delivered" "$N" \
    "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"

# 3. Secrets never logged: debug level, librdkafka debugging, a SASL password
# and the signing secret in the environment.
PASSWORD="pw-$RANDOM-$RANDOM-secret"
start_receiver quiet
KGW_SIGNING_SECRET=$SECRET KGW_KAFKA_SASL_PASSWORD=$PASSWORD start_consumer c-secrets \
    -topic "$T" -group "g-secrets-$RUN_ID" --log-level debug -X debug=cgrp,topic,security \
    --kafka-security-protocol sasl_plaintext --kafka-sasl-mechanism PLAIN \
    --kafka-sasl-username kgw
debug_lines() { [ "$(wc -l <"$TMP/c-secrets.err")" -gt 20 ]; }
check "debug logging is on (librdkafka lines logged)" wait_until 20 debug_lines
wait_until 3 false || true # a few more seconds of connection attempts to log
stop_pid "$CONSUMER_PID"
KEY_B64=${SECRET#whsec_}
check "the SASL password is not in the logs" bash -c "! grep -qF -- '$PASSWORD' '$TMP/c-secrets.err'"
check "the signing secret is not in the logs" bash -c "! grep -qF -- '$KEY_B64' '$TMP/c-secrets.err'"
note "$(wc -l <"$TMP/c-secrets.err") log lines checked"
finish
