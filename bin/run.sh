#!/usr/bin/env bash
# make run: the whole kgw pipeline on the embedded cluster, in the foreground.
#
#   bin/run.sh [--port 6969] [--topic events] [--partitions 6]
#
# Starts kgw-devcluster (3 brokers, TOPIC with PARTITIONS partitions), then,
# when they are built, kgw-producer on PORT and kgw-consumer forwarding TOPIC to
# the producer's /webhook-simulator. Prints what to try and where logs go.
# Ctrl-C stops everything it started, by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bin/lib.sh
. "$ROOT/bin/lib.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PORT=6969
TOPIC=events
PARTITIONS=6

while [ $# -gt 0 ]; do
    case $1 in
    --port) PORT=$2; shift 2 ;;
    --topic) TOPIC=$2; shift 2 ;;
    --partitions) PARTITIONS=$2; shift 2 ;;
    -h | --help)
        sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
done

LOGS=$(mktemp -d "${TMPDIR:-/tmp}/kgw-run.XXXXXX")
PIDS=()
stop_all() {
    trap - INT TERM EXIT
    echo
    echo "stopping..."
    stop_pids "${PIDS[@]}"
    echo "stopped; logs kept in $LOGS"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 20; i++)); do
        "$@" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# Each program runs in its own session (setsid), so the terminal's Ctrl-C reaches only this
# script, which then stops them in order: consumer (commits, leaves the group), producer,
# cluster. Otherwise all three get SIGINT at once and the consumer's last commit meets a
# cluster that is already gone.
# kgw-devcluster's stdin stays open (a fifo we hold) so it keeps running.
mkfifo "$LOGS/devcluster.ctl"
exec {ctl}<>"$LOGS/devcluster.ctl"
setsid "$BUILD/kgw-devcluster" --brokers 3 --topic "$TOPIC:$PARTITIONS" \
    --bootstrap-file "$LOGS/bootstrap" <&"$ctl" >"$LOGS/devcluster.out" 2>"$LOGS/devcluster.log" &
PIDS+=($!)
if ! wait_for 20 test -s "$LOGS/bootstrap"; then
    cat "$LOGS/devcluster.log" >&2
    echo "run.sh: kgw-devcluster did not start" >&2
    exit 1
fi
BOOTSTRAP=$(cat "$LOGS/bootstrap")

echo "kgw-devcluster: 3 in-memory brokers at $BOOTSTRAP (topic $TOPIC, $PARTITIONS partitions)"
echo "  log: $LOGS/devcluster.log"

if [ -x "$BUILD/kgw-producer" ]; then
    setsid "$BUILD/kgw-producer" --brokers "$BOOTSTRAP" --port "$PORT" --listen 127.0.0.1 \
        2>"$LOGS/producer.log" >/dev/null &
    PIDS+=($!)
    if ! wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/ready"; then
        tail -5 "$LOGS/producer.log" >&2
        echo "run.sh: kgw-producer did not become ready on port $PORT" >&2
        exit 1
    fi
    echo "kgw-producer: http://127.0.0.1:$PORT  (log: $LOGS/producer.log)"
fi
if [ -x "$BUILD/kgw-consumer" ] && [ -x "$BUILD/kgw-producer" ]; then
    setsid "$BUILD/kgw-consumer" -broker "$BOOTSTRAP" -topic "$TOPIC" -group kgw-run \
        -target-url "http://127.0.0.1:$PORT/webhook-simulator?delay_ms=0&error_rate=0" \
        -workers 16 -stats-interval 5 2>"$LOGS/consumer.log" >/dev/null &
    PIDS+=($!)
    echo "kgw-consumer: $TOPIC -> http://127.0.0.1:$PORT/webhook-simulator  (log: $LOGS/consumer.log)"
    echo
    echo "Try:"
    echo "  curl -X POST http://127.0.0.1:$PORT/produce -H 'Content-Type: application/json' \\"
    echo "       -d '{\"topic\":\"$TOPIC\",\"key\":\"k1\",\"payload\":{\"hello\":\"world\"}}'"
    echo "then watch the consumer deliver it to the simulator below (\"webhook-simulator"
    echo "received\" lines). Ctrl-C stops all three."
    echo
    # Both logs, interleaved; tail exits with this script (--pid), grep on its EOF.
    tail -n 0 -F --pid=$$ "$LOGS/consumer.log" "$LOGS/producer.log" 2>/dev/null |
        grep --line-buffered -v '^==> ' &
    PIDS+=($!)
else
    echo
    echo "Try:"
    echo "  echo 'k1:hello' | kcat -P -b $BOOTSTRAP -t $TOPIC -K:"
    printf '  kcat -C -b %s -t %s -e -f "%%p %%o %%k %%s\\n"\n' "$BOOTSTRAP" "$TOPIC"
    echo "Ctrl-C stops it."
fi
wait "${PIDS[0]}"
