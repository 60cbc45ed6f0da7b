#!/usr/bin/env bash
# /produce (single and batch) and the REST Proxy v2 API (json and binary),
# verified by consuming each record back: key, value bytes, headers,
# partition and offset match the answer. Numbers keep their exact text.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="orders-$RUN_ID"
start_devcluster --brokers 3 --topic "$T:4"
start_producer

# fetch P O: the record at partition P offset O as kcat JSON.
fetch() {
    kcat -C -b "$BOOTSTRAP" -t "$T" -p "$1" -o "$2" -c 1 -e -q -J 2>/dev/null
}

# Single record with key, headers and numbers a double cannot hold.
r=$(post /produce "{\"topic\": \"$T\", \"key\": \"user-42\",
  \"payload\": {\"big\": 12345678901234567890, \"dec\": 0.1000000000000000055511151231257827,
                \"s\": \"caf\\u00e9 \\\"q\\\"\", \"arr\": [1, 2.50, -0, 1e400], \"n\": null},
  \"headers\": {\"source\": \"test\", \"trace\": \"abc\"}}")
check_eq "single: 200" 200 "$(status_of "$r")"
b=$(body_of "$r")
check_eq "single: success true" true "$(jget "$b" 'j["success"]')"
p=$(jget "$b" 'j["partition"]')
o=$(jget "$b" 'j["offset"]')
rec=$(fetch "$p" "$o")
check_eq "single: record found at the answered partition/offset" "$T $p $o" \
    "$(jget "$rec" '"%s %s %s" % (j["topic"], j["partition"], j["offset"])')"
check_eq "single: key bytes" "user-42" "$(jget "$rec" 'j["key"]')"
check_eq "single: value is the compact payload with exact numbers and string text" \
    '{"big":12345678901234567890,"dec":0.1000000000000000055511151231257827,"s":"caf\u00e9 \"q\"","arr":[1,2.50,-0,1e400],"n":null}' \
    "$(jget "$rec" 'j["payload"]')"
check_eq "single: headers" '["source", "test", "trace", "abc"]' "$(jget "$rec" 'j["headers"]')"

# Same key -> same partition (murmur2 like the Java client): key "user-42" again.
r=$(post /produce "{\"topic\":\"$T\",\"key\":\"user-42\",\"payload\":\"second\"}")
check_eq "same key lands on the same partition" "$p" "$(jget "$(body_of "$r")" 'j["partition"]')"
check_eq "and the next offset" "$((o + 1))" "$(jget "$(body_of "$r")" 'j["offset"]')"
rec=$(fetch "$p" "$((o + 1))")
check_eq "a string payload is stored as a JSON string" '"second"' "$(jget "$rec" 'j["payload"]')"

# Explicit partition.
r=$(post /produce "{\"topic\":\"$T\",\"partition\":3,\"payload\":[true,false]}")
check_eq "explicit partition is honoured" 3 "$(jget "$(body_of "$r")" 'j["partition"]')"

