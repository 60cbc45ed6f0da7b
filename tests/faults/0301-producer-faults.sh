#!/usr/bin/env bash
# Producer fault suite: load through kgw-producer while kgw-devcluster loses a
# broker, moves leaders, answers produce requests with injected retriable and
# non-retriable errors, and goes entirely down for 10 s. Every HTTP request
# must be answered within its deadline, every acknowledged record must be in
# Kafka exactly once at the offset we were told, and memory must stay bounded.
# On real Kafka (make test-kafka): the broker outage is a clean stop and
# restart of node 2, and "entirely down" is all 3 nodes SIGSTOPped for 10 s
# (they stop answering, as in a network partition); moved leaders and
# injected errors need the mock's controls and run on kgw-devcluster only.
# There the broker validates idempotent sequences, so a record acknowledged
# without an offset must be in Kafka too.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"

N=${KGW_FAULT_REQUESTS:-1000}
DEADLINE=40 # per request: librdkafka's message.timeout.ms (30 s) plus slack
RSS_LIMIT_KB=$((150 * 1024))

start_devcluster --brokers 3 --topic "fa-down-$RUN_ID:6" --topic "fa-leader-$RUN_ID:6" --topic "fa-errors-$RUN_ID:6" \
    --topic "fa-outage-$RUN_ID:6"
PORT=$(free_port)
start_bg producer "$BUILD/kgw-producer" --brokers "$BOOTSTRAP" --port "$PORT" --listen 127.0.0.1
PRODUCER_PID=$LAST_PID
URL=http://127.0.0.1:$PORT
wait_until 30 curl -sf -o /dev/null "$URL/ready" || { cat "$TMP/producer.err"; exit 1; }

# verify NAME TOPIC WHAT: checks one load run and adds its row to the table.
verify() {
    local name=$1 topic=$2 what=$3 out dups
    wait_until $((DEADLINE + 30)) load_done || not_ok "$what: load did not finish"
    out=$(produce_verify "$name" "$N" "$topic")
    note "$what: $out"
    check_eq "$what: every request answered" "$N" "$(json_field "$out" answered)"
    check "$what: slowest answer within ${DEADLINE}s" \
        python3 -c "import sys; sys.exit(0 if float('$(json_field "$out" max_seconds)') < $DEADLINE else 1)"
    check_eq "$what: no acknowledged record lost" 0 "$(json_field "$out" lost)"
    if real_kafka; then
        check_eq "$what: records acknowledged without an offset are in Kafka" 0 \
            "$(json_field "$out" null_offset_missing)"
    elif [ "$(json_field "$out" null_offset_missing)" != 0 ]; then
        note "$what: $(json_field "$out" null_offset_missing) records acknowledged without an" \
            "offset are missing: the 2.0.2 mock does not validate idempotent sequences (see" \
            "tests/tools/produce_check.py); not a kgw loss"
    fi
    dups=$(json_field "$out" duplicates)
    if real_kafka; then
        check_eq "$what: no acknowledged record duplicated" 0 "$dups"
    else
        # A broker taken down between storing a batch and answering it makes
        # librdkafka send the batch again, and the 2.0.2 mock stores it twice
        # (see tests/tools/produce_check.py). Any other duplicate fails.
        check_eq "$what: no acknowledged record duplicated, but for the mock's stored resends" \
            "$(json_field "$out" resent_duplicates)" "$dups"
        [ "$dups" = 0 ] || note "$what: $dups records stored twice by the mock, a batch resent" \
            "after its answer was lost: $(json_field "$out" dup_copies)"
    fi
    check_eq "$what: acknowledged partition/offset match Kafka" 0 "$(json_field "$out" mismatched)"
    check "$what: some records acknowledged" test "$(json_field "$out" acked)" -gt 0
    check "$what: producer still healthy" status_is "$URL/health" 200
    fault_row "producer: $what" "$N" "$(json_field "$out" lost)" "$dups" "$(rss_kb "$PRODUCER_PID")"
}

# 1. A broker down during load, then back.
produce_load down "$URL" "fa-down-$RUN_ID" "$N" 16 "$DEADLINE"
wait_until 60 answered_ge down $((N / 4)) || true
if real_kafka; then kafka_down 2; else dc_cmd broker down 2; fi
# Down for 5 s (the fault itself): long enough that every client is stuck on
# one of its partitions, short of message.timeout.ms, so those requests must
# be answered 200 once it is back. (Waiting for N/2 answers instead kept it
# down until the stuck requests timed out, 30 s, and the phase took 60.)
t0=$SECONDS
wait_until 8 elapsed_ge "$t0" 5 || true
if real_kafka; then kafka_up 2; else dc_cmd broker up 2; fi
verify down "fa-down-$RUN_ID" "broker 2 down mid-load"

if real_kafka; then
    note "skip: moved leaders and injected produce errors need kgw-devcluster"
else
    # 2. Partition leaders move during load.
    produce_load leader "$URL" "fa-leader-$RUN_ID" "$N" 16 "$DEADLINE"
    for p in 0 1 2 3 4 5; do
        wait_until 30 answered_ge leader $((N * (p + 1) / 8)) || true
        dc_cmd leader "fa-leader-$RUN_ID" "$p" $(((p + 1) % 3 + 1))
    done
    verify leader "fa-leader-$RUN_ID" "leaders moved mid-load"

    # 3. Injected retriable then non-retriable produce errors.
    produce_load errors "$URL" "fa-errors-$RUN_ID" "$N" 16 "$DEADLINE"
    wait_until 30 answered_ge errors $((N / 5)) || true
    dc_cmd errors push Produce 30 NOT_LEADER_FOR_PARTITION,REQUEST_TIMED_OUT,NOT_ENOUGH_REPLICAS
    wait_until 30 answered_ge errors $((N / 2)) || true
    dc_cmd errors push Produce 3 INVALID_RECORD
    verify errors "fa-errors-$RUN_ID" "injected retriable and fatal produce errors"
    codes=$(cut -d' ' -f2 "$TMP/errors/statuses" | sort | uniq -c | tr -s ' \n' ' ')
    note "status codes with injected errors: $codes"
fi

# 4. Kafka entirely down for 10 s, then back.
produce_load outage "$URL" "fa-outage-$RUN_ID" "$N" 16 "$DEADLINE"
wait_until 30 answered_ge outage $((N / 5)) || true
for b in 1 2 3; do
    if real_kafka; then kafka_pause "$b"; else dc_cmd broker down "$b"; fi
done
outage_start=$SECONDS
check "not ready while Kafka is down" wait_until 20 status_is "$URL/ready" 503
check "health stays 200 while Kafka is down" status_is "$URL/health" 200
# The outage lasts 10 s by design (this is the fault, not a wait for a result).
wait_until 15 elapsed_ge "$outage_start" 10 || true
for b in 1 2 3; do
    if real_kafka; then kafka_resume "$b"; else dc_cmd broker up "$b"; fi
done
check "ready again after Kafka is back" wait_until 30 status_is "$URL/ready" 200
verify outage "fa-outage-$RUN_ID" "Kafka entirely down for 10 s"

rss=$(rss_kb "$PRODUCER_PID")
note "producer peak RSS ${rss} KiB"
if memory_bounds_apply; then
    check "producer memory bounded (peak RSS ${rss} KiB < $RSS_LIMIT_KB KiB)" test "$rss" -lt "$RSS_LIMIT_KB"
fi
stop_pid "$PRODUCER_PID"
finish
