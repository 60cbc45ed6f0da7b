#!/usr/bin/env bash
# Batches (-batch-max, -batch-bytes, -batch-linger, -batch-format): a JSON
# array (or NDJSON) of envelopes per request, holding one partition's
# consecutive records in order; limits by count and bytes; a partial batch
# goes when its linger passed; a batch the target refuses (400) is split
# until the one marked record stands alone and is dead-lettered, the rest
# delivered; offsets committed per record; the webhook-id
# (<topic>-<partition>-<first>-<last>) is stable across a retry; the
# official Standard Webhooks library (npm "standardwebhooks") verifies the
# signature over the batch body. Checks: tests/tools/batch_check.py.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

misuse() {
    local want=$1 out rc=0
    shift
    out=$("$CONSUMER" -broker b -topic t -target-url http://127.0.0.1:1/ "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$want" <<<"$out"
}
check "-format value with -batch-max exits 2 naming --format" misuse "--format" -batch-max 10 -format value
check "bad -batch-format exits 2" misuse "--batch-format" -batch-max 10 -batch-format xml
check "ndjson CloudEvents exits 2" misuse "--batch-format" -batch-max 10 -format cloudevents -batch-format ndjson
check "-forward-headers with -batch-max exits 2" misuse "--forward-headers" -batch-max 10 -forward-headers '*'
check "{offset} in the URL of a batch exits 2" misuse "--target-url" -batch-max 10 -target-url 'http://h/{offset}'
for flag in -batch-format:ndjson -batch-linger:50 -batch-bytes:4096; do
    check "${flag%%:*} without -batch-max exits 2 naming it" misuse "-${flag%%:*}: needs --batch-max" \
        "${flag%%:*}" "${flag#*:}"
done

SWH_VERSION=1.1.1
SWH_DIR=$(npm_package standardwebhooks "$SWH_VERSION")
SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
OTHER="whsec_$(head -c 24 /dev/urandom | base64)"
echo "$SECRET" >"$TMP/secret"

T=batch-$RUN_ID
L=linger-$RUN_ID
S=split-$RUN_ID
D=dlq-$RUN_ID
start_devcluster --brokers 1 --topic "$T:2" --topic "$L:1" --topic "$S:1" --topic "$D:1"
N=40
produce "$T" "$N"
: >"$TMP/checks"
checks() { python3 "$ROOT/tests/tools/batch_check.py" "$@" >>"$TMP/checks" || echo "not ok - batch_check.py $1 ran" >>"$TMP/checks"; }

# Count: batches of at most 5, per partition in order; the first answer is
# a 503, retried; signed.
start_receiver recv --fail-first 1 --fail-status 503
start_consumer count -topic "$T" -group "g1-$RUN_ID" -batch-max 5 -max-messages "$N" \
    --signing-secret-file "$TMP/secret"
check "count: consumer exits after $N" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
checks count "$RECV_LOG" 5 "$N"
check_eq "count: every record committed" "$N" "$(committed_sum "g1-$RUN_ID" "$T" 2)"
reqs=$(grep -c . "$RECV_LOG")
NODE_PATH=$SWH_DIR/node_modules node "$ROOT/tests/tools/swh_verify.js" "$RECV_LOG" "$SECRET" "$OTHER" \
    >"$TMP/verify.txt" 2>"$TMP/verify.err" || true
check_eq "standardwebhooks verifies every batch request, none with another secret" \
    "$(printf '0 %s %s\n1 0 %s' "$reqs" "$reqs" "$reqs")" "$(cat "$TMP/verify.txt")"
cp "$RECV_LOG" "$TMP/count.jsonl"

# Bytes: bodies within 600 bytes (an envelope here is ~150); the URL built
# from {topic} and {partition}, which every record of a batch shares.
start_receiver recvb
RECV_URL="$RECV_URL/{topic}/{partition}"
start_consumer bytes -topic "$T" -group "g2-$RUN_ID" -batch-max 100 -batch-bytes 600 -max-messages "$N"
check "bytes: consumer exits after $N" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
checks bytes "$RECV_LOG" 600

# Linger and NDJSON: three records produced one by one go in one request,
# which waited for the linger (2 s) rather than going at once.
start_receiver recvl
start_consumer linger -topic "$L" -group "g3-$RUN_ID" -batch-max 100 -batch-linger 2000 \
    -batch-format ndjson -max-messages 3
for i in 1 2 3; do printf 'k%d\t{"n":%d}\n' "$i" "$i" | kcat -P -b "$BOOTSTRAP" -t "$L" -K $'\t'; done
produced=$(date +%s.%N)
check "linger: consumer exits after 3" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
checks ndjson "$RECV_LOG" 3
check "linger: the request waited (>= 1 s after the last record was produced)" \
    python3 -c 'import json,sys; sys.exit(json.loads(open(sys.argv[1]).readline())["t"] - float(sys.argv[2]) < 1)' \
    "$RECV_LOG" "$produced"

# CloudEvents: the batched content mode, parsed by the CloudEvents SDK.
CE_DIR=$(npm_package cloudevents 10.0.0)
: >"$TMP/ce.jsonl"
start_bg ce env NODE_PATH="$CE_DIR/node_modules" node "$ROOT/tests/tools/ce_receiver.js" "$TMP/ce.port" "$TMP/ce.jsonl"
check "ce receiver listening" wait_until 10 test -s "$TMP/ce.port"
RECV_URL=http://127.0.0.1:$(cat "$TMP/ce.port")/ce
start_consumer ce -topic "$L" -group "g5-$RUN_ID" -batch-max 10 -batch-linger 1000 -format cloudevents -max-messages 3
check "cloudevents: consumer exits after 3" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
check_eq "cloudevents: application/cloudevents-batch+json, 3 events the SDK validates, ids per record" \
    "application/cloudevents-batch+json $L-0-0,$L-0-1,$L-0-2" \
    "$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(" ".join(sorted({x["headers"]["content-type"] for x in r})), ",".join(e["id"] for x in r for e in x.get("events", []))); [print(x["error"], file=sys.stderr) for x in r if "error" in x]' "$TMP/ce.jsonl")"

# Split: 8 records, the one at offset 5 marked; the receiver answers 400 to
# any body holding it.
for i in 0 1 2 3 4 5 6 7; do
    if [ "$i" = 5 ]; then echo "k$i	{\"n\":$i,\"mark\":\"POISON\"}"; else echo "k$i	{\"n\":$i}"; fi
done | kcat -P -b "$BOOTSTRAP" -t "$S" -K $'\t'
start_receiver recvs --fail-match POISON
start_consumer split -topic "$S" -group "g4-$RUN_ID" -batch-max 8 -batch-linger 2000 \
    -dlq-topic "$D" -max-messages 8
check "split: consumer exits after 8" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
checks split "$RECV_LOG" 8 POISON
dlq=$(kcat -C -b "$BOOTSTRAP" -t "$D" -e -q -f '%o %s\n')
check_eq "split: only the marked record dead-lettered" '0 {"n":5,"mark":"POISON"}' "$dlq"
check_eq "split: committed past every record" "0 8" "$(committed "g4-$RUN_ID" "$S" 1)"

cat "$TMP/checks"
while read -r line; do
    case $line in "not ok - "*) FAILS=$((FAILS + 1)) ;; esac
done <"$TMP/checks"
python3 - "$TMP/count.jsonl" <<'PY'
import json, sys
r = max((json.loads(l) for l in open(sys.argv[1])), key=lambda x: len(x["body"]))
h = {k: r["headers"][k] for k in ("content-type", "content-length", "webhook-id", "webhook-timestamp", "webhook-signature")}
body = json.loads(r["body"])
print("# captured batch request: POST %s %s body (%d records): [%s, ..., %s]" % (r["path"], json.dumps(h), len(body), json.dumps(body[0]), json.dumps(body[-1])))
PY
finish
