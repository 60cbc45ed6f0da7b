#!/usr/bin/env bash
# Real Kafka: the broker leading the most partitions is SIGKILLed while 16
# clients POST single records and 4 more POST 20-record batches; then, in a
# second run, a leader is SIGSTOPped for 20 s and SIGCONTed (a partition or a
# long GC pause). Every request must be answered within its deadline, every
# record answered 200 must be in Kafka exactly once at the partition and
# offset the client was told, and no 200 may carry "offset": null (the broker
# validates idempotent sequences, so librdkafka never has to infer one here).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
real_kafka_only "SIGKILL/SIGSTOP of a real broker"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"
# shellcheck source=tests/lib/kafka.sh
source "$ROOT/tests/lib/kafka.sh"

N=${KGW_FAULT_REQUESTS:-1000}   # single-record requests per run
BATCHES=$((N / 20))             # plus this many 20-record batches
DEADLINE=45                     # per request: message.timeout.ms (30 s) plus slack on 2 busy cores
BOOTSTRAP=$KGW_TEST_BROKERS

start_producer
wait_until 30 status_is "$URL/ready" 200 || { cat "$TMP/producer.err"; exit 1; }

# batch_load NAME TOPIC: the batch clients, beside keepalive_load's singles.
batch_load() {
    mkdir -p "$TMP/$1b"
    python3 "$ROOT/tests/tools/batch_load.py" "$URL" "$2" "$BATCHES" 20 4 "$DEADLINE" "$TMP/$1b" \
        >"$TMP/$1b/load.out" 2>&1 &
    BATCH_PID=$!
    PIDS+=("$BATCH_PID")
}
batch_done() { ! kill -0 "$BATCH_PID" 2>/dev/null; }

# check_run NAME TOPIC RECORDS REQUESTS WHAT: the checks on one load (singles
# or batches), and its row in the fault table.
check_run() {
    local name=$1 topic=$2 records=$3 requests=$4 what=$5 out
    out=$(produce_verify "$name" "$records" "$topic")
    note "$what: $out"
    check_eq "$what: every request answered" "$requests" "$(json_field "$out" answered)"
    check "$what: slowest answer within ${DEADLINE}s" \
        python3 -c "import sys; sys.exit(0 if float('$(json_field "$out" max_seconds)') < $DEADLINE else 1)"
    check_eq "$what: no acknowledged record lost" 0 "$(json_field "$out" lost)"
    check_eq "$what: no acknowledged record duplicated" 0 "$(json_field "$out" duplicates)"
    check_eq "$what: acknowledged partition/offset match Kafka" 0 "$(json_field "$out" mismatched)"
    check_eq "$what: no 200 without an offset" 0 "$(json_field "$out" acked_without_offset)"
    check "$what: some records acknowledged" test "$(json_field "$out" acked)" -gt 0
    fault_row "kafka: $what" "$records" "$(json_field "$out" lost)" \
        "$(json_field "$out" duplicates)" "$(rss_kb "$PRODUCER_PID")" \
        "$(json_field "$out" answered)/$requests answered, $(json_field "$out" acked) acked, $(json_field "$out" statuses)"
}

# run_fault NAME WHAT FAULT: loads two fresh topics, runs FAULT (a function
# given the victim broker) once a quarter of the singles answered, checks.
run_fault() {
    local name=$1 what=$2 fault=$3 topic=kf-$1-$RUN_ID victim t0
    create_topic "$topic" 6
    create_topic "$topic-b" 6
    victim=$(top_leader "$topic")
    t0=$SECONDS
    keepalive_load "$name" "$URL" "$topic" "$N" 16 "$DEADLINE"
    batch_load "$name" "$topic-b"
    wait_until 60 answered_ge "$name" $((N / 4)) || true
    note "$what: broker $victim (leads $(metadata "$topic" | grep -c "leader $victim,") of 6)" \
        "at $(load_answered "$name") answered"
    "$fault" "$victim"
    wait_until $((DEADLINE + 60)) load_done || not_ok "$what: single-record load did not finish"
    wait_until $((DEADLINE + 30)) batch_done || not_ok "$what: batch load did not finish"
    note "$what: load done in $((SECONDS - t0)) s"
    check "$what: producer healthy" status_is "$URL/health" 200
    check_run "$name" "$topic" "$N" "$N" "$what (singles)"
    check_run "${name}b" "$topic-b" $((BATCHES * 20)) "$BATCHES" "$what (20-record batches)"
    broker_start "$victim"
    check "$what: all replicas back in sync" wait_until 90 isr_full "$topic"
}

kill_leader() {
    broker_kill "$1"
    # The load runs on while it is down; it comes back after the checks.
}

pause_leader() {
    local t0=$SECONDS
    broker_pause "$1"
    check "pause: ready while 2 brokers answer" status_is "$URL/ready" 200
    # The 20 s pause is the fault itself, not a wait for a result.
    wait_until 25 elapsed_ge "$t0" 20 || true
    broker_resume "$1"
}

run_fault kill "leader SIGKILLed under load" kill_leader
run_fault pause "leader SIGSTOPped 20 s" pause_leader
check "producer ready at the end" wait_until 30 status_is "$URL/ready" 200
stop_pid "$PRODUCER_PID"
finish
