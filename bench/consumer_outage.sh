#!/usr/bin/env bash
# bench/consumer_outage.sh: kgw-consumer riding out a target outage (issue 12).
#
#   bench/consumer_outage.sh [--down SEC] [--records N] [--partitions P] [--keep]
#
# A backlog of N records (default 10,000) on P partitions (default 4) of a fresh
# kgw-devcluster; kgw-consumer (with -dlq-topic, so any record it gave up on would show)
# starts against a port where nothing listens; the target stays down SEC seconds
# (default 60), then a receiver (tests/tools/receiver.py) starts on that port. Prints
# delivered / dead-lettered / skipped / failed counts, the breaker's opens and probes,
# and the consumer's memory: VmRSS when the breaker opened, the largest VmRSS sampled
# every 0.5 s during the outage, and VmHWM at its end (the ceiling to compare with is
# the RSS at the opening: a flat line means fetching paused). Also prints the
# breaker's log lines: the timeline of the outage.
set -euo pipefail
DOWN_S=60
N=10000
P=4
KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
    --down) DOWN_S=$2; shift 2 ;;
    --records) N=$2; shift 2 ;;
    --partitions) P=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "consumer_outage.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
export KGW_KEEP_TMP=$KEEP
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../tests/lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../tests/lib/consumer.sh"

T=outage-$RUN_ID
start_devcluster --brokers 1 --topic "$T:$P" --topic "$T-dlq:1"
produce "$T" "$N"
PORT=$(free_port)
MPORT=$(free_port)
RECV_URL=http://127.0.0.1:$PORT/hook
start_consumer cons -topic "$T" -group "g-$RUN_ID" -dlq-topic "$T-dlq" -metrics-port "$MPORT" \
    -stats-interval 10
pid=$CONSUMER_PID
metric() { curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" | awk -v n="$1" '$1 == n { print $2 }' || true; }
opened() { grep -q 'circuit breaker open' "$TMP/cons.err"; }
wait_until 30 opened || { echo "the breaker did not open" >&2; exit 1; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
rss_open=$(rss)
rss_max=$rss_open
t_end=$((SECONDS + DOWN_S))
while [ "$SECONDS" -lt "$t_end" ]; do
    r=$(rss)
    [ "$r" -gt "$rss_max" ] && rss_max=$r
    sleep 0.5 # the sampling period (and the outage's length), not a wait for a result
done
hwm=$(peak_rss_kb "$pid")
buffered=$(metric kgw_consumer_buffered_records)
t_up=$SECONDS
start_receiver recv --port "$PORT"
delivered() { recv_ids "$RECV_LOG" | sort -u | wc -l; }
all_in() { [ "$(delivered)" -ge "$N" ]; }
wait_until 300 all_in || true
catch_up=$((SECONDS - t_up))
committed_all() { [ "$(committed_sum "g-$RUN_ID" "$T" "$P")" -ge "$N" ]; }
wait_until 30 committed_all || true
printf 'outage %d s, backlog %d records on %d partitions (kgw-devcluster)\n' "$DOWN_S" "$N" "$P"
printf '  delivered %d (unique webhook-ids), dead-lettered %d, skipped %s, failed %s\n' \
    "$(delivered)" "$(kafka_count "$T-dlq")" \
    "$(metric 'kgw_consumer_records_total{result="skipped"}')" \
    "$(metric 'kgw_consumer_records_total{result="failed"}')"
printf '  committed %d of %d; breaker opens %s, probes %s; caught up %d s after the target returned\n' \
    "$(committed_sum "g-$RUN_ID" "$T" "$P")" "$N" "$(metric kgw_consumer_breaker_opens_total)" \
    "$(metric kgw_consumer_breaker_probes_total)" "$catch_up"
printf '  RSS: %d KiB when the breaker opened, max %d KiB during the outage, VmHWM %d KiB at its end; %s records buffered\n' \
    "$rss_open" "$rss_max" "$hwm" "$buffered"
echo "  timeline (breaker lines of the consumer's log):"
grep -E 'circuit breaker open|delivery attempt failed' "$TMP/cons.err" | head -8 | sed 's/^/    /'
echo "    ... $(grep -c 'probe failed' "$TMP/cons.err" || true) 'probe failed' lines (info) ..."
grep -E 'circuit breaker closed' "$TMP/cons.err" | sed 's/^/    /'
stop_pid "$pid"
finish
