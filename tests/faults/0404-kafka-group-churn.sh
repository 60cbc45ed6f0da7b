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

# committed_of: "P C" per partition, the group's committed offsets now.
committed_of() {
    "$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" 2>/dev/null |
        awk '$1 == "partition" { print $2, $8 }'
}
# commits_advanced SNAPSHOT: true once every partition's committed offset is
# past the one in SNAPSHOT, i.e. every member is committing (none is holding
# its commits through a rebalance round, which would widen the kill's window).
commits_advanced() {
    committed_of | awk 'NR == FNR { c[$1] = $2; next } { n++; if ($2 > c[$1]) a++ }
        END { exit !(n == 6 && a == 6) }' "$1" -
}

# 1. SIGKILL a member: its partitions wait for the session timeout.
wait_until 30 bash -c "[ \$(wc -l <'$TMP/recv.jsonl') -ge 300 ]" || true
committed_of >"$TMP/committed.before-kill"
check "kill: every partition's commits advance before the kill" \
    wait_until 30 commits_advanced "$TMP/committed.before-kill"
before_a=$(owned a)
t=$(now_ms)
KILL_T=$t
kill -KILL "$A"
wait "$A" 2>/dev/null || true
check "kill: the 2 survivors take over all 6 partitions" wait_until 90 all_owned b c
KILL_MS=$(($(last_assign_ms b c) - t))
note "kill: member a (held $before_a) SIGKILLed; its partitions reassigned after $KILL_MS ms"

# 2. A fourth member joins.
consumer d
t=$(now_ms)
JOIN_T=$t
check "join: the new member gets partitions" wait_until 60 all_owned b c d
JOIN_MS=$(($(last_assign_ms d) - t))
note "join: member d assigned after $JOIN_MS ms"

# 3. A member leaves cleanly.
before_c=$(owned c)
t=$(now_ms)
LEAVE_T=$t
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
# Which change each duplicate followed: a redelivery after the kill and before
# the join is the kill's (the killed member's delivered-but-uncommitted
# records); later ones follow the join or the clean leave.
causes=$(python3 - "$TMP/recv.jsonl" "$KILL_T" "$JOIN_T" "$LEAVE_T" <<'PY'
import json, sys
kill, join, leave = (int(x) / 1000 for x in sys.argv[2:5])
first, out = {}, {"kill": 0, "join": 0, "leave": 0, "before_kill": 0, "kill_oldest_ms": 0}
for line in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(line)
        b = json.loads(e["body"])
        key = (b["partition"], b["offset"])
    except (ValueError, KeyError, TypeError):
        continue
    if not 200 <= e.get("status", 0) < 300:
        continue
    if key not in first:
        first[key] = e["t"]
        continue
    t = e["t"]
    cause = "before_kill" if t < kill else "kill" if t < join else "join" if t < leave else "leave"
    out[cause] += 1
    if cause == "kill":
        out["kill_oldest_ms"] = max(out["kill_oldest_ms"], int((kill - first[key]) * 1000))
print(json.dumps(out))
PY
)
note "duplicates by cause: $causes"
# A member whose assignment was lost (librdkafka before 2.10, #4059: a commit
# answered ILLEGAL_GENERATION mid-rebalance) cannot commit; its partitions'
# new owners redeliver from the last commit. kgw logs each such revoke.
lost_events=$(cat "$TMP"/[abcd].err | grep -c "assignment_lost=1" || true)
note "assignments lost (logged): $lost_events"
# Windows. The kill: what the member delivered since its last acknowledged
# commit, i.e. the commit interval plus a commit's round trip on this loaded
# 3-JVM cluster (1 s), plus its deliveries in flight. Each of the 3 changes:
# what a revoking member had in flight. A lost assignment adds what its
# member did in the rebalance it was lost in.
kill_window=$((RATE * (COMMIT_MS + 1000) / 1000 + WORKERS * 2))
change_window=$((3 * WORKERS * 2 + lost_events * RATE * (JOIN_MS + LEAVE_MS) / 1000))
check_eq "churn: no record lost" 0 "$(json_field "$out" lost)"
check_eq "churn: no commit ahead of delivery ($(json_field "$out" samples) samples)" 0 \
    "$(json_field "$out" commit_violations)"
check_eq "churn: no duplicate before the kill" 0 "$(json_field "$causes" before_kill)"
check "churn: the kill's duplicates ($(json_field "$causes" kill)) within its window ($kill_window)" \
    test "$(json_field "$causes" kill)" -le "$kill_window"
changes=$(($(json_field "$causes" join) + $(json_field "$causes" leave)))
check "churn: the join's and leave's duplicates ($changes) within their window ($change_window)" \
    test "$changes" -le "$change_window"
if [ "$FAILS" -gt 0 ]; then
    # What the members said about commits and rebalances, for the reader of a failed run.
    for m in a b c d; do
        grep -E 'revoked|assigned|refused|commit|lost|resuming' "$TMP/$m.err" | cut -c1-220 |
            sed "s/^/# $m: /"
    done
fi
fault_row "kafka: group churn (kill, join, leave), default session" "$(json_field "$out" records)" \
    "$(json_field "$out" lost)" "$(json_field "$out" duplicates)" "$(rss_kb "$LAST_PID")" \
    "rebalance after kill ${KILL_MS} ms, join ${JOIN_MS} ms, clean leave ${LEAVE_MS} ms"
finish
