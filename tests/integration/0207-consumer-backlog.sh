#!/usr/bin/env bash
# kgw-consumer on a 100,000-record backlog: everything forwarded, memory
# bounded by the pause/resume buffer (peak RSS from VmHWM), keep-alive
# connections reused. Records are small and spread over 16 partitions so the
# mock cluster (about 5 MiB kept per partition) holds them all.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

T=backlog-$RUN_ID
G=g-backlog-$RUN_ID
N=${KGW_BACKLOG_RECORDS:-100000}
WORKERS=16
start_devcluster --brokers 3 --topic "$T:16"
seq 1 "$N" | awk '{ printf "{\"n\":%d}\n", $1 }' | kcat -P -b "$BOOTSTRAP" -t "$T" -X linger.ms=50
check_eq "backlog of $N records in Kafka (log start 0, nothing dropped)" "$N" \
    "$(kcat -C -b "$BOOTSTRAP" -t "$T" -e -q -f '%o\n' | wc -l)"

# The C counting sink from bench/: the Python receiver would be the bottleneck here.
SINK_PORT=$(free_port)
start_bg sink "$BUILD/bench/sink" --port "$SINK_PORT"
wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$SINK_PORT/stats"
RECV_URL=http://127.0.0.1:$SINK_PORT/hook
sink_stat() {
    curl -sf "http://127.0.0.1:$SINK_PORT/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}
start=$SECONDS
start_consumer cons -topic "$T" -group "$G" -workers "$WORKERS" -ordering none -max-messages "$N" \
    -stats-interval 5
peak=0
while kill -0 "$CONSUMER_PID" 2>/dev/null; do
    kb=$(peak_rss_kb "$CONSUMER_PID" 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    [ $((SECONDS - start)) -lt 120 ] || break
    sleep 0.2
done
elapsed=$((SECONDS - start))
rc=0
wait "$CONSUMER_PID" || rc=$?
check_eq "consumer exits 0 after the backlog" 0 "$rc"
reqs=$(sink_stat requests)
conns=$(sink_stat connections)
note "backlog: $N records in ${elapsed}s, peak RSS $((peak / 1024)) MiB, $conns connections, $reqs requests"
check_eq "every record forwarded" "$N" "$reqs"
if ! memory_bounds_apply; then
    note "peak RSS $((peak / 1024)) MiB under valgrind or a sanitizer (not checked)"
else
    check "peak RSS under 100 MiB ($((peak / 1024)) MiB)" test "$peak" -lt 102400
fi
check "keep-alive: connections ($conns) <= workers + 4" test "$conns" -le $((WORKERS + 4))
pauses=$(grep -o 'pauses=[0-9]*' "$TMP/cons.err" | tail -1)
note "partition pauses (buffer full): ${pauses#pauses=}"
check "fetching paused when buffers filled (bounded buffer)" test "${pauses#pauses=}" -gt 0
check_eq "committed offsets reach the end" "$N" "$(committed_sum "$G" "$T" 16)"
finish
