#!/usr/bin/env bash
# kgw-consumer ordering: -ordering partition keeps each partition's records in
# offset order, -ordering key keeps each key's; both run more than one
# delivery at once when the ordering allows it, and never more than -workers.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

start_devcluster --brokers 3 --topic "ordp-$RUN_ID:4" --topic "ordk-$RUN_ID:1" --topic "ordn-$RUN_ID:2"

# analyse LOG MODE WORKERS: prints "ok - ..." lines; MODE partition|key|none.
analyse() {
    python3 - "$@" <<'PY'
import json, sys
log, mode, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = [json.loads(l) for l in open(log)]
ok = lambda d, c: print(("ok - " if c else "not ok - ") + d)
seen, inorder = {}, True
for r in recs:
    b = json.loads(r["body"])
    lane = b["partition"] if mode == "partition" else (b["partition"], b["key"])
    if lane in seen and seen[lane] > b["offset"]:
        inorder = False
    seen[lane] = b["offset"]
mx = max(r["inflight"] for r in recs)
if mode != "none":
    ok("%s: order held in every %s (%d lanes)" % (mode, mode, len(seen)), inorder)
ok("%s: more than one delivery in flight (max %d)" % (mode, mx), mx > 1)
ok("%s: never more than -workers %d in flight (max %d)" % (mode, workers, mx), mx <= workers)
ok("%s: %d records, each once" % (mode, len(recs)), len({r["headers"]["webhook-id"] for r in recs}) == len(recs))
PY
}

run_mode() {
    local mode=$1 topic=$2 n=$3 workers=$4
    start_receiver "recv-$mode" --delay 0.02
    start_consumer "cons-$mode" -topic "$topic" -group "g-$mode-$RUN_ID" -ordering "$mode" \
        -workers "$workers" -max-messages "$n"
    if wait_until 90 bash -c "! kill -0 $CONSUMER_PID"; then ok "$mode: consumer finished"; else not_ok "$mode: consumer finished"; fi
    analyse "$RECV_LOG" "$mode" "$workers" | tee "$TMP/$mode.check"
    FAILS=$((FAILS + $(grep -c '^not ok' "$TMP/$mode.check" || true)))
}

# Partition: 4 partitions, 8 workers -> at most 4 in flight, order per partition.
produce "ordp-$RUN_ID" 200
run_mode partition "ordp-$RUN_ID" 200 8

# Key: one partition, 10 keys interleaved; order per key, parallel across keys.
seq 1 200 | awk '{ printf "key%d\t{\"i\":%d}\n", $1 % 10, $1 }' |
    kcat -P -b "$BOOTSTRAP" -t "ordk-$RUN_ID" -K $'\t'
run_mode key "ordk-$RUN_ID" 200 5

# None: as parallel as -workers allows.
produce "ordn-$RUN_ID" 200
run_mode none "ordn-$RUN_ID" 200 6
finish
