#!/usr/bin/env bash
# Consumer fault suite: kgw-consumer forwards a topic while the receiver fails
# everything for 10 s, answers after the client's timeout, resets connections;
# while the consumer is SIGKILLed 5 times in a 10,000-record run; while group
# members join and leave; and while OffsetCommit requests fail. Each run must
# lose nothing (every record delivered or dead-lettered), keep duplicates
# within what was in flight or delivered-but-uncommitted, and never commit an
# offset ahead of what was delivered (commits are sampled during the run).
# The injected OffsetCommit errors need the mock's controls (kgw-devcluster
# only); the other phases run on both tiers.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"

N=${KGW_FAULT_RECORDS:-1000}
N_KILL=${KGW_FAULT_KILL_RECORDS:-10000}
WORKERS=8
COMMIT_MS=200

PHASES=${KGW_FAULT_PHASES:-failing slow resets kill group commits}
phase() { [[ " $PHASES " == *" $1 "* ]]; }

start_devcluster --brokers 3
OFFSETS=$BUILD/tests/kafka-offsets

# setup NAME COUNT: a fresh 6-partition topic with COUNT records, a receiver
# logging to $TMP/NAME.jsonl; sets TOPIC, GROUP, RECV_URL.
setup() {
    local name=$1 count=$2
    PHASE_START=$SECONDS
    TOPIC=cf-$name-$RUN_ID
    GROUP=$TOPIC
    create_topic "$TOPIC" 6 >/dev/null
    create_topic "$TOPIC-dlq" 1 >/dev/null
    seq 0 $((count - 1)) | awk '{printf "k%d:{\"seq\":%d}\n", $1 % 101, $1}' |
        kcat -P -b "$BOOTSTRAP" -t "$TOPIC" -K:
    start_bg "recv-$name" python3 "$ROOT/tests/tools/receiver.py" --port-file "$TMP/$name.port" \
        --log "$TMP/$name.jsonl"
    wait_until 20 test -s "$TMP/$name.port"
    RECV_URL=http://127.0.0.1:$(cat "$TMP/$name.port")
}

recv_control() {
    curl -sf -o /dev/null -X POST "$RECV_URL/_control" -d "$1"
}

# consumer NAME ARGS...: one kgw-consumer on TOPIC/GROUP; sets LAST_PID. A short
# session timeout, because a SIGKILLed member holds its partitions until it
# expires (45 s by default) and the restarted one waits for that.
consumer() {
    local name=$1
    shift
    start_bg "$name" "$BUILD/kgw-consumer" -broker "$BOOTSTRAP" -topic "$TOPIC" -group "$GROUP" \
        -target-url "$RECV_URL/hook" -workers "$WORKERS" -commit-interval "$COMMIT_MS" \
        -dlq-topic "$TOPIC-dlq" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 "$@"
}

# Commit sampler: "SAMPLE <receiver log lines>" then the committed offsets.
start_sampler() { start_commit_sampler "$TMP/$1.jsonl" "$TMP/$1.samples"; }

delivered_distinct() {
    python3 -c '
import json, sys
seen = set()
for line in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(line)
        if 200 <= e["status"] < 300:
            b = json.loads(e["body"]); seen.add((b["partition"], b["offset"]))
    except Exception:
        pass
print(len(seen))' "$TMP/$1.jsonl" 2>/dev/null || echo 0
}
# Cheap progress for polling: the receiver's count of 2xx answers.
ok_answers() {
    curl -sf "$RECV_URL/_stats" | python3 -c 'import json,sys; s=json.load(sys.stdin)["by_status"]; print(sum(v for k,v in s.items() if k.startswith("2")))'
}
delivered_ge() { [ "$(ok_answers)" -ge "$2" ]; }
lag_zero() {
    "$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" 2>/dev/null | grep -q ' lag 0$'
}

# verify NAME WHAT MAX_DUPS PID: lost/duplicates/commit checks and a table row.
verify() {
    local name=$1 what=$2 max_dups=$3 pid=$4 out rss
    kill "$SAMPLER_PID" 2>/dev/null || true
    kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -e -q -f '%p %o\n' >"$TMP/$name.records"
    kcat -C -b "$BOOTSTRAP" -t "$TOPIC-dlq" -e -q -f '%h\n' >"$TMP/$name.dlq" 2>/dev/null || true
    out=$(python3 "$ROOT/tests/tools/consumer_check.py" --records "$TMP/$name.records" \
        --log "$TMP/$name.jsonl" --dlq "$TMP/$name.dlq" --samples "$TMP/$name.samples")
    note "$what: $out ($((SECONDS - PHASE_START)) s)"
    rss=$(rss_kb "$pid")
    check_eq "$what: no record lost" 0 "$(json_field "$out" lost)"
    check_eq "$what: no commit ahead of delivery ($(json_field "$out" samples) samples)" 0 \
        "$(json_field "$out" commit_violations)"
    check "$what: duplicates ($(json_field "$out" duplicates)) within the window ($max_dups)" \
        test "$(json_field "$out" duplicates)" -le "$max_dups"
    fault_row "consumer: $what" "$(json_field "$out" records)" "$(json_field "$out" lost)" \
        "$(json_field "$out" duplicates)" "${rss:-0}"
}

