#!/usr/bin/env bash
# REST Proxy v3 streaming produce (producer/v3stream.h), with a client written
# to Confluent's Python example (http.client, one chunk per record):
#   - backpressure and the window: with the partition's leader down, a stream
#     of 30,000 1 KiB records stops being read once 1,000 records are in
#     flight: at most 1,000 in flight (every window counted in a histogram,
#     the in-flight gauge sampled all along), the client
#     blocks in send() with most of its records unsent, and bytes wait unread
#     in kgw's socket. With the leader back, all 30,000 are answered, in
#     order, and kcat finds each at the offset of its place in the stream;
#   - a bad record answers its own line (400, or 413 over --max-body-bytes)
#     and the stream goes on; bytes that are not a record end it with a last
#     400 line;
#   - with an Idempotency-Key the request is buffered, and a retry replays.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="v3s-$RUN_ID"
N=30000
WINDOW=1000
start_devcluster --brokers 1 --topic "$T:1"
start_producer --allow-topics "v3s-*" --max-body-bytes 100000
# The cluster id comes from broker metadata: under valgrind the first answer can
# come before it (valgrind's CI run saw a body without "data").
cluster_id() {
    CID=$(jget "$(curl -s "$URL/v3/clusters")" 'j["data"][0]["cluster_id"]' 2>/dev/null) && [ -n "$CID" ]
}
wait_until 60 cluster_id || { not_ok "GET /v3/clusters names the cluster: $(curl -s "$URL/v3/clusters")"; finish; }
RPATH="/v3/clusters/$CID/topics/$T/records"

metric() { curl -s "$URL/metrics" | sed -n "s/^$1 \([0-9.e+]*\)\$/\1/p"; }
queue_len() { metric kgw_producer_v3_stream_inflight_records; }

# Samples the records of streams in flight (produced, not yet acknowledged) until stopped.
(while :; do
    queue_len >>"$TMP/queue.samples"
    sleep 0.05
done) &
SAMPLER=$!
PIDS+=("$SAMPLER")

# On real Kafka the leader is SIGSTOPped: looked up once, while it still answers.
if real_kafka; then LEADER=$(leader_of "$T" 0) && kafka_pause "$LEADER"; else dc_cmd broker down 1; fi

python3 - "$PORT" "$RPATH" "$N" "$TMP/progress" >"$TMP/stream.out" 2>&1 <<'PY' &
import http.client, json, os, sys
port, path, n, progress = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
pad = "x" * 1000

def records():
    for i in range(n):
        if i % 100 == 0:
            with open(progress + ".tmp", "w") as f:
                f.write(str(i))
            os.replace(progress + ".tmp", progress)
        yield json.dumps({"value": {"type": "JSON", "data": {"seq": i, "pad": pad}},
                          "partition_id": 0}).encode()

c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
c.request("POST", path, body=records(), headers={"Content-Type": "application/json"},
          encode_chunked=True)
r = c.getresponse()
lines = [json.loads(x) for x in r.read().decode().splitlines()]
offs = [x.get("offset") for x in lines]
print("stream", r.status, len(lines), all(x["error_code"] == 200 for x in lines),
      all(b == a + 1 for a, b in zip(offs, offs[1:])))
PY
CLIENT=$!
PIDS+=("$CLIENT")

# stalled: the client's progress has not moved for a second (state in $TMP/last).
stalled() {
    local p now last_p last_t
    p=$(cat "$TMP/progress" 2>/dev/null || echo -1)
    now=$(date +%s%N)
    read -r last_p last_t <"$TMP/last" 2>/dev/null || { last_p=x last_t=$now; }
    if [ "$p" != "$last_p" ]; then
        echo "$p $now" >"$TMP/last"
        return 1
    fi
    [ "$p" -ge 0 ] && [ $((now - last_t)) -ge 1000000000 ]
}
if wait_until 60 stalled; then
    sent=$(cat "$TMP/progress")
    q=$(queue_len)
    # Recv-Q of kgw's side of the connection: bytes that arrived and wait unread.
    recvq=$(ss -tnH state established "( sport = :$PORT )" | awk '{print $1}' | sort -n | tail -1)
    note "stalled: client at record $sent of $N, $q records in flight, kgw's Recv-Q ${recvq:-?} bytes"
    check "backpressure: the client blocks with most of the stream unsent" test "$sent" -lt $((N / 2))
    check "a window is in flight: 1..$WINDOW records" test "${q:-0}" -ge 1 -a "${q:-0}" -le $WINDOW
    check "kgw stops reading: bytes wait in its socket" test "${recvq:-0}" -gt 0
