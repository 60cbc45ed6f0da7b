#!/usr/bin/env bash
# Signing key rotation: --signing-secret-file with several secrets (one per
# line) -> one v1 signature per secret in webhook-signature, space-separated;
# the official Standard Webhooks library (npm "standardwebhooks", pinned,
# cached under $KGW_NPM_CACHE) verifies every request with each secret alone,
# and a secret kgw does not hold verifies none. A bad line stops startup, naming file:line.
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
note "captured: $(head -1 "$RECV_LOG" | python3 -c 'import json,sys; r=json.load(sys.stdin); print({k: r["headers"][k] for k in ("webhook-id","webhook-timestamp","webhook-signature")})')"
finish
