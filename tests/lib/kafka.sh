#!/usr/bin/env bash
# Broker faults on the real Kafka cluster of bin/kafka-cluster.sh (sourced
# after helpers.sh, by scripts that called real_kafka_only).
#
#   broker_kill N                SIGKILL node N (it stays down until broker_start)
#   broker_term N                SIGTERM node N and wait for it to exit (a clean stop)
#   broker_pause N / broker_resume N   SIGSTOP / SIGCONT node N
#   broker_start N               start node N again; returns once all 3 answer metadata
#   brokers_restore              SIGCONT every paused node and start every dead
#                                one, in parallel (registered as a cleanup hook,
#                                so a failing script never leaves the cluster short)
#   leader_of TOPIC PARTITION    (helpers.sh) the node id leading the partition
#   top_leader TOPIC             the node leading the most partitions of TOPIC
#   isr_full TOPIC               true when every partition has 3 in-sync replicas
#   broker_count_is N            true when metadata lists N brokers

# helpers.sh's kafka_pause/kafka_resume keep KAFKA_PAUSED, which its EXIT trap and
# brokers_restore below both resume.
broker_kill() { kafka_node_cmd node-stop "$1" KILL; }
broker_term() { kafka_node_cmd node-stop "$1" TERM; }
broker_pause() { kafka_pause "$1"; }
broker_resume() { kafka_resume "$1"; }

broker_alive() {
    local pid
    pid=$(kafka_node_cmd node-pid "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

broker_start() {
    broker_alive "$1" || kafka_node_cmd node-start "$1" >/dev/null
}

brokers_restore() {
    local n pids=()
    for n in "${KAFKA_PAUSED[@]+"${KAFKA_PAUSED[@]}"}"; do
        broker_resume "$n" 2>/dev/null || true
    done
    for n in 1 2 3; do
        if ! broker_alive "$n"; then
            note "restoring broker $n"
            kafka_node_cmd node-start "$n" >/dev/null &
            pids+=($!)
        fi
    done
    for n in "${pids[@]+"${pids[@]}"}"; do wait "$n" || true; done
}
CLEANUP_HOOKS+=(brokers_restore)

# metadata [TOPIC]: kcat's metadata listing, from any broker that answers.
metadata() {
    kcat -L -b "$KGW_TEST_BROKERS" -m 5 ${1:+-t "$1"} 2>/dev/null
}


top_leader() {
    metadata "$1" | awk '$1 == "partition" { gsub(",", "", $4); n[$4]++ }
        END { for (b in n) if (n[b] > best) { best = n[b]; id = b } print id }'
}

isr_full() {
    local out
    out=$(metadata "$1") || return 1
    grep -q ' partition ' <<<"$out" || return 1
    ! awk '$1 == "partition" { if (split($NF, a, ",") != 3) bad = 1 } END { exit !bad }' <<<"$out"
}

broker_count_is() {
    metadata | grep -q " $1 brokers:"
}