# Batch: results in request order, each matching what Kafka holds.
r=$(post /produce "{\"topic\":\"$T\",\"messages\":[
  {\"key\":\"a\",\"payload\":{\"i\":0}},
  {\"key\":\"b\",\"payload\":{\"i\":1},\"headers\":{\"h\":\"1\"}},
  {\"payload\":{\"i\":2},\"partition\":2},
  {\"key\":\"d\",\"payload\":99999999999999999999.5}]}")
check_eq "batch: 200" 200 "$(status_of "$r")"
b=$(body_of "$r")
check_eq "batch: success true and 4 results" "True 4" "$(jget "$b" '"%s %d" % (j["success"], len(j["results"]))')"
want_vals=('{"i":0}' '{"i":1}' '{"i":2}' '99999999999999999999.5')
want_keys=(a b '' d)
bad=0
for i in 0 1 2 3; do
    p=$(jget "$b" "j['results'][$i]['partition']")
    o=$(jget "$b" "j['results'][$i]['offset']")
    rec=$(fetch "$p" "$o")
    [ "$(jget "$rec" 'j["payload"]')" = "${want_vals[$i]}" ] || bad=$((bad + 1))
    [ "$(jget "$rec" 'j["key"] or ""')" = "${want_keys[$i]}" ] || bad=$((bad + 1))
done
check_eq "batch: every record found where the answer says, with its key and value" 0 "$bad"
check_eq "batch: explicit partition in a message" 2 "$(jget "$b" 'j["results"][2]["partition"]')"

# REST Proxy v2, JSON format.
r=$(post "/topics/$T" '{"records":[{"key":"k1","value":{"a":1.10}},{"value":[1,2],"partition":1}]}' \
    application/vnd.kafka.json.v2+json)
check_eq "restproxy json: 200" 200 "$(status_of "$r")"
b=$(body_of "$r")
check_eq "restproxy json: schema ids null" "None None" "$(jget "$b" '"%s %s" % (j["key_schema_id"], j["value_schema_id"])')"
check_eq "restproxy json: error_code null" None "$(jget "$b" 'str(j["offsets"][0]["error_code"])')"
rec=$(fetch "$(jget "$b" 'j["offsets"][0]["partition"]')" "$(jget "$b" 'j["offsets"][0]["offset"]')")
check_eq "restproxy json: key stored as JSON text" '"k1"' "$(jget "$rec" 'j["key"]')"
check_eq "restproxy json: value stored as compact JSON" '{"a":1.10}' "$(jget "$rec" 'j["payload"]')"
check_eq "restproxy json: record partition honoured" 1 "$(jget "$b" 'j["offsets"][1]["partition"]')"
ct=$(curl -s -o /dev/null -w '%{content_type}' -H 'Content-Type: application/json' \
    --data-binary '{"records":[{"value":1}]}' "$URL/topics/$T")
check_eq "restproxy: plain application/json accepted, answer is vnd.kafka.v2+json" \
    "application/vnd.kafka.v2+json" "$ct"

# REST Proxy v2, binary format, path partition, Strimzi headers and timestamp.
r=$(post "/topics/$T/partitions/2" \
    '{"records":[{"key":"a2V5","value":"AAEC/w==","timestamp":1700000000123,"headers":[{"key":"h1","value":"dmFsdWU="}]}]}' \
    application/vnd.kafka.binary.v2+json)
check_eq "restproxy binary: 200" 200 "$(status_of "$r")"
b=$(body_of "$r")
check_eq "restproxy binary: path partition" 2 "$(jget "$b" 'j["offsets"][0]["partition"]')"
o=$(jget "$b" 'j["offsets"][0]["offset"]')
got=$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 2 -o "$o" -c 1 -e -q -f '%k|%T|%h|' 2>/dev/null)
check_eq "restproxy binary: key, timestamp, headers" "key|1700000000123|h1=value|" "$got"
vhex=$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 2 -o "$o" -c 1 -e -q -f '%s' 2>/dev/null | od -An -tx1 | tr -d ' \n')
check_eq "restproxy binary: value bytes decoded from base64" "000102ff" "$vhex"
r=$(post "/topics/$T" '{"records":[{"value":"aGk="}]}' application/vnd.kafka.v2+json)
check_eq "restproxy: vnd.kafka.v2+json is binary" 200 "$(status_of "$r")"

# Metrics tell the same story.
m=$(curl -s "$URL/metrics")
check "metrics: requests by route and status" grep -q 'kgw_producer_http_requests_total{route="/produce",status="200"} 4' <<<"$m"
check "metrics: records produced" grep -q '^kgw_producer_records_produced_total 1[0-9]' <<<"$m"
check "metrics: delivery latency histogram" grep -q '^kgw_producer_delivery_latency_seconds_count [1-9]' <<<"$m"
check "metrics: queue length and in-flight" bash -c "grep -q '^kgw_producer_kafka_queue_messages ' <<<'$m' && grep -q '^kgw_producer_inflight_requests 0' <<<'$m'"
finish
