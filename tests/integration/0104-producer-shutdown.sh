#!/usr/bin/env bash
# SIGTERM: kgw-producer stops accepting, answers the requests still waiting
# for Kafka (slow brokers keep them in flight), and exits 0. Requests are
# kept waiting by broker RTT on kgw-devcluster and, on real Kafka, by
# linger.ms (records wait in librdkafka's queue; the shutdown flush sends them).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="term-$RUN_ID"
start_devcluster --brokers 3 --topic "$T:4"
if real_kafka; then
    start_producer -X linger.ms=1500
else
    start_producer
fi
r=$(post /produce "{\"topic\":\"$T\",\"payload\":\"warm-up\"}")
check_eq "warm-up produce" 200 "$(status_of "$r")"

# Slow brokers: every produce takes about 1.5 s, so requests are in flight.
real_kafka || for b in 1 2 3; do dc_cmd broker rtt "$b" 1500 >/dev/null; done
keepalive_load inflight "$URL" "$T" 40 8 30
# Wait for all 8 connections to have a request in flight: SIGTERM sooner
# would let a connection send its next request during the drain (503).
check "8 requests are in flight" wait_until 10 bash -c \
    "curl -s '$URL/metrics' | grep -q '^kgw_producer_inflight_requests 8$'"
term_wait "$PRODUCER_PID"
check_eq "exits 0 on SIGTERM" 0 "$EXIT_CODE"
check "load client finished" wait_until 30 load_done
real_kafka || for b in 1 2 3; do dc_cmd broker rtt "$b" 0 >/dev/null; done
res=$(produce_verify inflight 40 "$T")
note "$res"
acked=$(json_field "$res" acked)
s200=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["statuses"].get("200", 0))' "$res")
check_eq "the 8 requests in flight at SIGTERM were answered 200" 8 "$s200"
others=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1])["statuses"]; print(sorted(k for k in s if k not in ("200","000")))' "$res")
check_eq "later requests were refused (connection closed), none got another status" "[]" "$others"
check_eq "no acknowledged record lost" 0 "$(json_field "$res" lost)"
check_eq "no duplicates" 0 "$(json_field "$res" duplicates)"
check "shutdown logged" grep -q "shutting down signal=Terminated" "$TMP/producer.err"
check "nothing left unanswered" grep -q "stopped unanswered=0" "$TMP/producer.err"
check_eq "acknowledged = answered 200" "$s200" "$acked"
check "no new connections after shutdown" bash -c "! curl -s --max-time 2 '$URL/health'"
finish
