#!/usr/bin/env bash
# kgw-consumer basics: misuse exits 2 with one line naming the flag; every
# record reaches the target with the documented body and headers (JSON values
# verbatim, others wrapped, invalid UTF-8 replaced and kept in base64);
# keep-alive connections are reused; after a clean exit the committed offsets
# equal the end of the processed records.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

misuse() {
    local want=$1
    shift
    local out rc=0
    out=$(env -u KGW_BROKERS "$CONSUMER" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && grep -q -- "$want" <<<"$out"
}
U=http://127.0.0.1:1/x
check "missing -broker exits 2 naming --brokers" misuse "--brokers" -topic t -target-url "$U"
check "missing -topic exits 2" misuse "--topic" -broker b -target-url "$U"
check "missing -target-url exits 2" misuse "--target-url" -broker b -topic t
check "unparsable URL exits 2" misuse "--target-url" -broker b -topic t -target-url "not a url"
check "bad number exits 2 naming -workers" misuse "--workers" -broker b -topic t -target-url "$U" -workers x
check "bad -ordering exits 2" misuse "--ordering" -broker b -topic t -target-url "$U" -ordering sideways
check "-on-failure dlq without -dlq-topic exits 2" misuse "dlq-topic" -broker b -topic t -target-url "$U" -on-failure dlq
check "unknown flag exits 2" misuse "--nope" -broker b -topic t -target-url "$U" --nope 1
check "-X nonsense=1 exits 2 quoting librdkafka" misuse 'nonsense=1: No such configuration property' -broker b -topic t -target-url "$U" -X nonsense=1
check "--help lists every flag" bash -c "'$CONSUMER' --help | grep -q -- '--max-messages' && '$CONSUMER' --help | grep -q -- '--dlq-topic'"
check "--version exits 0" bash -c "'$CONSUMER' --version | grep -q 'kgw-consumer 0'"

T=basic-$RUN_ID
G=grp-$RUN_ID
start_devcluster --brokers 3 --topic "$T:3"
start_receiver recv

# 60 JSON records with keys, plus special ones on partition 0.
produce "$T" 60
printf 'plain text, not JSON\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -p 0
printf 'hk\tv\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -p 0 -K $'\t' -H trace=abc -H 'who=me'
printf 'a\xffb' | kcat -P -b "$BOOTSTRAP" -t "$T" -p 0 -Z
# Repeated header names (Kafka allows them) and header bytes that are not UTF-8.
printf 'hd\t1\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -p 0 -K $'\t' -H dup=1 -H other=x -H dup=2 \
    -H "$(printf 'bad=v\xff')" -H dup=3
TOTAL=64

start_consumer cons -topic "$T" -group "$G" -workers 4 -max-messages "$TOTAL" -H 'X-Extra: yes' \
    -commit-interval 200
check "consumer exits 0 after -max-messages" wait_until 60 bash -c "! kill -0 $CONSUMER_PID"
rc=0
wait "$CONSUMER_PID" || rc=$?
check_eq "exit status 0" 0 "$rc"
check_eq "every record delivered once" "$TOTAL" "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"
check_eq "no duplicates on a clean run" "$TOTAL" "$(wc -l <"$RECV_LOG")"

python3 - "$RECV_LOG" "$T" >"$TMP/body.check" <<'PY' || true
import json, sys
log, topic = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(log)]
ok = lambda d, c: print(("ok - " if c else "not ok - ") + d)
r0 = recs[0]
h = r0["headers"]
ok("POST with Content-Type application/json", r0["method"] == "POST" and h.get("content-type") == "application/json")
ok("User-Agent kgw-consumer/<version>, once", h.get("user-agent", "").startswith("kgw-consumer/0.")
   and r0["header_names"].count("user-agent") == 1)
ok("extra -H header sent", h.get("x-extra") == "yes")
ok("webhook-timestamp is unix seconds", h.get("webhook-timestamp", "").isdigit())
bodies = {}
good = True
for r in recs:
    b = json.loads(r["body"])
    wid = "%s-%d-%d" % (b["topic"], b["partition"], b["offset"])
    good &= r["headers"].get("webhook-id") == wid
    good &= set(b) >= {"topic", "partition", "offset", "key", "value", "timestamp", "headers"}
    good &= b["timestamp"].endswith("Z") and len(b["timestamp"]) == 24
    bodies[wid] = b
ok("webhook-id is <topic>-<partition>-<offset> and body has every field", good)
js = [b for b in bodies.values() if isinstance(b["value"], dict) and "n" in b["value"]]
ok("JSON values embedded as JSON", len(js) == 60 and all(b["key"] == "k%d" % b["value"]["n"] for b in js))
raw = [b for b in bodies.values() if isinstance(b["value"], dict) and "raw_message" in b["value"]]
texts = sorted(b["value"]["raw_message"] for b in raw)
ok("non-JSON wrapped as raw_message", "plain text, not JSON" in texts)
inv = [b for b in raw if "raw_message_base64" in b["value"]]
ok("invalid UTF-8 replaced by U+FFFD and kept in base64",
   len(inv) == 1 and inv[0]["value"]["raw_message"] == "a\ufffdb" and inv[0]["value"]["raw_message_base64"] == "Yf9i")
ok("null key is null", inv[0]["key"] is None)
hb = [b for b in bodies.values() if b["key"] == "hk"]
ok("record headers forwarded", len(hb) == 1 and hb[0]["headers"] == {"trace": "abc", "who": "me"} and hb[0]["value"] == {"raw_message": "v"})
def strict(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("repeated key in %r" % keys)
    return dict(pairs)
hd = [r for r in recs if json.loads(r["body"]).get("key") == "hd"]
try:
    d = json.loads(hd[0]["body"], object_pairs_hook=strict) if len(hd) == 1 else None
except ValueError as e:
    print("# " + str(e))
    d = None
ok("repeated header names: one key, every value in order", d is not None
   and d["headers"].get("dup") == ["1", "2", "3"] and d["headers"].get("other") == "x")
import base64
exact = [(base64.b64decode(x["name"]), base64.b64decode(x["value"])) for x in (d or {}).get("headers_base64", [])]
ok("header bytes that are not UTF-8: U+FFFD, and every header exact in headers_base64",
   d is not None and d["headers"].get("bad") == "v\ufffd"
   and exact == [(b"dup", b"1"), (b"other", b"x"), (b"dup", b"2"), (b"bad", b"v\xff"), (b"dup", b"3")])
conns = len({r["conn"] for r in recs})
ok("keep-alive: %d connections for %d requests (workers 4)" % (conns, len(recs)), conns <= 4 + 1)
PY
cat "$TMP/body.check"
while read -r line; do
    case $line in "not ok - "*) FAILS=$((FAILS + 1)) ;; esac
done <"$TMP/body.check"

ends=$(kcat -C -b "$BOOTSTRAP" -t "$T" -e -q -f '%p %o\n' | awk '{ if ($2 + 1 > e[$1]) e[$1] = $2 + 1 } END { for (p in e) print p, e[p] }' | sort)
got=$(committed "$G" "$T" 3 | sort)
check_eq "committed offsets equal the end of each partition after a clean exit" "$ends" "$got"
finish
