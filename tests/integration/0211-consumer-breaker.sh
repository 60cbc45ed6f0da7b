#!/usr/bin/env bash
# kgw-consumer's circuit breaker (issue 12): the target's health comes before the
# record's. A target refusing connections for 60 s, then accepting: nothing
# dead-lettered or skipped, memory flat, everything delivered once it is back. A target answering 404 to everything
# (a mistyped path): the breaker opens, nothing is skipped even under -on-failure skip,
# and a fixed target gets every record. One record refused (400) among successes: it
# alone goes to the dead-letter topic. 410 Gone: exit 1, commit before the record only.
# (The 60 s outage under a 10,000-record backlog is bench/consumer_outage.sh.)
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

T=brk-$RUN_ID
start_devcluster --brokers 1 --topic "$T-down:2" --topic "$T-dlq:1" --topic "$T-404:1" \
    --topic "$T-pz:1" --topic "$T-g410:1"

metric() { # metric PORT NAME{labels}: a series' value
    curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }' || true
}
logged() { grep -q "$2" "$TMP/$1.err"; }
count_in() { grep -c "$2" "$TMP/$1.err" || true; }
delivered() { recv_ids "$RECV_LOG" | sort -u | wc -l; }
delivered_is() { [ "$(delivered)" -eq "$1" ]; }
exits() { ! kill -0 "$1" 2>/dev/null; }

# --- 1. refused connections, then accepted ---
N=200
produce "$T-down" "$N"
PORT=$(free_port)
MPORT=$(free_port)
RECV_URL=http://127.0.0.1:$PORT/hook
start_consumer down -topic "$T-down" -group "g-down-$RUN_ID" -dlq-topic "$T-dlq" -retries 1 \
    -breaker-backoff 200 -breaker-backoff-max 2000 -metrics-port "$MPORT" -commit-interval 200
pid=$CONSUMER_PID
check "refused: the breaker opens" wait_until 30 logged down 'WARN .*circuit breaker open: target unhealthy'
t0=$SECONDS
rss_open=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
probes_ge_3() { [ "$(metric "$MPORT" kgw_consumer_breaker_probes_total)" -ge 3 ] 2>/dev/null; }
check "refused: it probes while the target is down" wait_until 20 probes_ge_3
state=$(metric "$MPORT" kgw_consumer_breaker_state)
check "refused: the state gauge says open or probing ($state)" test "$state" = 1 -o "$state" = 2
# The issue's outage compressed to 60 s of refused connections (the fault itself).
wait_until 65 elapsed_ge "$t0" 60 || true
rss_end=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
note "refused: RSS ${rss_open} KiB when the breaker opened, ${rss_end} KiB after 60 s of outage"
if memory_bounds_apply; then
    check "refused: memory flat through the outage (+$(((rss_end - rss_open) / 1024)) MiB)" \
        test "$rss_end" -le $((rss_open + 4096))
fi
check_eq "refused: nothing was delivered, dead-lettered or skipped meanwhile" "0 0" \
    "$(kafka_count "$T-dlq") $(metric "$MPORT" 'kgw_consumer_records_total{result="skipped"}')"
start_receiver recv-down --port "$PORT"
check "refused: every record delivered once the target accepts" wait_until 60 delivered_is "$N"
check_eq "refused: the breaker opened once" 1 "$(count_in down 'circuit breaker open:')"
check_eq "refused: and closed once" 1 "$(count_in down 'circuit breaker closed: target healthy again')"
check_eq "refused: nothing dead-lettered" 0 "$(kafka_count "$T-dlq")"
check_eq "refused: nothing skipped or failed" "0 0" \
    "$(metric "$MPORT" 'kgw_consumer_records_total{result="skipped"}') $(metric "$MPORT" 'kgw_consumer_records_total{result="failed"}')"
check_eq "refused: the gauge is back to closed" 0 "$(metric "$MPORT" kgw_consumer_breaker_state)"
committed_all() { [ "$(committed_sum "g-down-$RUN_ID" "$T-down" 2)" -eq "$N" ]; }
check "refused: committed to the end" wait_until 20 committed_all
stop_pid "$pid"

# --- 2. 404 to everything, then a fixed target ---
produce "$T-404" 20
start_receiver recv-404 --status 404
start_consumer c404 -topic "$T-404" -group "g-404-$RUN_ID" -on-failure skip \
    -breaker-backoff 100 -breaker-backoff-max 300 -commit-interval 200
pid=$CONSUMER_PID
check "404: the breaker opens" wait_until 30 logged c404 'circuit breaker open: .*status=404'
probes_seen() { [ "$(recv_ids "$RECV_LOG" 404 | wc -l)" -ge 4 ]; }
check "404: probes keep re-sending the held record" wait_until 20 probes_seen
check_eq "404: only the first record was tried" 1 "$(recv_ids "$RECV_LOG" 404 | sort -u | wc -l)"
check "404: nothing skipped (-on-failure skip)" bash -c "! grep -q 'skipped' '$TMP/c404.err'"
check_eq "404: nothing committed" "0 -1001" "$(committed "g-404-$RUN_ID" "$T-404" 1)"
recv_ctl "$RECV_PORT" '{"status": 0}'
check "404: a fixed target gets all 20" wait_until 30 delivered_is 20
committed_20() { [ "$(committed "g-404-$RUN_ID" "$T-404" 1)" = "0 20" ]; }
check "404: committed to the end" wait_until 20 committed_20
stop_pid "$pid"

# --- 3. one record refused among successes ---
seq 0 19 | awk '{ if ($1 == 7) printf "k%d\t{\"poison\":%d}\n", $1, $1; else printf "k%d\t{\"n\":%d}\n", $1, $1 }' |
    kcat -P -b "$BOOTSTRAP" -t "$T-pz" -K $'\t'
start_receiver recv-poison --fail-match "\"poison\"" --fail-match-status 400
start_consumer poison -topic "$T-pz" -group "g-poison-$RUN_ID" -dlq-topic "$T-dlq" -max-messages 20
pid=$CONSUMER_PID
check "poison: exits after 20" wait_until 60 exits "$pid"
rc=0
wait "$pid" || rc=$?
check_eq "poison: exit 0" 0 "$rc"
check_eq "poison: 19 delivered" 19 "$(delivered)"
check_eq "poison: that record alone dead-lettered" "k7" "$(kcat -C -b "$BOOTSTRAP" -t "$T-dlq" -e -q -f '%k\n')"
check_eq "poison: the breaker stayed closed" 0 "$(count_in poison 'circuit breaker open')"

# --- 4. 410 Gone ---
seq 0 9 | awk '{ if ($1 == 4) printf "k%d\t{\"gone\":%d}\n", $1, $1; else printf "k%d\t{\"n\":%d}\n", $1, $1 }' |
    kcat -P -b "$BOOTSTRAP" -t "$T-g410" -K $'\t'
start_receiver recv-gone --fail-match "\"gone\"" --fail-match-status 410
start_consumer gone -topic "$T-g410" -group "g-gone-$RUN_ID"
pid=$CONSUMER_PID
check "410: the consumer stops" wait_until 60 exits "$pid"
rc=0
wait "$pid" || rc=$?
check_eq "410: exit 1" 1 "$rc"
check_eq "410: one clear line" 1 "$(count_in gone 'ERROR .*target answered 410 Gone, stopping .*offset=4')"
check_eq "410: committed before the record only" "0 4" "$(committed "g-gone-$RUN_ID" "$T-g410" 1)"
check_eq "410: the record was tried once" 1 "$(recv_ids "$RECV_LOG" 410 | wc -l)"
finish
