#!/usr/bin/env bash
# Metadata routes (REST Proxy v2 and v3, served from a short librdkafka
# metadata cache, filtered by what the caller may write) and REST Proxy v3
# produce, driven by a Python http.client client written to Confluent's
# documented examples: discover the cluster id, produce JSON/BINARY/STRING
# records with headers, partition_id and timestamp, then concatenated-JSON
# streams in one chunked request (50 records, and 30,000: many times the
# 1,000 a stream keeps in flight; 0118 tests the stream itself); kcat reads
# back what landed.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="meta-$RUN_ID"
H="hidden-$RUN_ID"
start_devcluster --brokers 3 --topic "$T:3" --topic "$H:1"
start_producer --allow-topics "meta-*" --max-body-bytes 4000000

# --- v2 metadata.
# The first metadata fetch is bounded (5 s) and can end before the producer
# has reached a broker (it did under valgrind): that answer is a 503, and a
# client asks again, as this does.
check "GET /topics -> 200" wait_until 60 status_is "$URL/topics" 200
body=$(curl -s "$URL/topics")
check_eq "lists the topic it may write" true "$(jget "$body" "'$T' in j")"
check_eq "hides the topic --allow-topics refuses" false "$(jget "$body" "'$H' in j")"
r=$(curl -s "$URL/topics/$T")
check_eq "GET /topics/{t}: name" "$T" "$(jget "$r" 'j["name"]')"
check_eq "GET /topics/{t}: 3 partitions" 3 "$(jget "$r" 'len(j["partitions"])')"
check_eq "GET /topics/{t}: each with a leader among its replicas" true \
    "$(jget "$r" 'all(any(x["broker"] == p["leader"] and x["leader"] for x in p["replicas"]) for p in j["partitions"])')"
r=$(curl -s "$URL/topics/$T/partitions")
check_eq "GET /topics/{t}/partitions: partitions 0..2" "[0, 1, 2]" "$(jget "$r" 'sorted(p["partition"] for p in j)')"
r=$(curl -s "$URL/topics/$T/partitions/2")
check_eq "GET /topics/{t}/partitions/2" 2 "$(jget "$r" 'j["partition"]')"
check_eq "partition 9 -> 404" 404 "$(http_status "$URL/topics/$T/partitions/9")"
check_eq "unknown topic -> 404" 404 "$(http_status "$URL/topics/meta-none-$RUN_ID")"
check_eq "a refused topic -> 403" 403 "$(http_status "$URL/topics/$H")"
check_eq "DELETE /topics/{t} -> 405" 405 "$(http_status "$URL/topics/$T" -X DELETE)"

