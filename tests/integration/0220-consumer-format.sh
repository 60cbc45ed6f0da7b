#!/usr/bin/env bash
# -format value and -format cloudevents (binary and structured): the value
# shape's body is the record's value bytes exactly, its Content-Type from a
# content-type header or the value, its metadata in kafka-* headers (a key
# that is not text in kafka-key-base64); CloudEvents requests are parsed and
# validated by the real CloudEvents SDK (npm "cloudevents", pinned, cached
# under $KGW_NPM_CACHE) in tests/tools/ce_receiver.js. The default envelope
# is covered by 0201.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

CE_VERSION=10.0.0
CE_DIR=$(npm_package cloudevents "$CE_VERSION")
check "CloudEvents SDK $CE_VERSION installed" test -d "$CE_DIR/node_modules/cloudevents"

misuse() {
    local want=$1 out rc=0
    shift
    out=$("$CONSUMER" -broker b -topic t -target-url http://127.0.0.1:1/ "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$want" <<<"$out"
}
check "bad -format exits 2" misuse "--format" -format xml
check "bad -ce-mode exits 2" misuse "--ce-mode" -format cloudevents -ce-mode both

T=format-$RUN_ID
start_devcluster --brokers 1 --topic "$T:1"
printf 'k1\t{"n":1}\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t'
printf 'k2\tplain text\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t' -H content-type=text/plain -H ce-type=com.example.custom
printf 'k\xff\x01\t\x00\xffbin\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t'
N=3

# value
start_receiver recv
start_consumer value -topic "$T" -group "g1-$RUN_ID" -format value -max-messages "$N"
check "value: consumer exits after $N" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
python3 - "$RECV_LOG" "$T" >"$TMP/value.check" <<'PY' || true
import json, sys, base64
recs = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    recs[r["headers"].get("kafka-offset")] = r
t = sys.argv[2]
ok = lambda d, c: print(("ok - " if c else "not ok - ") + "value: " + d)
a, b, c = recs.get("0"), recs.get("1"), recs.get("2")
ok("3 requests", len(recs) == 3 and a and b and c)
h = a["headers"]
ok("JSON value as body, application/json", a["body"] == '{"n":1}' and h["content-type"] == "application/json")
ok("kafka-topic/partition/offset/key/timestamp headers",
   h["kafka-topic"] == t and h["kafka-partition"] == "0" and h["kafka-key"] == "k1"
   and h["kafka-timestamp"].endswith("Z") and h["webhook-id"] == "%s-0-0" % t)
ok("content-type header of the record wins", b["headers"]["content-type"] == "text/plain" and b["body"] == "plain text")
ok("binary value: octet-stream; key not text -> kafka-key-base64",
   c["headers"]["content-type"] == "application/octet-stream"
   and base64.b64decode(c["headers"]["kafka-key-base64"]) == b"k\xff\x01" and "kafka-key" not in c["headers"])
print("# captured value request: " + json.dumps(a))
PY

# cloudevents binary and structured, through the SDK
for mode in binary structured; do
    : >"$TMP/ce-$mode.jsonl"
    start_bg "ce-$mode" env NODE_PATH="$CE_DIR/node_modules" node "$ROOT/tests/tools/ce_receiver.js" \
        "$TMP/ce-$mode.port" "$TMP/ce-$mode.jsonl"
    check "ce receiver ($mode) listening" wait_until 10 test -s "$TMP/ce-$mode.port"
    RECV_URL=http://127.0.0.1:$(cat "$TMP/ce-$mode.port")/ce
    start_consumer "c-$mode" -topic "$T" -group "g-$mode-$RUN_ID" -format cloudevents -ce-mode "$mode" \
        -ce-type org.kgw.test -max-messages "$N"
    check "cloudevents $mode: consumer exits after $N" wait_until 30 bash -c "! kill -0 $CONSUMER_PID"
    python3 - "$TMP/ce-$mode.jsonl" "$T" "$mode" >>"$TMP/value.check" <<'PY' || true
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
t, mode = sys.argv[2], sys.argv[3]
ok = lambda d, c: print(("ok - " if c else "not ok - ") + "cloudevents %s: " % mode + d)
ok("3 requests, every one a valid CloudEvent for the SDK (%s)" % [r.get("error") for r in recs if "error" in r],
   len(recs) == 3 and all("event" in r for r in recs))
ev = {r["event"]["id"]: r["event"] for r in recs if "event" in r}
e0, e1, e2 = ev.get("%s-0-0" % t), ev.get("%s-0-1" % t), ev.get("%s-0-2" % t)
ok("id = webhook-id, source kafka://topic/partition, specversion 1.0",
   e0 and e0["source"] == "kafka://%s/0" % t and e0["specversion"] == "1.0"
   and all(r["headers"]["webhook-id"] == r["event"]["id"] for r in recs if "event" in r))
ok("type from -ce-type, or the ce-type record header",
   e0 and e1 and e0["type"] == "org.kgw.test" and e1["type"] == "com.example.custom")
ok("subject = key, time set", e0 and e0["subject"] == "k1" and e0["time"].endswith("Z"))
ok("JSON data", e0 and e0["data"] == {"n": 1})
ok("text data with its content type", e1 and e1["datacontenttype"] == "text/plain")
ok("a key that is not UTF-8: no subject", e2 and "subject" not in e2)
if mode == "structured":
    ok("Content-Type application/cloudevents+json", all(r["headers"]["content-type"] == "application/cloudevents+json" for r in recs))
else:
    ok("ce-* headers", all(r["headers"].get("ce-specversion") == "1.0" for r in recs))
print("# captured %s request: %s" % (mode, json.dumps({k: recs[0][k] for k in ("headers", "body")})))
PY
done
cat "$TMP/value.check"
while read -r line; do
    case $line in "not ok - "*) FAILS=$((FAILS + 1)) ;; esac
done <"$TMP/value.check"
finish
