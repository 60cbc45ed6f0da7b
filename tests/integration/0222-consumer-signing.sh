#!/usr/bin/env bash
# Signing key rotation: --signing-secret-file with several secrets (one per
# line) -> one v1 signature per secret in webhook-signature, space-separated;
# the official Standard Webhooks library (npm "standardwebhooks", pinned,
# cached under $KGW_NPM_CACHE) verifies every request with each secret alone,
# and a secret kgw does not hold verifies none. A bad line stops startup, naming file:line.
# ed25519 (v1a): --signing-key-file with a key from `openssl genpkey -algorithm
# ed25519` adds a v1a signature (after the v1 ones) or sends it alone; Node's
# crypto.verify checks it with the public key from `openssl pkey -pubout`
# (tests/tools/v1a_verify.js: standardwebhooks 1.1.1 verifies v1 only and skips
# v1a, which the v1 checks below also show).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

SWH_VERSION=1.1.1
SWH_DIR=$(npm_package standardwebhooks "$SWH_VERSION")
check "standardwebhooks $SWH_VERSION installed" test -d "$SWH_DIR/node_modules/standardwebhooks"

S1="whsec_$(head -c 24 /dev/urandom | base64)"
S2="whsec_$(head -c 32 /dev/urandom | base64)"
OTHER="whsec_$(head -c 24 /dev/urandom | base64)"
printf '%s\n\n%s\n' "$S1" "$S2" >"$TMP/secrets"
printf '%s\nnot-base64!\n' "$S1" >"$TMP/bad"
out=$("$CONSUMER" -broker b -topic t -target-url http://127.0.0.1:1/ --signing-secret-file "$TMP/bad" 2>&1) && rc=0 || rc=$?
check_eq "a bad secret line stops startup (exit 1, as a bad single secret does)" 1 "$rc"
check "the error names file:line, not the secret" bash -c "grep -q '$TMP/bad:2' <<<'$out' && ! grep -q -- '${S1#whsec_}' <<<'$out'"

T=sign-$RUN_ID
start_devcluster --brokers 1 --topic "$T:1"
produce "$T" 5
start_receiver recv
start_consumer sig -topic "$T" -group "g-$RUN_ID" -max-messages 5 --signing-secret-file "$TMP/secrets"
check "consumer exits after 5" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
two_sigs() { python3 -c 'import json,sys; print(all(len(json.loads(l)["headers"]["webhook-signature"].split(" ")) == 2 for l in open(sys.argv[1])))' "$RECV_LOG"; }
check_eq "two space-separated signatures per request" True "$(two_sigs)"
NODE_PATH=$SWH_DIR/node_modules node "$ROOT/tests/tools/swh_verify.js" "$RECV_LOG" "$S1" "$S2" "$OTHER" \
    >"$TMP/verify.txt" 2>"$TMP/verify.err" || true
check_eq "standardwebhooks verifies all 5 with each held secret, none with another" \
    "$(printf '0 5 5\n1 5 5\n2 0 5')" "$(cat "$TMP/verify.txt")"
check "no secret in the consumer's log" bash -c "! grep -q -e '${S1#whsec_}' -e '${S2#whsec_}' '$TMP/sig.err'"
note "captured (v1): $(head -1 "$RECV_LOG" | python3 -c 'import json,sys; r=json.load(sys.stdin); print({k: r["headers"][k] for k in ("webhook-id","webhook-timestamp","webhook-signature")})')"

# ed25519 (v1a), beside the two HMAC secrets, then alone.
openssl genpkey -algorithm ed25519 -out "$TMP/ed.pem" 2>/dev/null
openssl pkey -in "$TMP/ed.pem" -pubout -out "$TMP/ed.pub"
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -out "$TMP/other.pub"
start_receiver recv-ed
start_consumer sig-ed -topic "$T" -group "g-ed-$RUN_ID" -max-messages 5 \
    --signing-secret-file "$TMP/secrets" --signing-key-file "$TMP/ed.pem"
check "v1+v1a: consumer exits after 5" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
versions() { python3 -c 'import json,sys; print(sorted({" ".join(s.split(",")[0] for s in json.loads(l)["headers"]["webhook-signature"].split(" ")) for l in open(sys.argv[1])}))' "$RECV_LOG"; }
check_eq "v1+v1a: each request carries v1 v1 v1a" "['v1 v1 v1a']" "$(versions)"
node "$ROOT/tests/tools/v1a_verify.js" "$RECV_LOG" "$TMP/ed.pub" "$TMP/other.pub" >"$TMP/v1a.txt" 2>"$TMP/v1a.err" || true
check_eq "v1a: Node crypto.verify accepts all 5 with the public key, none with another" \
    "$(printf '0 5 5\n1 0 5')" "$(cat "$TMP/v1a.txt")"
NODE_PATH=$SWH_DIR/node_modules node "$ROOT/tests/tools/swh_verify.js" "$RECV_LOG" "$S1" "$S2" \
    >"$TMP/verify-ed.txt" 2>/dev/null || true
check_eq "standardwebhooks still verifies the v1 signatures beside a v1a" "$(printf '0 5 5\n1 5 5')" \
    "$(cat "$TMP/verify-ed.txt")"
pub_raw=$(openssl pkey -in "$TMP/ed.pem" -pubout -outform DER | tail -c 32 | base64)
check "the log names the public key (whpk_, as openssl derives it)" \
    grep -q -F "signing with ed25519 (v1a) public_key=whpk_$pub_raw" "$TMP/sig-ed.err"
check "no private key material in the log" bash -c "! grep -q -F '$(sed -n 2p "$TMP/ed.pem")' '$TMP/sig-ed.err'"
note "captured (v1+v1a): $(head -1 "$RECV_LOG" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["headers"]["webhook-signature"])')"

start_receiver recv-v1a
start_consumer sig-v1a -topic "$T" -group "g-v1a-$RUN_ID" -max-messages 5 --signing-key-file "$TMP/ed.pem"
check "v1a alone: consumer exits after 5" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
check_eq "v1a alone: one v1a signature per request" "['v1a']" "$(versions)"
node "$ROOT/tests/tools/v1a_verify.js" "$RECV_LOG" "$TMP/ed.pub" >"$TMP/v1a-only.txt" 2>/dev/null || true
check_eq "v1a alone: all 5 verify" "0 5 5" "$(cat "$TMP/v1a-only.txt")"
NODE_PATH=$SWH_DIR/node_modules node "$ROOT/tests/tools/swh_verify.js" "$RECV_LOG" "$S1" \
    >"$TMP/verify-v1a.txt" 2>/dev/null || true
check_eq "standardwebhooks (v1 only) finds no signature it knows in a v1a-only request" "0 0 5" \
    "$(cat "$TMP/verify-v1a.txt")"

openssl genpkey -algorithm x25519 -out "$TMP/x25519.pem" 2>/dev/null
out=$("$CONSUMER" -broker b -topic t -target-url http://127.0.0.1:1/ --signing-key-file "$TMP/x25519.pem" 2>&1) && rc=0 || rc=$?
check "a key that is not ed25519 stops startup (exit 1), naming flag and file" \
    bash -c "[ $rc = 1 ] && grep -q -F -- '--signing-key-file: $TMP/x25519.pem: signing key: not an ed25519 key' <<<'$out'"
finish
