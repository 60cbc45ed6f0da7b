#!/usr/bin/env bash
# Three kgw-consumer processes in one group share six partitions; one leaves
# mid-stream (SIGTERM); its partitions move to the others and nothing is lost.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

T=grp-$RUN_ID
G=g-grp-$RUN_ID
N=3000
start_devcluster --brokers 3 --topic "$T:6"
produce "$T" "$N"
start_receiver recv

delivered() { recv_ids "$RECV_LOG" | sort -u | wc -l; }
at_least() { [ "$(delivered)" -ge "$1" ]; }
# The mock coordinator waits a full session timeout for members to rejoin:
# keep it short there so the rebalances take seconds, not 45 s. Real Kafka's
# coordinator completes a rebalance once the members rejoin, so its consumers
# run with librdkafka's defaults.
args=(-topic "$T" -group "$G" -workers 4 -rate 100 -commit-interval 200)
real_kafka || args+=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

start_consumer c1 "${args[@]}"
P1=$CONSUMER_PID
start_consumer c2 "${args[@]}"
P2=$CONSUMER_PID
start_consumer c3 "${args[@]}"
P3=$CONSUMER_PID

spread() {
    # Every consumer owns partitions after the group settled.
    for n in c1 c2 c3; do
        grep -q 'partitions assigned count=[1-9]' "$TMP/$n.err" || return 1
    done
}
check "the three consumers share the partitions" wait_until 60 spread
check "records flow" wait_until 60 at_least 600
kill -TERM "$P2"
rc=0
wait "$P2" || rc=$?
check_eq "the leaving consumer exits 0" 0 "$rc"
check "the leaving consumer commits and leaves the group" grep -q 'left the group' "$TMP/c2.err"
check "every record delivered after one member left" wait_until 90 at_least "$N"
check "the remaining members took over partitions" \
    bash -c "[ \$(grep -c 'partitions assigned' '$TMP/c1.err') -ge 2 ] || [ \$(grep -c 'partitions assigned' '$TMP/c3.err') -ge 2 ]"
kill -TERM "$P1" "$P3"
wait "$P1" || true
wait "$P3" || true
total=$(recv_ids "$RECV_LOG" | wc -l)
note "records $N, requests $total, duplicates $((total - N))"
check_eq "committed offsets reach the end" "$N" "$(committed_sum "$G" "$T" 6)"
finish
