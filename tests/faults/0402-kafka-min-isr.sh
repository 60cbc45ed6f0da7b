#!/usr/bin/env bash
# Real Kafka: min.insync.replicas violated. Two ways, because in a 3-node KRaft
# cluster whose nodes are also the controllers, 2 nodes down is also the loss
# of the controller quorum:
#   1. a topic with min.insync.replicas=3 and one broker SIGKILLed: the quorum
#      stays, the controller shrinks the ISR to 2, and the leaders refuse
#      acks=all writes with NOT_ENOUGH_REPLICAS;
#   2. the cluster's own min.insync.replicas=2 and 2 brokers SIGKILLed: no
#      controller, no leader election, no ISR change.
# Each /produce must be answered within message.timeout.ms plus slack, never
# 200 and never a hang, with one of the two documented answers: 500 naming
# NOT_ENOUGH_REPLICAS, or 504 _MSG_TIMED_OUT. Measured on Kafka 4.4: always
# the 504, because the idempotent producer retries NOT_ENOUGH_REPLICAS (a
# retriable error) until message.timeout.ms. /produce must succeed again once
# the brokers are back. /ready is sampled while 2 brokers are down and
# reported (it answers 200 while a broker answers metadata, as documented).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
real_kafka_only "stops 2 of 3 real brokers"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"
# shellcheck source=tests/lib/kafka.sh
source "$ROOT/tests/lib/kafka.sh"

BOOTSTRAP=$KGW_TEST_BROKERS
T2=kf-isr2-$RUN_ID
T3=kf-isr3-$RUN_ID
DEADLINE=45 # message.timeout.ms (30 s) plus slack

create_topic "$T2" 3
"$ROOT/bin/kafka-cluster.sh" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --create --topic "$T3" --partitions 3 --replication-factor 3 --config min.insync.replicas=3 \
    >"$TMP/topic3.out" 2>&1 || { cat "$TMP/topic3.out"; exit 1; }
wait_until 30 isr_full "$T3" || true

start_producer
wait_until 30 status_is "$URL/ready" 200 || { cat "$TMP/producer.err"; exit 1; }
for t in "$T2" "$T3"; do
    r=$(post /produce "{\"topic\":\"$t\",\"key\":\"before\",\"payload\":{\"n\":0}}")
    check_eq "$t: 200 with all brokers up" 200 "$(status_of "$r")"
done

# produce_each NAME TOPIC: one /produce per partition, in parallel, in the
# background; "<partition> <status> <seconds> <body>" lines in $TMP/NAME.
produce_each() {
    local name=$1 topic=$2 p
    : >"$TMP/$name"
    for p in 0 1 2; do
        (
            out=$(curl -s --max-time "$DEADLINE" -w '\n%{http_code} %{time_total}' \
                -H 'Content-Type: application/json' \
                --data "{\"topic\":\"$topic\",\"partition\":$p,\"payload\":{\"p\":$p}}" \
                "$URL/produce") || true
            last=${out##*$'\n'}
            printf '%s %s %s\n' "$p" "$last" "${out%$'\n'*}" >>"$TMP/$name"
        ) &
        PIDS+=($!)
    done
}
answers_are() { [ "$(wc -l <"$TMP/$1")" -ge "$2" ]; }
# summary NAME: "status xN" counts and the distinct kafka_error values.
summary() {
    awk '{print $2}' "$TMP/$1" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}'
    grep -o '"kafka_error":"[^"]*"' "$TMP/$1" | sort -u | tr '\n' ' '
}
# documented_5xx NAME: every answer is 500 naming NOT_ENOUGH_REPLICAS or 504
# _MSG_TIMED_OUT (README, status codes).
documented_5xx() {
    awk '!(($2 == 500 && /NOT_ENOUGH_REPLICAS/) || ($2 == 504 && /_MSG_TIMED_OUT/)) {bad = 1}
        END {exit bad}' "$TMP/$1"
}
isr_without() {
    metadata "$1" | awk -v b="$2" '$1 == "partition" { if (("," $NF ",") ~ ("," b ",")) bad = 1 } END { exit bad }'
}