# --- v3 metadata and produce: a client written to Confluent's documented examples.
python3 - "$PORT" "$T" "$H" >"$TMP/v3.out" 2>&1 <<'PY' || true
import base64, http.client, json, sys
port, topic, hidden = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def call(method, path, body=None, headers=None, chunks=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Content-Type": "application/json"} if body is not None or chunks else {}
    h.update(headers or {})
    if chunks is not None:
        c.request(method, path, body=iter(chunks), headers=h, encode_chunked=True)
    else:
        c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, data

st, data = call("GET", "/v3/clusters")
j = json.loads(data)
print("clusters", st, j["kind"], len(j["data"]))
cid = j["data"][0]["cluster_id"]
st, data = call("GET", f"/v3/clusters/{cid}")
print("cluster", st, json.loads(data)["cluster_id"] == cid)
st, data = call("GET", f"/v3/clusters/{cid}/topics")
names = [t["topic_name"] for t in json.loads(data)["data"]]
print("topics", st, topic in names, hidden in names)
st, data = call("GET", f"/v3/clusters/{cid}/topics/{topic}")
t = json.loads(data)
print("topic", st, t["kind"], t["partitions_count"])
print("othercluster", call("GET", "/v3/clusters/nope/topics")[0])

# Confluent's documented example: JSON key and value.
st, data = call("POST", f"/v3/clusters/{cid}/topics/{topic}/records",
                json.dumps({"key": {"type": "JSON", "data": "key1"},
                            "value": {"type": "JSON", "data": "value1"}}))
r = json.loads(data)
print("produce-json", st, r["error_code"], r["cluster_id"] == cid, r["topic_name"] == topic,
      isinstance(r["offset"], int), r["key"], r["value"])
# BINARY and STRING, headers, partition_id, timestamp.
st, data = call("POST", f"/v3/clusters/{cid}/topics/{topic}/records", json.dumps({
    "partition_id": 1,
    "headers": [{"name": "trace", "value": base64.b64encode(b"t-1").decode()}],
    "key": {"type": "STRING", "data": "k-string"},
    "value": {"type": "BINARY", "data": base64.b64encode(b"\x00\x01bin").decode()},
    "timestamp": "2024-05-01T10:00:00Z"}))
r = json.loads(data)
print("produce-binary", st, r["error_code"], r["partition_id"], r["value"])
# Streaming form: concatenated JSON records in one chunked request.
recs = [json.dumps({"value": {"type": "JSON", "data": {"seq": i}}, "partition_id": 2}) for i in range(50)]
st, data = call("POST", f"/v3/clusters/{cid}/topics/{topic}/records",
                chunks=[r.encode() for r in recs])
lines = [json.loads(x) for x in data.splitlines()]
offs = [x["offset"] for x in lines]
print("stream", st, len(lines), all(x["error_code"] == 200 for x in lines),
      offs == sorted(offs) and len(set(offs)) == 50)
# A stream far longer than the 1,000-record window in flight: 30,000 records.
recs = (json.dumps({"value": {"type": "JSON", "data": {"n": i}}, "partition_id": 0}).encode() for i in range(30000))
st, data = call("POST", f"/v3/clusters/{cid}/topics/{topic}/records", chunks=recs)
lines = [json.loads(x) for x in data.splitlines()]
offs = [x["offset"] for x in lines]
print("long-stream", st, len(lines), all(x["error_code"] == 200 for x in lines),
      all(b > a for a, b in zip(offs, offs[1:])))
# Errors in v3's shape.
for name, body, want in [
        ("bad-json", "{\"value\":", 400),
        ("bad-type", json.dumps({"value": {"type": "AVRO", "data": 1}}), 400),
        ("refused", None, 403)]:
    path = f"/v3/clusters/{cid}/topics/{hidden if body is None else topic}/records"
    st, data = call("POST", path, body or "{}")
    e = json.loads(data)
    print("error", name, st == want, e.get("error_code") == want, "message" in e)
PY
sed 's/^/# /' "$TMP/v3.out"
check "v3: GET /v3/clusters lists one KafkaCluster" grep -q '^clusters 200 KafkaClusterList 1$' "$TMP/v3.out"
check "v3: GET /v3/clusters/{id}" grep -q '^cluster 200 True$' "$TMP/v3.out"
check "v3: topic list filtered by rights" grep -q '^topics 200 True False$' "$TMP/v3.out"
check "v3: GET a topic" grep -q '^topic 200 KafkaTopic 3$' "$TMP/v3.out"
check "v3: another cluster id -> 404" grep -q '^othercluster 404$' "$TMP/v3.out"
check "v3: Confluent's JSON example produces, answered in its shape" \
    grep -q "^produce-json 200 200 True True True {'type': 'JSON', 'size': 6} {'type': 'JSON', 'size': 8}$" "$TMP/v3.out"
check "v3: BINARY/STRING, headers, partition_id, timestamp" \
    grep -q "^produce-binary 200 200 1 {'type': 'BINARY', 'size': 5}$" "$TMP/v3.out"
check "v3: 50 concatenated records in one chunked request, 50 reports in order" \
    grep -q '^stream 200 50 True True$' "$TMP/v3.out"
check "v3: 30,000 records in one request (many windows), 30,000 reports in order" \
    grep -q '^long-stream 200 30000 True True$' "$TMP/v3.out"
for e in bad-json bad-type refused; do
    check "v3: error $e in v3's shape" grep -q "^error $e True True True$" "$TMP/v3.out"
done
# Each read-back polls until its records show. CI once saw the first read come
# back without the record on real Kafka, with kcat's stderr thrown away; now
# kcat's output and stderr are printed when a read-back fails.
# kcat_until PARTITION FORMAT PATTERN COUNT: true once COUNT lines match.
kcat_until() {
    kcat -C -b "$BOOTSTRAP" -t "$T" -p "$1" -e -q -f "$2" >"$TMP/p$1.txt" 2>"$TMP/p$1.err" || true
    [ "$(grep -c -- "$3" "$TMP/p$1.txt")" -ge "$4" ]
}
# kcat_check DESCRIPTION PARTITION FORMAT PATTERN COUNT: exactly COUNT lines match.
kcat_check() {
    local got
    wait_until 30 kcat_until "$2" "$3" "$4" "$5" || true
    got=$(grep -c -- "$4" "$TMP/p$2.txt" || true)
    check_eq "$1" "$5" "$got"
    [ "$got" = "$5" ] || { tail -5 "$TMP/p$2.txt"; cat "$TMP/p$2.err"; } | sed "s/^/# p$2: /"
}
kcat_check "kcat: the STRING key, header and timestamp landed exactly" \
    1 '%k|%h|%T|%s\n' '^k-string|trace=t-1|1714557600000|' 1
kcat_check "kcat: 50 stream records on partition 2" 2 '%s\n' '"seq"' 50
kcat_check "kcat: the 30,000 records on partition 0, once each" 0 '%s\n' '^{"n":' 30000
finish
