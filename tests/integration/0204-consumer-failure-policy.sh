#!/usr/bin/env bash
# kgw-consumer -on-failure: permanently refused records are dead-lettered with
# their metadata (Kafka Connect's __connect.errors.* headers and kgw's own),
# or skipped, or stop the process (exit 1) without committing past them; a
# target that is down is an outage, not a failure: under -on-failure stop the
# circuit breaker holds the records and nothing is committed past them. In every case the records behind a bad one are not held back
# (dlq, skip).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

start_devcluster --brokers 3 --topic "src-$RUN_ID:1" --topic "dlq-$RUN_ID:1"
T=src-$RUN_ID
# 20 records on one partition; offsets 5 and 12 are "poison" (the receiver answers 400).
seq 0 19 | awk '{ if ($1 == 5 || $1 == 12) printf "k%d\t{\"poison\":%d}\n", $1, $1; else printf "k%d\t{\"n\":%d}\n", $1, $1 }' |
    kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t' -H origin=test

# --- dlq ---
start_receiver recv-dlq --fail-match poison --fail-match-status 400
start_consumer cons-dlq -topic "$T" -group "g-dlq-$RUN_ID" -dlq-topic "dlq-$RUN_ID" -max-messages 20
wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
rc=0
wait "$CONSUMER_PID" || rc=$?
check_eq "dlq: exit 0" 0 "$rc"
check_eq "dlq: 18 good records delivered" 18 "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"
check_eq "dlq: 400 is permanent (not retried)" 2 "$(recv_ids "$RECV_LOG" 400 | wc -l)"
dlq=$(kcat -C -b "$BOOTSTRAP" -t "dlq-$RUN_ID" -e -q -f '%k|%s|%h\n')
note "dlq: $(head -1 <<<"$dlq")"
check_eq "dlq: 2 records dead-lettered" 2 "$(grep -c . <<<"$dlq")"
check "dlq: original key and value kept" grep -q '^k5|{"poison":5}|' <<<"$dlq"
check "dlq: original headers kept" grep -q 'origin=test' <<<"$dlq"
check "dlq: Kafka Connect headers" grep -q "__connect.errors.topic=$T,__connect.errors.partition=0,__connect.errors.offset=12" <<<"$dlq"
check "dlq: exception message names the status" grep -q '__connect.errors.exception.message=HTTP 400' <<<"$dlq"
check "dlq: kgw's status and attempt count" grep -q 'kgw.errors.http.status=400,kgw.errors.attempts=1' <<<"$dlq"
check_eq "dlq: committed past the dead-lettered records" "0 20" "$(committed "g-dlq-$RUN_ID" "$T" 1)"

# --- skip ---
start_receiver recv-skip --fail-match poison --fail-match-status 422
start_consumer cons-skip -topic "$T" -group "g-skip-$RUN_ID" -on-failure skip -max-messages 20
wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
check_eq "skip: 18 good records delivered" 18 "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"
check_eq "skip: logged at error level, twice" 2 "$(grep -c 'ERROR .*delivery failed, skipped' "$TMP/cons-skip.err")"
check "skip: the log line names the HTTP status as the error" \
    grep -q 'delivery failed, skipped .*status=\(4[0-9][0-9]\) .*error="HTTP \1"' "$TMP/cons-skip.err"
check_eq "skip: committed to the end" "0 20" "$(committed "g-skip-$RUN_ID" "$T" 1)"

# --- stop ---
start_receiver recv-stop --fail-match poison --fail-match-status 400
start_consumer cons-stop -topic "$T" -group "g-stop-$RUN_ID" -on-failure stop -workers 1
wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
rc=0
wait "$CONSUMER_PID" || rc=$?
check_eq "stop: exit status 1" 1 "$rc"
check_eq "stop: committed up to, not past, the failed record (offset 5)" "0 5" "$(committed "g-stop-$RUN_ID" "$T" 1)"
# A restart redelivers from the failed record.
start_receiver recv-stop2
start_consumer cons-stop2 -topic "$T" -group "g-stop-$RUN_ID" -max-messages 15
wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
check "stop: a restart resumes at the failed record" bash -c "python3 -c '
import json,sys
ids=[json.loads(l)[\"headers\"][\"webhook-id\"] for l in open(sys.argv[1])]
sys.exit(0 if ids[0]==\"$T-0-5\" and len(ids)==15 else 1)' '$RECV_LOG'"

# --- target down, -on-failure stop: an outage is waited out, never a failure ---
DOWN=http://127.0.0.1:$(free_port)/hook
start_bg cons-down "$CONSUMER" -broker "$BOOTSTRAP" -target-url "$DOWN" -topic "$T" \
    -group "g-down-$RUN_ID" -on-failure stop -retries 2 -timeout 2 -breaker-backoff 100
pid=$LAST_PID
breaker_open() { grep -q 'circuit breaker open' "$TMP/cons-down.err"; }
check "target down: the breaker opens (after the immediate retries)" wait_until 30 breaker_open
check "target down: transport errors logged" grep -q 'delivery attempt failed .*status=0 attempt=2' "$TMP/cons-down.err"
check "target down: still running, not stopped" alive "$pid"
check_eq "target down: nothing committed" "0 -1001" "$(committed "g-down-$RUN_ID" "$T" 1)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
check_eq "target down: SIGTERM exits 0" 0 "$rc"
finish
