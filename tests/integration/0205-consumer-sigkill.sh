#!/usr/bin/env bash
# kgw-consumer at-least-once: SIGKILL mid-stream, then a restart in the same
# group, delivers every record; the duplicates are counted and stay within the
# window of what was in flight or done but not yet committed
# (-rate x (commit interval + commit latency) + -workers). SIGTERM mid-stream
# exits 0 and commits what was delivered.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"
# A SIGKILLed member keeps its partitions until its session expires (45 s by default),
# so the consumers here use a 6 s session.

T=kill-$RUN_ID
G=g-kill-$RUN_ID
N=1500
RATE=200
WORKERS=4
start_devcluster --brokers 3 --topic "$T:4"
produce "$T" "$N"
start_receiver recv

delivered() { recv_ids "$RECV_LOG" | sort -u | wc -l; }
at_least() { [ "$(delivered)" -ge "$1" ]; }

start_consumer cons1 -topic "$T" -group "$G" -workers "$WORKERS" -rate "$RATE" -commit-interval 200 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
check "first run delivers some records" wait_until 60 at_least 400
kill -KILL "$CONSUMER_PID"
wait "$CONSUMER_PID" 2>/dev/null || true
before=$(delivered)
note "SIGKILL after $before records"

start_consumer cons2 -topic "$T" -group "$G" -workers "$WORKERS" -rate "$RATE" -commit-interval 200 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
check "second run: SIGTERM mid-stream" wait_until 60 at_least 900
kill -TERM "$CONSUMER_PID"
rc=0
wait "$CONSUMER_PID" || rc=$?
check_eq "SIGTERM: exit 0" 0 "$rc"
check "SIGTERM: graceful shutdown logged" grep -q 'final commit' "$TMP/cons2.err"
d2=$(delivered)
c2=$(committed_sum "$G" "$T" 4)
# Records delivered after their partition's commit position are redelivered
# next time, so the commit is at most what was delivered.
check "SIGTERM: committed ($c2) covers what was delivered in order, never more than delivered ($d2)" \
    test "$c2" -le "$d2" -a "$c2" -ge $((d2 - WORKERS))

start_consumer cons3 -topic "$T" -group "$G" -workers "$WORKERS" -commit-interval 200 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
check "after the restarts every record was delivered" wait_until 60 at_least "$N"
kill -TERM "$CONSUMER_PID"
wait "$CONSUMER_PID" || true
total=$(recv_ids "$RECV_LOG" | wc -l)
dups=$((total - N))
window=$((RATE * 7 / 10 + WORKERS))
note "records $N, requests $total, duplicates $dups (window $window)"
check "duplicates ($dups) within the in-flight/uncommitted window ($window)" test "$dups" -le "$window"
check_eq "committed offsets reach the end" "$N" "$(committed_sum "$G" "$T" 4)"
finish