# finish_run NAME PID: waits for every record processed and committed, stops cleanly.
finish_run() {
    local name=$1 pid=$2 f
    if wait_until 120 lag_zero; then
        ok "$name: committed offsets reach the end"
        return
    fi
    not_ok "$name: committed offsets reach the end"
    "$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" 2>&1 | sed 's/^/# /'
    if kill -0 "$pid" 2>/dev/null; then note "consumer $pid still runs"; else note "consumer $pid has exited"; fi
    for f in "$TMP"/c-"$name"*.err; do
        note "last commit and group lines of $(basename "$f"):"
        grep -E 'commit|assign|revoke|rebalanc|error|ERROR' "$f" | tail -15 | sed 's/^/#   /'
        tail -3 "$f" | sed 's/^/#   /'
    done
}

# 1. The receiver fails everything for 10 s, then recovers.
if phase failing; then
setup failing "$N"
recv_control '{"status": 503}'
start_sampler failing
consumer c-failing -retries 30 -retry-delay 100
C=$LAST_PID
t0=$SECONDS
wait_until 15 elapsed_ge "$t0" 10 || true # the 10 s outage is the fault itself
check "failing: nothing committed while every delivery fails" \
    bash -c "! '$OFFSETS' -b '$BOOTSTRAP' -t '$TOPIC' -g '$GROUP' | grep -qE 'committed [1-9]'"
recv_control '{"status": 0}'
finish_run failing "$C"
verify failing "receiver 100% failing for 10 s" 0 "$C"
stop_pid "$C"
fi

# 2. The receiver answers after the client's timeout for a while.
if phase slow; then
setup slow "$N"
recv_control '{"delay": 2.5}'
start_sampler slow
consumer c-slow -timeout 1 -retries 30 -retry-delay 100
C=$LAST_PID
t0=$SECONDS
wait_until 6 elapsed_ge "$t0" 4 || true # 4 s of timeouts is the fault itself
recv_control '{"delay": 0}'
finish_run slow "$C"
# Every timed-out attempt may have been recorded by the receiver as well.
verify slow "receiver answering after the timeout" $((N)) "$C"
stop_pid "$C"
fi

# 3. Connection resets: 30% of requests get the connection closed unanswered.
if phase resets; then
setup resets "$N"
recv_control '{"drop_rate": 0.3}'
start_sampler resets
consumer c-resets -retries 30
C=$LAST_PID
finish_run resets "$C"
verify resets "30% connection resets" 0 "$C"
stop_pid "$C"
fi

# 4. SIGKILL at random moments, 5 times in a row, during a 10,000-record run.
if phase kill; then
setup kill "$N_KILL"
start_sampler kill
window=0
midrun=0
for k in 1 2 3 4 5; do
    # A rate bound so each SIGKILL lands mid-run: unbounded, a consumer on
    # real Kafka finished the 10,000 records between two progress polls.
    consumer "c-kill-$k" -workers "$WORKERS" -rate 1000
    C=$LAST_PID
    target=$((N_KILL * k / 6 + RANDOM % (N_KILL / 12)))
    wait_until 90 delivered_ge kill "$target" || true
    # The redelivery window at this instant: delivered but not yet committed,
    # plus what is in flight (at most -workers).
    committed=$("$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" | awk '/^total/ {print $7}')
    delivered=$(delivered_distinct kill)
    kill -KILL "$C"
    wait "$C" 2>/dev/null || true
    [ "$delivered" -ge "$N_KILL" ] || midrun=$((midrun + 1))
    w=$((delivered - committed + WORKERS * 2))
    window=$((window + (w > 0 ? w : 0)))
    note "kill $k at ~$delivered delivered, $committed committed (window $w)"
done
check_eq "kill: every SIGKILL landed before the run was done" 5 "$midrun"
consumer c-kill-final
C=$LAST_PID
finish_run kill "$C"
verify kill "SIGKILL x5 during a $N_KILL-record run" "$window" "$C"
stop_pid "$C"
fi

# 5. Group members join and leave during the run.
if phase group; then
setup group "$N"
recv_control '{"delay": 0.03}'
start_sampler group
consumer c-group-a
A=$LAST_PID
wait_until 60 delivered_ge group $((N / 5)) || true
consumer c-group-b
B=$LAST_PID
wait_until 60 delivered_ge group $((N * 2 / 5)) || true
consumer c-group-c
CC=$LAST_PID
wait_until 60 delivered_ge group $((N * 3 / 5)) || true
# The redelivery window when A leaves: what it delivered but the group has not
# committed. On kgw-devcluster the joins of B and C keep the group rebalancing
# for a session timeout, the broker refuses A's commits meanwhile, and A's
# uncommitted progress is redelivered by the partitions' new owners (an
# orphan is never committed: it could move another member's offset back).
committed=$("$OFFSETS" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" | awk '/^total/ {print $7}')
delivered=$(delivered_distinct group)
stop_pid "$A"
recv_control '{"delay": 0}'
finish_run group "$B"
group_window=$((delivered - committed + WORKERS * 3))
[ "$group_window" -gt $((WORKERS * 3 + N / 10)) ] || group_window=$((WORKERS * 3 + N / 10))
note "A left at ~$delivered delivered, $committed committed (window $group_window)"
verify group "members joining and leaving" "$group_window" "$B"
stop_pid "$B"
stop_pid "$CC"
fi

# 6. OffsetCommit requests fail (retriable errors) during the run.
if phase commits && real_kafka; then
    note "skip: injected OffsetCommit errors need kgw-devcluster"
elif phase commits; then
setup commits "$N"
start_sampler commits
dc_cmd errors push OffsetCommit 20 REQUEST_TIMED_OUT,COORDINATOR_NOT_AVAILABLE,NOT_COORDINATOR
consumer c-commits
C=$LAST_PID
finish_run commits "$C"
verify commits "injected OffsetCommit errors" $((WORKERS * 2)) "$C"
stop_pid "$C"
fi
finish