else
    not_ok "the client never stalled (progress $(cat "$TMP/progress" 2>/dev/null))"
fi

if real_kafka; then kafka_resume "$LEADER"; else dc_cmd broker up 1; fi
wait_until 120 grep -q '^stream ' "$TMP/stream.out" || true
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
sed 's/^/# /' "$TMP/stream.out"
check "$N records answered, 200 each, offsets consecutive in answer order" \
    grep -q "^stream 200 $N True True$" "$TMP/stream.out"
max=$(sort -n "$TMP/queue.samples" | tail -1)
note "records in flight: max ${max:-?} over $(wc -l <"$TMP/queue.samples") samples"
check "in flight, sampled: never more than $WINDOW records" test "${max:-999999}" -le $WINDOW
# Every window is observed: none larger than the window bound.
windows=$(metric kgw_producer_v3_stream_window_records_count)
under=$(metric 'kgw_producer_v3_stream_window_records_bucket{le="1000"}')
note "windows: $windows, of them at most $WINDOW records: $under"
check "every window of the stream held at most $WINDOW records" test "${windows:-0}" -gt 0 -a "${windows:-0}" = "${under:-x}"
# The mock keeps the last ~5 MiB of a partition: each record kcat still finds
# sits at the offset of its place in the stream.
check_eq "kcat: the records in Kafka in the order sent (seq = offset)" "ok" \
    "$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 0 -e -q -f '%o %s\n' 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
got = [(int(o), json.loads(v)["seq"]) for o, v in (l.split(" ", 1) for l in sys.stdin if l.strip())]
print("ok" if got and all(o == s for o, s in got) and got[-1][1] == n - 1 else "bad: %d, last %s" % (len(got), got[-1:]))
' "$N")"

# --- Bad records in a stream, and bytes that are not a record.
python3 - "$PORT" "$RPATH" >"$TMP/bad.out" 2>&1 <<'PY' || true
import http.client, json, sys
port, path = int(sys.argv[1]), sys.argv[2]
ok = json.dumps({"value": {"type": "STRING", "data": "fine"}})
chunks = [ok, json.dumps({"value": {"type": "AVRO", "data": 1}}), ok,
          json.dumps({"value": {"type": "STRING", "data": "y" * 150000}}), ok,
          "] not a record", ok]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("POST", path, body=iter([x.encode() for x in chunks]),
          headers={"Content-Type": "application/json"}, encode_chunked=True)
r = c.getresponse()
lines = [json.loads(x) for x in r.read().decode().splitlines()]
print("bad", r.status, [x["error_code"] for x in lines])
print("last", "not a record" in lines[-1].get("message", "") or lines[-1].get("message"))
PY
sed 's/^/# /' "$TMP/bad.out"
check "a bad record answers 400, one over the limit 413, the stream goes on; non-record bytes end it" \
    grep -q '^bad 200 \[200, 400, 200, 413, 200, 400\]$' "$TMP/bad.out"

# --- With an Idempotency-Key the request is read whole; a retry replays.
body='{"value":{"data":{"idem":1}},"partition_id":0}{"value":{"data":{"idem":2}},"partition_id":0}'
ipost() {
    curl -s --max-time 30 -D "$TMP/h$1" -H 'Content-Type: application/json' \
        -H "Idempotency-Key: v3-$RUN_ID" --data-binary "$body" "$URL$RPATH"
}
a1=$(ipost 1)
a2=$(ipost 2)
check_eq "Idempotency-Key: two answer lines" 2 "$(grep -c '"error_code":200' <<<"$a1")"
check_eq "Idempotency-Key: the retry gets the same answer" "$a1" "$a2"
check "Idempotency-Key: marked Idempotent-Replayed" grep -qi '^Idempotent-Replayed: true' "$TMP/h2"
check_eq "kcat: produced once" 2 \
    "$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 0 -e -q -f '%s\n' 2>/dev/null | grep -c '"idem"')"
finish
