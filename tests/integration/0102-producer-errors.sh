#!/usr/bin/env bash
# Every error kgw-producer promises: status, JSON body with "error", headers
# (Allow, Retry-After), and a server that still answers /health afterwards.
# Kafka-side faults on each tier: an unknown topic is a topic the mock is told
# to report unknown (it would auto-create a missing one) and, on real Kafka
# (auto-create off), one that does not exist; requests kept in flight come
# from broker RTT on the mock and from linger.ms on real Kafka; a delivery
# timeout comes from all brokers down on the mock and from SIGSTOPping the
# partition's leader on real Kafka; the refused record is an injected
# INVALID_RECORD on the mock and a keyless record on a compacted topic on real
# Kafka, which the broker refuses with that same error.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="err-$RUN_ID"
if real_kafka; then
    start_devcluster --topic "$T:2"
else
    start_devcluster --brokers 3 --topic "$T:2" --topic "gone-$RUN_ID:1" --topic "gone2-$RUN_ID:1"
    # Topics the cluster reports as unknown (the mock would auto-create a
    # missing one, so existing topics are made to answer UNKNOWN_TOPIC_OR_PART).
    check "devcluster: topic error set" dc_cmd topic error "gone-$RUN_ID" UNKNOWN_TOPIC_OR_PART
    check "devcluster: topic error set" dc_cmd topic error "gone2-$RUN_ID" UNKNOWN_TOPIC_OR_PART
fi
start_producer --max-body-bytes 65536
MAIN_PID=$PRODUCER_PID

# expect DESC STATUS PATH BODY [CTYPE]: status matches and the body has "error".
expect() {
    local desc=$1 want=$2 r
    r=$(post "$3" "$4" "${5:-application/json}")
    if [ "$(status_of "$r")" = "$want" ] &&
        [ -n "$(jget "$(body_of "$r")" 'j.get("error") or ""' 2>/dev/null)" ]; then
        ok "$desc -> $want with an error field"
    else
        not_ok "$desc -> expected $want with an error field, got: $r"
    fi
}

expect "malformed JSON" 400 /produce '{"topic":'
expect "empty body" 400 /produce ''
expect "invalid UTF-8" 400 /produce "$(printf '{"topic":"%s","payload":"\xc3\x28"}' "$T")"
expect "nesting too deep" 400 /produce "{\"topic\":\"$T\",\"payload\":$(printf '[%.0s' {1..200})$(printf ']%.0s' {1..200})}"
expect "body not an object" 400 /produce '[1,2]'
expect "missing topic" 400 /produce '{"payload":1}'
expect "topic not a string" 400 /produce '{"topic":5,"payload":1}'
expect "missing payload" 400 /produce "{\"topic\":\"$T\"}"
expect "key not a string" 400 /produce "{\"topic\":\"$T\",\"payload\":1,\"key\":{}}"
expect "headers not an object" 400 /produce "{\"topic\":\"$T\",\"payload\":1,\"headers\":\"x\"}"
expect "header value not a string" 400 /produce "{\"topic\":\"$T\",\"payload\":1,\"headers\":{\"a\":1}}"
expect "partition not an integer" 400 /produce "{\"topic\":\"$T\",\"payload\":1,\"partition\":\"0\"}"
expect "negative partition" 400 /produce "{\"topic\":\"$T\",\"payload\":1,\"partition\":-3}"
expect "illegal topic name" 400 /produce '{"topic":"no spaces","payload":1}'
expect "topic name too long" 400 /produce "{\"topic\":\"$(printf 'a%.0s' {1..250})\",\"payload\":1}"
expect "empty messages" 400 /produce "{\"topic\":\"$T\",\"messages\":[]}"
expect "bad message in a batch" 400 /produce "{\"topic\":\"$T\",\"messages\":[{\"payload\":1},{\"key\":\"x\"}]}"
expect "form content type" 415 /produce "{\"topic\":\"$T\",\"payload\":1}" application/x-www-form-urlencoded
expect "text/plain" 415 /produce "{\"topic\":\"$T\",\"payload\":1}" text/plain
expect "unknown path" 404 /nope '{}'
expect "partition beyond the topic" 404 /produce "{\"topic\":\"$T\",\"payload\":1,\"partition\":7}"

hdrs=$(curl -s -D - -o "$TMP/405.json" "$URL/produce")
check "GET /produce -> 405" grep -q '^HTTP/1.1 405' <<<"$hdrs"
check "405 carries Allow: POST" grep -qi '^Allow: POST' <<<"$hdrs"
check "405 body has error" grep -q '"error"' "$TMP/405.json"
check_eq "DELETE /health -> 405" 405 "$(http_status "$URL/health" -X DELETE)"

