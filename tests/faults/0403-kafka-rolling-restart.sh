#!/usr/bin/env bash
# Real Kafka: a rolling restart. Each of the 3 brokers in turn is stopped
# cleanly (SIGTERM: controlled shutdown, leaders move first), started again, and
# the next one waits until every replica is back in sync, the way operators
# upgrade a cluster. Meanwhile 8 clients POST /produce at a steady rate and 3
# kgw-consumers in one group forward the topic to a receiver. Checks: every
# request answered; every record answered 200 in Kafka exactly once; consumers
# lose nothing, never commit ahead of delivery (sampled every 0.3 s), and
# deliver duplicates only within the documented window.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
real_kafka_only "restarts every real broker"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"
# shellcheck source=tests/lib/kafka.sh
source "$ROOT/tests/lib/kafka.sh"

BOOTSTRAP=$KGW_TEST_BROKERS
N=${KGW_FAULT_RECORDS:-6000} # at most; the load stops when the last broker is back
RATE=20                      # requests/s, for as long as the restarts take
DEADLINE=45
WORKERS=8
COMMIT_MS=500
TOPIC=kf-roll-$RUN_ID
GROUP=$TOPIC
OFFSETS=$BUILD/tests/kafka-offsets

create_topic "$TOPIC" 6
start_producer
wait_until 30 status_is "$URL/ready" 200 || { cat "$TMP/producer.err"; exit 1; }
start_bg recv python3 "$ROOT/tests/tools/receiver.py" --port-file "$TMP/recv.port" --log "$TMP/recv.jsonl"
wait_until 20 test -s "$TMP/recv.port"
RECV_URL=http://127.0.0.1:$(cat "$TMP/recv.port")

CONSUMERS=()
for c in 1 2 3; do
    start_bg "c$c" "$BUILD/kgw-consumer" -broker "$BOOTSTRAP" -topic "$TOPIC" -group "$GROUP" \
        -target-url "$RECV_URL/hook" -workers "$WORKERS" -commit-interval "$COMMIT_MS"
    CONSUMERS+=("$LAST_PID")
done

start_commit_sampler "$TMP/recv.jsonl" "$TMP/samples"

t0=$SECONDS
keepalive_load roll "$URL" "$TOPIC" "$N" 8 "$DEADLINE" "$RATE"
wait_until 30 answered_ge roll 200 || true
for b in 1 2 3; do
    ts=$SECONDS
    broker_term "$b"
    tstop=$((SECONDS - ts))
    broker_start "$b"
    tstart=$((SECONDS - ts))
    check "broker $b: replicas back in sync after its restart" wait_until 90 isr_full "$TOPIC"
    note "broker $b: stopped in ${tstop} s, answering after ${tstart} s, ISR full after $((SECONDS - ts)) s" \
        "($(load_answered roll) requests answered)"
done
touch "$TMP/roll/stop"
check "load finished" wait_until $((DEADLINE + 30)) load_done
note "restarts and load took $((SECONDS - t0)) s"

sent=$(wc -l <"$TMP/roll/statuses")
check "the load ran through the three restarts ($sent requests)" test "$sent" -lt "$N"
out=$(produce_verify roll "$N" "$TOPIC")
note "producer: $out"
check_eq "producer: every request answered" "$sent" "$(json_field "$out" answered)"
check_eq "producer: no acknowledged record lost" 0 "$(json_field "$out" lost)"
check_eq "producer: no acknowledged record duplicated" 0 "$(json_field "$out" duplicates)"
check_eq "producer: acknowledged partition/offset match Kafka" 0 "$(json_field "$out" mismatched)"
check_eq "producer: no 200 without an offset" 0 "$(json_field "$out" acked_without_offset)"
fault_row "kafka: rolling restart, producer" "$sent" "$(json_field "$out" lost)" \
    "$(json_field "$out" duplicates)" "$(rss_kb "$PRODUCER_PID")" \
    "$(json_field "$out" answered)/$sent answered, $(json_field "$out" acked) acked, $(json_field "$out" statuses)"

lag_zero() {
    "$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" 2>/dev/null | grep -q ' lag 0$'
}
check "consumers: committed offsets reach the end" wait_until 90 lag_zero
kill "$SAMPLER_PID" 2>/dev/null || true
kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -e -q -f '%p %o\n' >"$TMP/records"
out=$(python3 "$ROOT/tests/tools/consumer_check.py" --records "$TMP/records" --log "$TMP/recv.jsonl" \
    --samples "$TMP/samples")
note "consumers: $out"
rebalances=$(cat "$TMP"/c[123].err | grep -c 'partitions assigned' || true)
# The documented window: at each rebalance and each coordinator restart, what
# one member had in flight and finished since its last commit (-workers +
# record rate x commit interval).
window=$(((rebalances + 3) * (WORKERS * 2 + RATE * COMMIT_MS / 1000 + 1)))
note "consumers: $rebalances assignments logged, duplicate window $window"
check_eq "consumers: no record lost" 0 "$(json_field "$out" lost)"
check_eq "consumers: no commit ahead of delivery ($(json_field "$out" samples) samples)" 0 \
    "$(json_field "$out" commit_violations)"
check "consumers: duplicates ($(json_field "$out" duplicates)) within the window ($window)" \
    test "$(json_field "$out" duplicates)" -le "$window"
for pid in "${CONSUMERS[@]}"; do
    check "consumer $pid still running" alive "$pid"
done
rss=0
for pid in "${CONSUMERS[@]}"; do
    r=$(rss_kb "$pid")
    [ "$r" -le "$rss" ] || rss=$r
done
fault_row "kafka: rolling restart, 3 consumers" "$(json_field "$out" records)" \
    "$(json_field "$out" lost)" "$(json_field "$out" duplicates)" "$rss" \
    "$(json_field "$out" delivered) delivered, $(json_field "$out" requests) requests"
for pid in "${CONSUMERS[@]}"; do stop_pid "$pid"; done
stop_pid "$PRODUCER_PID"
finish