# 1. One broker down, a topic that needs all 3 in sync.
X=3
broker_kill "$X"
t0=$SECONDS
check "isr3: ISR shrinks without broker $X" wait_until 40 isr_without "$T3" "$X"
note "isr3: ISR shrank $((SECONDS - t0)) s after the kill"
produce_each isr3 "$T3"
produce_each isr3-ok "$T2"
check "isr3: every request answered" wait_until $((DEADLINE + 10)) answers_are isr3 3
wait_until 10 answers_are isr3-ok 3 || true
note "isr3 answers: $(summary isr3)"
sed 's/^/# isr3: /' "$TMP/isr3"
check "isr3: no 200 while only 2 of the 3 required replicas are in sync" \
    bash -c "! awk '\$2 == 200' '$TMP/isr3' | grep -q ."
check "isr3: answered 500 NOT_ENOUGH_REPLICAS or 504 _MSG_TIMED_OUT" documented_5xx isr3
check "isr3: the topic with min.insync.replicas=2 still takes writes" \
    bash -c "awk '\$2 != 200 {bad=1} END {exit bad}' '$TMP/isr3-ok'"
check "isr3: ready with 2 brokers up" status_is "$URL/ready" 200
fault_row "kafka: min.insync.replicas=3, 1 broker down" 3 0 0 "$(rss_kb "$PRODUCER_PID")" \
    "3/3 answered: $(summary isr3)"

# 2. A second broker down: the cluster's min.insync.replicas=2 is violated and
# the controller quorum is gone.
Y=2
broker_kill "$Y"
t0=$SECONDS
produce_each isr2 "$T2"
(
    while :; do
        http_status "$URL/ready" --max-time 2
        echo
        sleep 0.5 # sampling period, not a wait for a result
    done
) >"$TMP/ready-samples" 2>/dev/null &
READY_SAMPLER=$!
PIDS+=("$READY_SAMPLER")
check "isr2: every request answered" wait_until $((DEADLINE + 10)) answers_are isr2 3
note "isr2 answers: $(summary isr2)"
sed 's/^/# isr2: /' "$TMP/isr2"
check "isr2: no 200 with 1 of 3 brokers up" bash -c "! awk '\$2 == 200' '$TMP/isr2' | grep -q ."
check "isr2: answered 500 NOT_ENOUGH_REPLICAS or 504 _MSG_TIMED_OUT" documented_5xx isr2
kill "$READY_SAMPLER" 2>/dev/null || true
ready=$(sort "$TMP/ready-samples" | uniq -c | awk '{printf "%s x%s ", $2, $1}')
note "isr2: /ready while 1 of 3 brokers is up: $ready"
fault_row "kafka: min.insync.replicas=2, 2 brokers down" 3 0 0 "$(rss_kb "$PRODUCER_PID")" \
    "3/3 answered: $(summary isr2); /ready samples $ready"

# Both back.
t0=$SECONDS
broker_start "$Y" &
start_y=$!
broker_start "$X"
wait "$start_y" || true
note "brokers $X and $Y back in $((SECONDS - t0)) s"
check "ready once the brokers are back" wait_until 30 status_is "$URL/ready" 200
produce_after() {
    local r
    r=$(post /produce "{\"topic\":\"$1\",\"key\":\"after\",\"payload\":{\"n\":1}}")
    [ "$(status_of "$r")" = 200 ]
}
t0=$SECONDS
check "$T2: 200 again after the brokers returned" wait_until 60 produce_after "$T2"
check "$T3: 200 again after the brokers returned" wait_until 60 produce_after "$T3"
note "writes accepted again $((SECONDS - t0)) s after both brokers answered metadata"
check "producer healthy" status_is "$URL/health" 200
stop_pid "$PRODUCER_PID"
finish