# 413 from Content-Length alone: the server answers before the body is sent
# and never reads 100 MB into memory.
big413=$(python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"POST /produce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 104857600\r\n\r\n" + b"{" * 1000)
print(s.recv(4096).decode(errors="replace").split("\r\n")[0])
PY
)
check "413 answered from Content-Length before the body ($big413)" grep -q "^HTTP/1.1 413 " <<<"$big413"
r=$(head -c 70000 /dev/zero | tr '\0' ' ' | curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @- "$URL/produce")
check "413 for a chunked body over the limit" grep -q '"error".* 413$' <<<"$r"

# Unknown topic when the cluster does not auto-create it -> 404. librdkafka
# waits topic.metadata.propagation.max.ms (kgw: 2 s) before it calls a topic
# missing, so the answer takes about that long (each API gets a topic of its
# own, so both are timed cold).
t0=$(date +%s%N)
r=$(post /produce "{\"topic\":\"gone-$RUN_ID\",\"payload\":1}")
ms=$((($(date +%s%N) - t0) / 1000000))
note "unknown topic: /produce answered $(status_of "$r") in $ms ms"
check_eq "unknown topic -> 404" 404 "$(status_of "$r")"
check "unknown topic names the Kafka error" grep -q 'UNKNOWN_TOPIC' <<<"$r"
check "unknown topic answered within 5 s ($ms ms)" test "$ms" -lt 5000
t0=$(date +%s%N)
r=$(post "/topics/gone2-$RUN_ID" '{"records":[{"value":1}]}' application/vnd.kafka.json.v2+json)
ms=$((($(date +%s%N) - t0) / 1000000))
note "unknown topic: REST Proxy route answered $(status_of "$r") in $ms ms"
check_eq "restproxy unknown topic -> 404" 404 "$(status_of "$r")"
check "restproxy unknown topic answered within 5 s ($ms ms)" test "$ms" -lt 5000
check_eq "restproxy unknown topic -> 40401" 40401 "$(jget "$(body_of "$r")" 'j.get("error_code")')"

# REST Proxy errors.
r=$(post "/topics/$T/partitions/9" '{"records":[{"value":1}]}' application/vnd.kafka.json.v2+json)
check_eq "restproxy unknown partition -> 40402" "404 40402" "$(status_of "$r") $(jget "$(body_of "$r")" 'j["error_code"]')"
r=$(post "/topics/$T" '{"records":[{"value":"not base64!"}]}' application/vnd.kafka.binary.v2+json)
check_eq "restproxy bad base64 -> 422" 422 "$(status_of "$r")"
check "restproxy 422 is 4220x" grep -q '"error_code":4220' <<<"$r"
r=$(post "/topics/$T" '{"records":[{"value":1}]}' application/vnd.kafka.avro.v2+json)
check_eq "restproxy avro -> 415" 415 "$(status_of "$r")"
r=$(post "/topics/$T" '{"records":' application/vnd.kafka.json.v2+json)
check_eq "restproxy malformed -> 400" 400 "$(status_of "$r")"

# A stalled client (headers and half a body, then silence) does not block others.
python3 - "$PORT" >"$TMP/stall.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /produce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 1000\r\n\r\n{\"topic\":")
print("stalled", flush=True)
time.sleep(30)
PY
STALL_PID=$!
PIDS+=("$STALL_PID")
wait_until 10 grep -q stalled "$TMP/stall.out"
start=$(date +%s%N)
fine=0
for i in 1 2 3 4 5; do
    r=$(post /produce "{\"topic\":\"$T\",\"payload\":{\"during_stall\":$i}}")
    [ "$(status_of "$r")" = 200 ] && fine=$((fine + 1))
done
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "5 produces succeed while a client stalls mid-body" 5 "$fine"
check "and they are quick (${ms} ms for 5)" test "$ms" -lt 5000
kill "$STALL_PID" 2>/dev/null || true

# In-flight limit -> 503 with Retry-After. Slow brokers keep one request in flight.
PRODUCER_N=2
MAIN_URL=$URL
if real_kafka; then
    start_producer --max-inflight 1 -X linger.ms=1500
else
    start_producer --max-inflight 1
    for b in 1 2 3; do dc_cmd broker rtt "$b" 1500 >/dev/null; done
fi
curl -s -o "$TMP/slow.json" -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":\"slow\"}" "$URL/produce" &
SLOW_PID=$!
wait_until 10 bash -c "curl -s '$URL/metrics' | grep -q '^kgw_producer_inflight_requests 1'"
hdrs=$(curl -s -D - -o "$TMP/503.json" -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":\"second\"}" "$URL/produce")
check "in-flight limit -> 503" grep -q '^HTTP/1.1 503' <<<"$hdrs"
check "503 carries Retry-After" grep -qi '^Retry-After: 1' <<<"$hdrs"
check "503 body has error" grep -q '"error"' "$TMP/503.json"
wait "$SLOW_PID" || true
check "the slow request is answered 200" grep -q '"success":true' "$TMP/slow.json"
real_kafka || for b in 1 2 3; do dc_cmd broker rtt "$b" 0 >/dev/null; done

