#!/usr/bin/env bash
# kgw-consumer's circuit breaker (issue 12), timing and signals: a 503 with
# Retry-After: 3 makes the next probe wait 3 s (the receiver's timestamps); SIGTERM
# while the breaker is open exits within 2 s and commits exactly the processed prefix;
# SIGKILL while open, then a restart against a healthy target: nothing lost.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

T=brks-$RUN_ID
start_devcluster --brokers 1 --topic "$T-ra:1" --topic "$T-kill:2"

logged() { grep -q "$2" "$TMP/$1.err"; }
delivered() { recv_ids "$RECV_LOG" | sort -u | wc -l; }
delivered_ge() { [ "$(delivered)" -ge "$1" ]; }
requests_ge() { [ "$(wc -l <"$RECV_LOG")" -ge "$1" ]; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- Retry-After on the probe, then SIGTERM while open ---
start_receiver recv-ra
produce "$T-ra" 5
start_consumer ra -topic "$T-ra" -group "g-ra-$RUN_ID" -retries 0 -breaker-backoff 100 \
    -breaker-backoff-max 200 -commit-interval 100
pid=$CONSUMER_PID
check "retry-after: 5 records delivered first" wait_until 30 delivered_ge 5
recv_ctl "$RECV_PORT" '{"status": 503, "retry_after": 3}'
produce "$T-ra" 1 x
check "retry-after: three attempts at the sixth record" wait_until 30 requests_ge 8
gaps=$(python3 -c '
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if json.loads(l)["status"] == 503]
print(" ".join("%.2f" % (b - a) for a, b in zip(t, t[1:])))' "$RECV_LOG")
note "retry-after: seconds between the 503 attempts: $gaps (backoff alone: <= 0.2)"
check "retry-after: each probe waited >= 2.5 s" python3 -c '
import sys; g = [float(x) for x in sys.argv[1].split()]; sys.exit(0 if g and min(g) >= 2.5 else 1)' "$gaps"
check "retry-after: the breaker is open" logged ra 'circuit breaker open: .*status=503'
t0=$(now_ms)
kill -TERM "$pid"
exited() { ! kill -0 "$pid" 2>/dev/null; }
wait_until 10 exited || true
rc=0
wait "$pid" || rc=$?
t1=$(now_ms)
note "SIGTERM while open: exit after $((t1 - t0)) ms"
check "SIGTERM while open: exit within 2 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 2000
check_eq "SIGTERM while open: exit 0" 0 "$rc"
check_eq "SIGTERM while open: committed the processed prefix (5)" "0 5" "$(committed "g-ra-$RUN_ID" "$T-ra" 1)"

# --- SIGKILL while open, then a restart ---
N=300
G=g-kill-$RUN_ID
produce "$T-kill" "$N"
start_receiver recv-kill
start_consumer kill1 -topic "$T-kill" -group "$G" -rate 100 -commit-interval 100 -retries 1 \
    -breaker-backoff 200 -breaker-backoff-max 1000 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
pid=$CONSUMER_PID
check "sigkill: some records delivered first" wait_until 30 delivered_ge 50
recv_ctl "$RECV_PORT" '{"status": 500}'
check "sigkill: the breaker opens" wait_until 30 logged kill1 'circuit breaker open'
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
note "sigkill: killed after $(delivered) records delivered"
recv_ctl "$RECV_PORT" '{"status": 0}'
start_consumer kill2 -topic "$T-kill" -group "$G" -commit-interval 100 \
    -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
pid=$CONSUMER_PID
check "sigkill: after the restart all $N delivered (0 lost)" wait_until 60 delivered_ge "$N"
committed_all() { [ "$(committed_sum "$G" "$T-kill" 2)" -eq "$N" ]; }
check "sigkill: committed to the end" wait_until 30 committed_all
check "sigkill: nothing skipped or dead-lettered" bash -c "! grep -q 'skipped\|dead-letter' '$TMP/kill1.err' '$TMP/kill2.err'"
stop_pid "$pid"
finish
