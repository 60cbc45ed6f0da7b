#!/usr/bin/env bash
# Real Kafka: Apache Kafka's own Java client is the reference.
#   1. The Java consumer (tests/tools/KafkaPeer.java, run with `java File.java`
#      on the cluster's classpath) reads what kgw-producer wrote: keys, values
#      byte for byte, headers, partition and offset as kgw answered them.
#   2. For 10,000 keys kgw-producer (librdkafka's murmur2_random, kgw's
#      default) picks the partition the Java producer's default partitioner
#      picks (BuiltInPartitioner.partitionForKey: murmur2, positive, modulo).
#   3. Kafka's consumer-groups tool (ConsumerGroupCommand --describe) shows
#      the offsets kgw-consumer committed: the end of every partition.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
real_kafka_only "Kafka's Java client and tools"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"
# shellcheck source=tests/lib/consumer.sh
source "$ROOT/tests/lib/consumer.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"

BOOTSTRAP=$KGW_TEST_BROKERS
TF=kp-format-$RUN_ID
TP=kp-part-$RUN_ID
PARTS=7 # not a power of two, so a wrong modulo shows
KEYS=10000
peer() {
    java -Xmx192m -cp "$(cat "$KGW_KAFKA_DIR/classpath")" "$ROOT/tests/tools/KafkaPeer.java" "$@" \
        2>>"$TMP/java.err"
}
create_topic "$TF" 3
create_topic "$TP" "$PARTS"
start_producer
wait_until 30 status_is "$URL/ready" 200 || { cat "$TMP/producer.err"; exit 1; }

# 1. Records of every shape; each request body is compact JSON, so the value
# Kafka must hold is the payload's text exactly as sent.
cat >"$TMP/cases.jsonl" <<'EOF'
{"key":"k-ü-1","payload":{"big":12345678901234567890,"f":0.10,"s":"a\"b\\u00e9 é"},"headers":{"h1":"v1","trace":"ü"},"partition":2}
{"payload":[1,2,3],"partition":0}
{"key":"","payload":"just a string","partition":1}
{"key":"nested","payload":{"a":{"b":[true,false,null,-0.5e-3]}},"headers":{"empty":""}}
{"key":"emoji 🎉","payload":{"t":"\ud83c\udf89"},"headers":{"x-emoji":"🎉","x-2":"two"}}
{"key":"num","payload":-17}
EOF
python3 - "$URL" "$TF" "$TMP/cases.jsonl" >"$TMP/answers.jsonl" <<'PY'
import http.client, json, sys
url, topic, cases = sys.argv[1:4]
host, port = url.split("//")[1].split(":")
conn = http.client.HTTPConnection(host, int(port), timeout=30)
for line in open(cases, encoding="utf-8"):
    text = line.strip()
    case = json.loads(text)
    # The payload's text exactly as sent (the body is built around it).
    start = text.index('"payload":') + len('"payload":')
    depth, i, in_str, esc = 0, start, False, False
    while True:
        c = text[i]
        if in_str:
            if esc: esc = False
            elif c == "\\": esc = True
            elif c == '"': in_str = False
        elif c == '"': in_str = True
        elif c in "[{": depth += 1
        elif c in "]}": depth -= 1
        elif c == "," and depth == 0: break
        if depth < 0: break
        i += 1
        if i == len(text): break
    payload_text = text[start:i].rstrip("}") if depth < 0 else text[start:i]
    body = text[:1] + '"topic":"%s",' % topic + text[1:]
    conn.request("POST", "/produce", body.encode("utf-8"), {"Content-Type": "application/json"})
    r = conn.getresponse()
    answer = json.loads(r.read())
    print(json.dumps({"status": r.status, "answer": answer, "case": case, "value": payload_text},
                     ensure_ascii=False))
PY
check_eq "format: every /produce answered 200" 6 "$(grep -c '"status": 200' "$TMP/answers.jsonl")"
peer dump "$BOOTSTRAP" "$TF" >"$TMP/java-format.txt"
note "java read $(wc -l <"$TMP/java-format.txt") records"
out=$(python3 - "$TMP/answers.jsonl" "$TMP/java-format.txt" <<'PY'
import base64, json, sys
answers = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
java = {}
for line in open(sys.argv[2]):
    p, o, k, v, h = line.rstrip("\n").split(" ")
    dec = lambda s: None if s == "-" else base64.b64decode(s)
    headers = [] if h == "-" else [(x.split("=", 1)[0], base64.b64decode(x.split("=", 1)[1])) for x in h.split(",")]
    java[(int(p), int(o))] = (dec(k), dec(v), headers)
bad = []
for a in answers:
    c, ans = a["case"], a["answer"]
    where = (ans.get("partition"), ans.get("offset"))
    if where not in java:
        bad.append("not found at %s: %s" % (where, c)); continue
    k, v, h = java[where]
    want_key = c["key"].encode("utf-8") if "key" in c else None
    if k != want_key: bad.append("key %r != %r" % (k, want_key))
    if v != a["value"].encode("utf-8"): bad.append("value %r != %r" % (v, a["value"]))
    want_h = [(n, s.encode("utf-8")) for n, s in (c.get("headers") or {}).items()]
    if sorted(h) != sorted(want_h): bad.append("headers %r != %r" % (h, want_h))
    if "partition" in c and where[0] != c["partition"]: bad.append("partition %s != %s" % (where[0], c["partition"]))
print(json.dumps({"records": len(answers), "java_records": len(java), "mismatches": bad}, ensure_ascii=False))
PY
)
note "format: $out"
check_eq "format: the Java consumer reads kgw's keys, values, headers, partitions byte for byte" \
    "[]" "$(json_field "$out" mismatches)"
