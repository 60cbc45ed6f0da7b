#!/usr/bin/env bash
# Real Kafka: consumer group churn with the real group coordinator and the
# default session.timeout.ms (45 s) and assignor (cooperative-sticky). Three
# kgw-consumers share a 6-partition topic; one is SIGKILLed, a fourth joins,
# one leaves cleanly (SIGTERM). Checks: 0 records lost, commits never ahead of
# delivery, duplicates within the window. Measures, from the consumers' own
# "partitions assigned" log lines, how long each change takes to rebalance:
# a kill is noticed only when the session times out; a clean leave and a join
# take a rebalance round.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
real_kafka_only "the real group coordinator's timings"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"

BOOTSTRAP=$KGW_TEST_BROKERS
N=${KGW_FAULT_RECORDS:-3000}
WORKERS=4
COMMIT_MS=500
RATE=15 # records/s per consumer: the run spans the churn
TOPIC=kf-churn-$RUN_ID
GROUP=$TOPIC
OFFSETS=$BUILD/tests/kafka-offsets

create_topic "$TOPIC" 6
seq 0 $((N - 1)) | awk '{printf "k%d:{\"seq\":%d}\n", $1 % 101, $1}' | kcat -P -b "$BOOTSTRAP" -t "$TOPIC" -K:
start_bg recv python3 "$ROOT/tests/tools/receiver.py" --port-file "$TMP/recv.port" --log "$TMP/recv.jsonl"
wait_until 20 test -s "$TMP/recv.port"
RECV_URL=http://127.0.0.1:$(cat "$TMP/recv.port")

# consumer NAME: one member with kgw's defaults (no session.timeout.ms override).
consumer() {
    start_bg "$1" "$BUILD/kgw-consumer" -broker "$BOOTSTRAP" -topic "$TOPIC" -group "$GROUP" \
        -target-url "$RECV_URL/hook" -workers "$WORKERS" -commit-interval "$COMMIT_MS" -rate "$RATE"
}

start_commit_sampler "$TMP/recv.jsonl" "$TMP/samples"

# owned NAME: partitions the member holds now, from its assign/revoke log lines.
owned() {
    awk '/partitions assigned/ { sub(/.*count=/, ""); n += $1 }
         /partitions revoked/ { sub(/.*count=/, ""); n -= $1 } END { print n + 0 }' "$TMP/$1.err"
}
total_owned() {
    local sum=0 m
    for m in "$@"; do sum=$((sum + $(owned "$m"))); done
    echo "$sum"
}
# all_owned MEMBERS...: true once the members together hold all 6 partitions
# and each holds at least one.
all_owned() {
    local m
    for m in "$@"; do [ "$(owned "$m")" -gt 0 ] || return 1; done
    [ "$(total_owned "$@")" -eq 6 ]
}
now_ms() { date +%s%3N; }
# last_assign_ms MEMBERS...: the time (ms) of the latest "partitions assigned"
# line with count > 0 among the members' logs.
last_assign_ms() {
    local m
    for m in "$@"; do grep 'partitions assigned count=[1-9]' "$TMP/$m.err" | tail -1; done |
        awk '{print $1}' | sort | tail -1 | python3 -c '
import sys, datetime
t = sys.stdin.read().strip()
print(int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000))'
}

consumer a
A=$LAST_PID
consumer b
consumer c
C=$LAST_PID
t=$(now_ms)
check "3 members share the 6 partitions" wait_until 60 all_owned a b c
note "initial join of 3 members: $(($(last_assign_ms a b c) - t)) ms"

# 1. SIGKILL a member: its partitions wait for the session timeout.
wait_until 30 bash -c "[ \$(wc -l <'$TMP/recv.jsonl') -ge 300 ]" || true
before_a=$(owned a)
t=$(now_ms)
kill -KILL "$A"
wait "$A" 2>/dev/null || true
check "kill: the 2 survivors take over all 6 partitions" wait_until 90 all_owned b c
KILL_MS=$(($(last_assign_ms b c) - t))
note "kill: member a (held $before_a) SIGKILLed; its partitions reassigned after $KILL_MS ms"

# 2. A fourth member joins.
consumer d
t=$(now_ms)
check "join: the new member gets partitions" wait_until 60 all_owned b c d
JOIN_MS=$(($(last_assign_ms d) - t))
note "join: member d assigned after $JOIN_MS ms"

# 3. A member leaves cleanly.
before_c=$(owned c)
t=$(now_ms)
stop_pid "$C"
check "leave: the 2 remaining take over all 6 partitions" wait_until 60 all_owned b d
LEAVE_MS=$(($(last_assign_ms b d) - t))
note "leave: member c (held $before_c) stopped with SIGTERM; reassigned after $LEAVE_MS ms"

lag_zero() {
    "$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" 2>/dev/null | grep -q ' lag 0$'
}
check "committed offsets reach the end" wait_until 240 lag_zero
kill "$SAMPLER_PID" 2>/dev/null || true
kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -e -q -f '%p %o\n' >"$TMP/records"
out=$(python3 "$ROOT/tests/tools/consumer_check.py" --records "$TMP/records" --log "$TMP/recv.jsonl" \
    --samples "$TMP/samples")
note "churn: $out"
# Window: the killed member's delivered-but-uncommitted records (rate x commit
# interval, plus in flight) and, at each of the 3 changes, what a member
# revoking partitions had in flight.
window=$((RATE * COMMIT_MS / 1000 + WORKERS * 2 + 3 * WORKERS * 2))
check_eq "churn: no record lost" 0 "$(json_field "$out" lost)"
check_eq "churn: no commit ahead of delivery ($(json_field "$out" samples) samples)" 0 \
    "$(json_field "$out" commit_violations)"
check "churn: duplicates ($(json_field "$out" duplicates)) within the window ($window)" \
    test "$(json_field "$out" duplicates)" -le "$window"
fault_row "kafka: group churn (kill, join, leave), default session" "$(json_field "$out" records)" \
    "$(json_field "$out" lost)" "$(json_field "$out" duplicates)" "$(rss_kb "$LAST_PID")" \
    "rebalance after kill ${KILL_MS} ms, join ${JOIN_MS} ms, clean leave ${LEAVE_MS} ms"
finish
