#!/usr/bin/env bash
# make run: the whole kgw pipeline on the embedded cluster, in the foreground.
#
#   bin/run.sh [--port 6969] [--topic events] [--partitions 6] [--kafka devcluster|real]
#
# Starts kgw-devcluster (3 brokers, TOPIC with PARTITIONS partitions and its dead-letter
# topic TOPIC-dlq), or with
# --kafka real (make run KAFKA=real) a real 3-node Apache Kafka from
# bin/kafka-cluster.sh (about 40 s, data deleted at exit), then,
# when they are built, kgw-producer on PORT and kgw-consumer forwarding TOPIC to
# the producer's /webhook-simulator. Prints what to try and where logs go, then
# the programs' log lines. Each program must be the one that answers: a busy
# port or a program that dies at startup stops everything, with the reason, and
# exits 1. Ctrl-C stops everything it started, by PID, and exits 0 with a
# one-line summary.
set -euo pipefail

# Ctrl-C: a terminal sends SIGINT to its whole foreground process group, make included, and
# make then reports "*** [run] Interrupt" and fails whatever this script does. So on a
# terminal the script runs again as a job of its own (set -m): the job holds the terminal's
# foreground, Ctrl-C reaches only it, and make sees its exit status.
if [ -t 0 ] && [ -z "${KGW_RUN_JOB:-}" ]; then
    set -m
    rc=0
    KGW_RUN_JOB=1 "$0" "$@" || rc=$?
    exit "$rc"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bin/lib.sh
. "$ROOT/bin/lib.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PORT=6969
TOPIC=events
PARTITIONS=6
KAFKA=devcluster

die_usage() {
    echo "run.sh: $*" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --port) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--port needs a number"; PORT=$2; shift 2 ;;
    --topic) [ -n "${2:-}" ] || die_usage "--topic needs a name"; TOPIC=$2; shift 2 ;;
    --partitions)
        [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die_usage "--partitions needs a number > 0"
        PARTITIONS=$2
        shift 2
        ;;
    --kafka)
        [[ ${2:-} =~ ^(devcluster|real)$ ]] || die_usage "--kafka needs devcluster or real"
        KAFKA=$2
        shift 2
        ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die_usage "unknown argument '$1' (see --help)" ;;
    esac
done
# kgw-consumer's dead-letter topic: without one its default -on-failure is stop, and the
# first record the target refuses would end the demo.
DLQ=$TOPIC-dlq

LOGS=$(mktemp -d "${TMPDIR:-/tmp}/kgw-run.XXXXXX")
PIDS=()
STARTED=$SECONDS
URL=http://127.0.0.1:$PORT

# summary: one line of what went through, read from the producer before it stops.
summary() {
    local metrics produced delivered
    metrics=$(curl -s --max-time 2 "$URL/metrics" 2>/dev/null) || metrics=
    produced=$(awk '$1 == "kgw_producer_records_produced_total" {print $2}' <<<"$metrics")
    delivered=$(awk -F'[ ]' '/^kgw_producer_http_requests_total\{route="\/webhook-simulator",status="2/ {n += $2} END {print n + 0}' <<<"$metrics")
    if [ -n "$produced" ]; then
        printf 'records: %s produced, %s delivered to the simulator; ' "$produced" "$delivered"
    fi
}

stop_all() {
    local line=""
    trap - INT TERM EXIT
    if [ "${FAILED:-0}" = 0 ]; then
        line=$(summary)
        # After the terminal's "^C", on a line of its own.
        [ -t 1 ] && echo
        printf 'make run: stopping... '
    fi
    stop_pids "${PIDS[@]}"
    [ "$KAFKA" = real ] && "$ROOT/bin/kafka-cluster.sh" stop --dir "$LOGS/kafka"
    if [ "${FAILED:-0}" = 0 ]; then
        echo "stopped after $((SECONDS - STARTED)) s: ${line}logs in $LOGS"
    else
        echo "make run: stopped everything it started; logs in $LOGS" >&2
    fi
}
trap stop_all EXIT
trap 'exit 0' INT TERM

# fail WHAT LOG: the program WHAT failed to start; shows the end of its log and exits 1.
fail() {
    FAILED=1
    echo "run.sh: $1" >&2
    if [ -s "$2" ]; then
        sed 's/^/  | /' "$2" | tail -5 >&2
    fi
    exit 1
}

# wait_for SECONDS PID COMMAND...: polls COMMAND until it succeeds (0), PID exits (2) or
# the deadline passes (1).
wait_for() {
    local secs=$1 pid=$2 i
    shift 2
    for ((i = 0; i < secs * 20; i++)); do
        "$@" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 2
        sleep 0.05
    done
    return 1
}
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ready_here() {
    grep -q "listening address=127.0.0.1 port=$PORT " "$LOGS/producer.log" &&
        curl -sf -o /dev/null --max-time 1 "$URL/ready"
}

if [ -x "$BUILD/kgw-producer" ] && port_answers "$PORT"; then
    FAILED=1
    echo "run.sh: port $PORT is in use (another make run?); pick another: make run PORT=7000" >&2
    exit 1
fi

