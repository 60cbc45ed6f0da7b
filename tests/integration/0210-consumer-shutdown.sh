#!/usr/bin/env bash
# kgw-consumer shutdown: the teardown runs from a timer, never inside the
# callback that noticed the end (a last record settled by the dead-letter
# producer's own delivery report used to wait 5 s in rd_kafka_flush on the
# very message being reported); the final commit line counts what it says;
# a consumer that never reached Kafka does not claim to have left a group;
# the dead-letter producer's errors are served from startup, not from its
# first send.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

start_devcluster --brokers 1 --topic "src-$RUN_ID:1" --topic "dlq-$RUN_ID:1" --topic "four-$RUN_ID:4"
T=src-$RUN_ID

# --- {ok, ok, poison}, -max-messages 3 -workers 1: the last record is settled
# by a dead-letter report, and the exit follows at once.
printf 'k0\t{"n":0}\nk1\t{"n":1}\nk2\t{"poison":2}\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t'
start_receiver recv --fail-match poison --fail-match-status 400
start_consumer cons -topic "$T" -group "g-$RUN_ID" -dlq-topic "dlq-$RUN_ID" -max-messages 3 -workers 1
dead_lettered() { grep -q 'dead-lettered' "$TMP/cons.err"; }
check "dlq: the poison record is dead-lettered" wait_until 60 dead_lettered
t0=$(now_ms)
gone() { ! kill -0 "$CONSUMER_PID" 2>/dev/null; }
wait_until 30 gone || true
t1=$(now_ms)
rc=0
wait "$CONSUMER_PID" || rc=$?
note "dlq: exit $((t1 - t0)) ms after the last report (5000+ when the flush ran inside it)"
check_eq "dlq: exit 0" 0 "$rc"
check "dlq: exit within 3 s of the last record's report ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 3000
check "dlq: no dead-letter record left unacknowledged" bash -c "! grep -q 'unacknowledged at exit' '$TMP/cons.err'"
check_eq "dlq: committed past the dead-lettered record" "0 3" "$(committed "g-$RUN_ID" "$T" 1)"

# --- 300 records on 4 partitions: the final commit line tells them all.
F=four-$RUN_ID
produce "$F" 300
start_consumer cons4 -topic "$F" -group "g4-$RUN_ID" -max-messages 300 -workers 8
wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
line=$(grep 'final commit' "$TMP/cons4.err" || true)
note "4 partitions: ${line#* kgw-consumer: }"
check "final commit: names the 4 assigned partitions" grep -q 'final commit assigned_partitions=4 ' <<<"$line"
check "final commit: counts the 300 records" grep -q 'records_processed=300' <<<"$line"
check_eq "final commit: committed to the end" 300 "$(committed_sum "g4-$RUN_ID" "$F" 4)"

# --- a consumer that never reached Kafka: no "left the group", and the
# dead-letter producer's connection errors are logged from the start.
# Port 1 (tcpmux): privileged and unused, so it refuses for the whole test; a
# free_port() could be taken meanwhile by another test's broker.
DEAD=127.0.0.1:1
start_bg nokafka "$CONSUMER" -broker "$DEAD" -target-url "$RECV_URL" -topic "$T" -group "g-none-$RUN_ID" \
    -dlq-topic "dlq-$RUN_ID"
pid=$LAST_PID
dlq_error() { grep -q 'kafka error client=kgw-consumer-dlq' "$TMP/nokafka.err"; }
check "no kafka: the dead-letter producer's errors are logged before any send" wait_until 20 dlq_error
kill -TERM "$pid"
t0=$(now_ms)
wait_until 20 bash -c "! kill -0 $pid" || true
t1=$(now_ms)
rc=0
wait "$pid" || rc=$?
check_eq "no kafka: SIGTERM exits 0" 0 "$rc"
check "no kafka: exits within 10 s of SIGTERM ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 10000
check "no kafka: does not claim to have left the group" bash -c "! grep -q 'left the group' '$TMP/nokafka.err'"
check "no kafka: says it never joined" grep -q 'closed without having joined group=g-none' "$TMP/nokafka.err"
finish