# Delivery failure after librdkafka's retries -> 504 naming the Kafka error.
# The records go to partition 0, whose leader stops answering.
PRODUCER_N=3
start_producer -X message.timeout.ms=1500
r=$(post /produce "{\"topic\":\"$T\",\"partition\":0,\"payload\":\"warm-up\"}")
check_eq "warm-up before the outage" 200 "$(status_of "$r")"
if real_kafka; then
    LEADER=$(leader_of "$T" 0)
    note "SIGSTOP node $LEADER, the leader of $T/0"
    kafka_pause "$LEADER"
else
    for b in 1 2 3; do dc_cmd broker down "$b" >/dev/null; done
fi
r=$(post /produce "{\"topic\":\"$T\",\"partition\":0,\"payload\":\"doomed\"}")
check_eq "delivery timeout -> 504" 504 "$(status_of "$r")"
check "504 names _MSG_TIMED_OUT" grep -q '"kafka_error":"_MSG_TIMED_OUT"' <<<"$r"
r=$(post /produce "{\"topic\":\"$T\",\"messages\":[{\"payload\":1,\"partition\":0},{\"payload\":2,\"partition\":0}]}")
check_eq "batch whose records all failed -> 504" 504 "$(status_of "$r")"
check "batch failure marks each record" bash -c "[ \"\$(grep -o '_MSG_TIMED_OUT' <<<'$r' | wc -l)\" = 2 ]"
m=$(curl -s "$URL/metrics")
check "metrics count produce errors by name" grep -q 'kgw_producer_produce_errors_total{error="_MSG_TIMED_OUT"} 3' <<<"$m"
if real_kafka; then
    kafka_resume "$LEADER"
else
    for b in 1 2 3; do dc_cmd broker up "$b" >/dev/null; done
fi

# A record Kafka refuses (non-retriable INVALID_RECORD) is a delivery failure:
# 500 naming the error, never 400 (that is for request validation).
URL=$MAIN_URL
if real_kafka; then
    # A compacted topic refuses a record without a key.
    REFUSE=compact-$RUN_ID
    kafka_node_cmd tool org.apache.kafka.tools.TopicCommand --bootstrap-server "${BOOTSTRAP%%,*}" \
        --create --topic "$REFUSE" --partitions 1 --config cleanup.policy=compact >/dev/null
    check "compacted topic created" wait_until 20 bash -c "kcat -L -b '$BOOTSTRAP' -t '$REFUSE' | grep -q 'partition 0, leader [1-9]'"
else
    REFUSE=$T
    check "devcluster: inject INVALID_RECORD" dc_cmd errors push Produce 1 INVALID_RECORD
fi
r=$(post /produce "{\"topic\":\"$REFUSE\",\"payload\":\"refused\"}")
check_eq "injected INVALID_RECORD -> 500" 500 "$(status_of "$r")"
check "500 names INVALID_RECORD" grep -q '"kafka_error":"INVALID_RECORD"' <<<"$r"

# Bytes >= 0x80 from the request reach JSON error bodies and JSON log lines
# raw: an invalid byte, and a long multibyte path that the 100-byte echo cuts.
# Both must stay valid JSON (a strict parser: python's json.loads of the
# bytes as UTF-8).
json_ok() { python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$1"; }
PRODUCER_N=4
start_producer --log-format json
raw_url="$URL/$(printf 'a\xffb')"
check_eq "raw 0xff in the path -> 404" 404 \
    "$(curl -s --path-as-is -o "$TMP/404ff.json" -w '%{http_code}' "$raw_url")"
check "404 body with 0xff is JSON" json_ok "$TMP/404ff.json"
long=$(printf '\xc3\xa9%.0s' {1..80})
check_eq "long multibyte path -> 404" 404 \
    "$(curl -s --path-as-is -o "$TMP/404mb.json" -w '%{http_code}' "$URL/$long")"
check "404 body cut inside the multibyte path is JSON" json_ok "$TMP/404mb.json"
check "the cut keeps whole characters (no U+FFFD)" \
    python3 -c 'import json,sys; e=json.loads(open(sys.argv[1],"rb").read().decode())["error"]; sys.exit("\ufffd" in e or "\u00e9"*40 not in e)' "$TMP/404mb.json"
# The simulator logs the request's webhook-id header.
curl -s -o /dev/null -H "$(printf 'webhook-id: id-\xff-\xc3')" -H 'Content-Type: application/json' \
    --data-binary '{}' "$URL/webhook-simulator"
check "the webhook-id reaches the JSON log" wait_until 10 grep -q 'webhook-simulator received' "$TMP/producer4.err"
grep 'webhook-simulator received' "$TMP/producer4.err" >"$TMP/simlog.json" || true
check "that JSON log line parses" json_ok "$TMP/simlog.json"
URL=$MAIN_URL

check_eq "/health still 200 after all of that" 200 "$(http_status "$MAIN_URL/health")"
check "first producer still alive" alive "$MAIN_PID"
finish