check_eq "format: the Java consumer sees exactly the records kgw wrote" 6 "$(json_field "$out" java_records)"

# 2. The partitioner: 10,000 keys (ASCII, UTF-8, one empty) through kgw
# without a partition, against BuiltInPartitioner.partitionForKey.
python3 - "$KEYS" >"$TMP/keys.txt" <<'PY'
import random, sys
rnd = random.Random(7)
n = int(sys.argv[1])
keys = [""] + ["ü-%d-é" % i for i in range(50)] + ["order-%d" % i for i in range(n // 2)]
while len(keys) < n:
    keys.append("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789-_:") for _ in range(rnd.randint(1, 40))))
for k in keys[:n]:
    print(k)
PY
python3 - "$URL" "$TP" "$TMP/keys.txt" >"$TMP/kgw-parts.txt" <<'PY'
import http.client, json, sys
url, topic, path = sys.argv[1:4]
host, port = url.split("//")[1].split(":")
keys = open(path, encoding="utf-8").read().split("\n")[:-1]
conn = http.client.HTTPConnection(host, int(port), timeout=60)
for i in range(0, len(keys), 500):
    chunk = keys[i:i + 500]
    body = json.dumps({"topic": topic, "messages": [{"key": k, "payload": {"i": i + j}} for j, k in enumerate(chunk)]})
    conn.request("POST", "/produce", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    res = json.loads(r.read())["results"]
    for x in res:
        print(x.get("partition", "error"))
PY
peer partition "$PARTS" <"$TMP/keys.txt" >"$TMP/java-parts.txt"
check_eq "partitioner: kgw placed every key" "$KEYS" "$(grep -c '^[0-9]' "$TMP/kgw-parts.txt")"
check_eq "partitioner: the Java client computed every key" "$KEYS" "$(grep -c '^[0-9]' "$TMP/java-parts.txt")"
differ=$(paste -d' ' "$TMP/kgw-parts.txt" "$TMP/java-parts.txt" | awk '$1 != $2' | wc -l)
first=$(paste -d'|' "$TMP/keys.txt" "$TMP/kgw-parts.txt" "$TMP/java-parts.txt" | awk -F'|' '$2 != $3' | head -3 | tr '\n' ' ')
check_eq "partitioner: $KEYS keys on the Java client's partition (${PARTS} partitions) ${first:+first: $first}" 0 "$differ"
check_eq "partitioner: Kafka holds the $KEYS records" "$KEYS" "$(kafka_count "$TP")"

# 3. kgw-consumer commits; Kafka's consumer-groups tool reads them.
GROUP=g-$TP
start_receiver recv --no-log
start_consumer c1 -topic "$TP" -group "$GROUP" -workers 16 -max-messages "$KEYS"
C=$CONSUMER_PID
check "consumer: processed $KEYS records and exited" wait_until 150 bash -c "! kill -0 $C 2>/dev/null"
wait "$C" 2>/dev/null && rc=0 || rc=$?
check_eq "consumer: exit status" 0 "$rc"
"$ROOT/bin/kafka-cluster.sh" tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$BOOTSTRAP" --describe --group "$GROUP" >"$TMP/groups.txt" 2>>"$TMP/java.err" || true
sed 's/^/# groups: /' "$TMP/groups.txt" | head -12
# "GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ..." -> "p current end"
awk -v t="$TP" '$2 == t { print $3, $4, $5 }' "$TMP/groups.txt" | sort -n >"$TMP/tool.txt"
committed "$GROUP" "$TP" "$PARTS" | sort -n >"$TMP/kgw-committed.txt"
check_eq "groups tool: lists all $PARTS partitions" "$PARTS" "$(wc -l <"$TMP/tool.txt")"
check_eq "groups tool: CURRENT-OFFSET = the offsets kgw-consumer committed (librdkafka's view)" \
    "$(awk '{print $1, $2}' "$TMP/kgw-committed.txt" | tr '\n' ' ')" "$(awk '{print $1, $2}' "$TMP/tool.txt" | tr '\n' ' ')"
at_end() { awk '$2 != $3 {bad = 1} END {exit bad}' "$1"; }
check "groups tool: CURRENT-OFFSET = LOG-END-OFFSET on every partition" at_end "$TMP/tool.txt"
check_eq "groups tool: committed offsets add up to the $KEYS records" "$KEYS" \
    "$(awk '{s += $2} END {print s + 0}' "$TMP/tool.txt")"
fault_row "kafka: Java peers (format, partitioner, groups tool)" $((KEYS + 6)) 0 0 "$(rss_kb "$PRODUCER_PID")" \
    "6 shapes byte-exact; $((KEYS - differ))/$KEYS keys on Java's partition; groups tool = kgw commits"
stop_pid "$PRODUCER_PID"
finish