# Each program runs in its own session (setsid), so the terminal's Ctrl-C reaches only this
# script, which then stops them in order: consumer (commits, leaves the group), producer,
# cluster. Otherwise all three get SIGINT at once and the consumer's last commit meets a
# cluster that is already gone.
if [ "$KAFKA" = real ]; then
    # Real Apache Kafka: its nodes run in sessions of their own (kafka-cluster.sh uses
    # setsid); node 1's PID stands for the cluster in the watch loop below.
    CLUSTER_NAME="Apache Kafka"
    CLUSTER_LOG=$LOGS/kafka/node1/server.log
    echo "Apache Kafka: starting 3 nodes (real disks under $LOGS/kafka, ~40 s)..."
    BOOTSTRAP=$("$ROOT/bin/kafka-cluster.sh" start --dir "$LOGS/kafka" 2>"$LOGS/kafka-cluster.log") ||
        fail "bin/kafka-cluster.sh start failed" "$LOGS/kafka-cluster.log"
    PIDS+=("$("$ROOT/bin/kafka-cluster.sh" node-pid 1 --dir "$LOGS/kafka")")
    "$BUILD/tests/kafka-admin" -b "$BOOTSTRAP" create "$TOPIC:$PARTITIONS" "$DLQ:1" 2>"$LOGS/kafka-admin.log" ||
        fail "could not create topic $TOPIC" "$LOGS/kafka-admin.log"
    echo "Apache Kafka: 3 KRaft nodes at $BOOTSTRAP (topic $TOPIC, $PARTITIONS partitions, RF 3)"
    echo "  logs: $LOGS/kafka/node*/server.log"
else
    CLUSTER_NAME=kgw-devcluster
    CLUSTER_LOG=$LOGS/devcluster.log
    # kgw-devcluster's stdin stays open (a fifo we hold) so it keeps running.
    mkfifo "$LOGS/devcluster.ctl"
    exec {ctl}<>"$LOGS/devcluster.ctl"
    setsid "$BUILD/kgw-devcluster" --brokers 3 --topic "$TOPIC:$PARTITIONS" --topic "$DLQ:1" \
        --bootstrap-file "$LOGS/bootstrap" <&"$ctl" >"$LOGS/devcluster.out" 2>"$LOGS/devcluster.log" &
    PIDS+=($!)
    wait_for 20 "${PIDS[-1]}" test -s "$LOGS/bootstrap" ||
        fail "kgw-devcluster did not start" "$LOGS/devcluster.log"
    BOOTSTRAP=$(cat "$LOGS/bootstrap")

    echo "kgw-devcluster: 3 in-memory brokers at $BOOTSTRAP (topic $TOPIC, $PARTITIONS partitions)"
    echo "  log: $LOGS/devcluster.log"
fi

if [ -x "$BUILD/kgw-producer" ]; then
    setsid "$BUILD/kgw-producer" --brokers "$BOOTSTRAP" --port "$PORT" --listen 127.0.0.1 \
        2>"$LOGS/producer.log" >/dev/null &
    PIDS+=($!)
    # Its own "listening" line proves this producer holds the port; /ready that Kafka is up.
    rc=0
    wait_for 20 "${PIDS[-1]}" ready_here || rc=$?
    case $rc in
    0) ;;
    2) fail "kgw-producer exited at startup" "$LOGS/producer.log" ;;
    *) fail "kgw-producer did not become ready on port $PORT within 20 s" "$LOGS/producer.log" ;;
    esac
    echo "kgw-producer: $URL  (log: $LOGS/producer.log)"
fi
if [ -x "$BUILD/kgw-consumer" ] && [ -x "$BUILD/kgw-producer" ]; then
    setsid "$BUILD/kgw-consumer" -broker "$BOOTSTRAP" -topic "$TOPIC" -group kgw-run \
        -target-url "$URL/webhook-simulator?delay_ms=0&error_rate=0" \
        -dlq-topic "$DLQ" -workers 16 -stats-interval 5 2>"$LOGS/consumer.log" >/dev/null &
    PIDS+=($!)
    rc=0
    wait_for 30 "${PIDS[-1]}" grep -q "partitions assigned" "$LOGS/consumer.log" || rc=$?
    case $rc in
    0) ;;
    2) fail "kgw-consumer exited at startup" "$LOGS/consumer.log" ;;
    *) fail "kgw-consumer got no partitions within 30 s" "$LOGS/consumer.log" ;;
    esac
    echo "kgw-consumer: $TOPIC -> $URL/webhook-simulator  (log: $LOGS/consumer.log)"
    echo "  records the target refuses (4xx) go to the dead-letter topic $DLQ"
    echo "Try:"
    echo "  curl -X POST $URL/produce -H 'Content-Type: application/json' \\"
    echo "       -d '{\"topic\":\"$TOPIC\",\"key\":\"k1\",\"payload\":{\"hello\":\"world\"}}'"
    echo "then watch the consumer deliver it to the simulator below (\"webhook-simulator"
    echo "received\" lines). The consumer's progress line shows when something changed."
    echo "Ctrl-C stops all three."
    echo "--- consumer and producer logs ---"
    # Both logs, interleaved, without tail's file headers; tail exits with this script (--pid).
    tail -q -n +1 -F --pid=$$ "$LOGS/consumer.log" "$LOGS/producer.log" 2>/dev/null &
    PIDS+=($!)
else
    echo "Try:"
    echo "  echo 'k1:hello' | kcat -P -b $BOOTSTRAP -t $TOPIC -K:"
    printf '  kcat -C -b %s -t %s -e -f "%%p %%o %%k %%s\\n"\n' "$BOOTSTRAP" "$TOPIC"
    echo "Ctrl-C stops it."
fi
# Until Ctrl-C, or until a program exits by itself, which is a failure.
while :; do
    for i in "${!PIDS[@]}"; do
        if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
            case $i in
            0) fail "$CLUSTER_NAME exited" "$CLUSTER_LOG" ;;
            1) fail "kgw-producer exited" "$LOGS/producer.log" ;;
            2) fail "kgw-consumer exited" "$LOGS/consumer.log" ;;
            esac
        fi
    done
    sleep 0.5 &
    wait $! || true
done
