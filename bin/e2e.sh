#!/usr/bin/env bash
# bin/e2e.sh: the whole kgw pipeline, self-checking.
#
#   bin/e2e.sh [--messages N] [--consumers M] [--fail-rate R] [--brokers LIST]
#              [--topic NAME] [--partitions P] [--timeout S] [--sabotage] [--keep]
#
# Produces N messages (default 1000) through kgw-producer's POST /produce,
# verifies them in Kafka with kcat, runs M kgw-consumer instances (default 3)
# in one group against a receiver that fails a share R of requests with 503
# (default 0.2; retried), and checks that every message reached the receiver at
# least once, that per-partition order held, and that the group's committed
# offsets reached the end. Prints a summary table; exits 1 on any loss.
#
# Default target: a kgw-devcluster started by the script. --brokers LIST uses
# an existing cluster instead (e.g. the docker-compose one on
# localhost:9092,localhost:9093,localhost:9094, or bin/kafka-cluster.sh's);
# the script then creates its topic (P partitions) and dead-letter topic with
# the Admin API, or pass --topic for one that exists.
# --sabotage breaks delivery on purpose (the receiver rejects a share of records
# permanently with 400 and the consumers skip them): the run must then FAIL.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bin/lib.sh
. "$ROOT/bin/lib.sh"
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

MESSAGES=1000
CONSUMERS=3
FAIL_RATE=0.2
BROKERS=
TOPIC=
PARTITIONS=6
TIMEOUT=120
SABOTAGE=0
KEEP=0

die() {
    echo "e2e: $*" >&2
    exit 2
}
need_num() { [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$1 needs a number, got '$2'"; }

while [ $# -gt 0 ]; do
    case $1 in
    --messages) need_num "$1" "${2:-}"; MESSAGES=$2; shift 2 ;;
    --consumers) need_num "$1" "${2:-}"; CONSUMERS=$2; shift 2 ;;
    --fail-rate) need_num "$1" "${2:-}"; FAIL_RATE=$2; shift 2 ;;
    --brokers) BROKERS=${2:?--brokers needs a list}; shift 2 ;;
    --topic) TOPIC=${2:?--topic needs a name}; shift 2 ;;
    --partitions) need_num "$1" "${2:-}"; PARTITIONS=$2; shift 2 ;;
    --timeout) need_num "$1" "${2:-}"; TIMEOUT=$2; shift 2 ;;
    --sabotage) SABOTAGE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help)
        sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
for bin in kgw-producer kgw-consumer kgw-devcluster tests/kafka-offsets tests/kafka-admin; do
    [ -x "$BUILD/$bin" ] || die "$BUILD/$bin is not built (run make)"
done
# The test tools are not part of `make`'s packages (bin/deps.sh's test group has them).
for cmd in kcat python3 curl; do
    command -v "$cmd" >/dev/null 2>&1 ||
        die "$cmd is not installed (make deps GROUPS=test, or bin/deps.sh --install test)"
done

RUN_ID="$(date +%s)-$$"
CREATE_TOPIC=
[ -n "$TOPIC" ] || CREATE_TOPIC=1
TOPIC=${TOPIC:-e2e-$RUN_ID}
GROUP=e2e-$RUN_ID
DLQ=$TOPIC-dlq
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kgw-e2e.XXXXXX")
PIDS=()
START=$SECONDS

cleanup() {
    local rc=$?
    stop_pids "${PIDS[@]}"
    if [ "$KEEP" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "e2e: logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "e2e: $*"; }
wait_until() {
    local secs=$1
    shift
    local deadline=$((SECONDS + secs))
    until "$@" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# 1. Kafka
DC_EMBEDDED=
if [ -z "$BROKERS" ]; then
    DC_EMBEDDED=1
    mkfifo "$WORK/dc.ctl"
    exec {ctl}<>"$WORK/dc.ctl"
    "$BUILD/kgw-devcluster" --brokers 3 --topic "$TOPIC:$PARTITIONS" --topic "$DLQ:1" \
        --bootstrap-file "$WORK/bootstrap" <&"$ctl" >"$WORK/devcluster.out" 2>"$WORK/devcluster.log" &
    PIDS+=($!)
    wait_until 20 test -s "$WORK/bootstrap" || die "kgw-devcluster did not start"
    BROKERS=$(cat "$WORK/bootstrap")
    say "kgw-devcluster at $BROKERS"
else
    say "using the cluster at $BROKERS"
    # Brokers may not auto-create topics (Apache Kafka's test cluster does not).
    if [ -n "$CREATE_TOPIC" ]; then
        "$BUILD/tests/kafka-admin" -b "$BROKERS" create "$TOPIC:$PARTITIONS" "$DLQ:1" ||
            die "could not create $TOPIC and $DLQ"
    fi
fi

# 2. Producer
PORT=$(free_port)
"$BUILD/kgw-producer" --brokers "$BROKERS" --port "$PORT" --listen 127.0.0.1 \
    >/dev/null 2>"$WORK/producer.log" &
PIDS+=($!)
URL=http://127.0.0.1:$PORT
wait_until 30 curl -sf -o /dev/null "$URL/ready" || die "kgw-producer not ready (see $WORK/producer.log)"
say "kgw-producer on $URL"

# 3. Produce N messages over keep-alive connections (curl --parallel).
mkdir -p "$WORK/resp"
for ((i = 0; i < MESSAGES; i++)); do
    # "next" only between entries: a trailing one is an empty operation that
    # makes curl abort the transfers still running.
    [ "$i" -eq 0 ] || echo next
    printf 'url = "%s/produce"\nheader = "Content-Type: application/json"\n' "$URL"
    printf 'data = "{\\"topic\\":\\"%s\\",\\"key\\":\\"key-%d\\",\\"payload\\":{\\"seq\\":%d,\\"run\\":\\"%s\\"}}"\n' \
        "$TOPIC" $((i % 50)) "$i" "$RUN_ID"
    # Per-request options: curl resets them at every "next".
    printf 'output = "%s/resp/%d.json"\nmax-time = 40\nsilent\nwrite-out = "%%{http_code}\\n"\n' "$WORK" "$i"
done >"$WORK/curl.conf"
curl -s --parallel --parallel-max 16 -K "$WORK/curl.conf" >"$WORK/statuses" 2>"$WORK/curl.err" || true
ACKED=$(cat "$WORK"/resp/*.json 2>/dev/null | grep -o '"success":[ ]*true' | wc -l)
say "produced $MESSAGES, acknowledged $ACKED ($(sort "$WORK/statuses" | uniq -c | tr -s ' \n' ' '))"

# 4. Read them back from Kafka.
kcat -C -b "$BROKERS" -t "$TOPIC" -e -q -f '%p %o %s\n' >"$WORK/kafka.txt"
say "read back $(wc -l <"$WORK/kafka.txt") records from $TOPIC"

# 5. Receiver failing a share of requests, then M consumers in one group.
RPORT=$(free_port)
if [ "$SABOTAGE" = 1 ]; then
    python3 "$ROOT/tests/tools/receiver.py" --port "$RPORT" --log "$WORK/received.jsonl" \
        --fail-rate 0.05 --fail-status 400 >/dev/null 2>"$WORK/receiver.log" &
    POLICY=(-on-failure skip)
else
    python3 "$ROOT/tests/tools/receiver.py" --port "$RPORT" --log "$WORK/received.jsonl" \
        --fail-rate "$FAIL_RATE" --fail-status 503 >/dev/null 2>"$WORK/receiver.log" &
    POLICY=(-on-failure dlq -dlq-topic "$DLQ")
fi
PIDS+=($!)
wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$RPORT/" || die "receiver did not start"
CPIDS=()
# librdkafka 2.0.2's mock coordinator waits a full session timeout (45 s by
# default) for the members to rejoin before it completes a rebalance: with the
# embedded cluster, short timeouts make a join take seconds (as in the tests).
GROUP_PROPS=()
[ -n "$DC_EMBEDDED" ] && GROUP_PROPS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
for ((c = 1; c <= CONSUMERS; c++)); do
    "$BUILD/kgw-consumer" -broker "$BROKERS" -topic "$TOPIC" -group "$GROUP" \
        -target-url "http://127.0.0.1:$RPORT/hook" -workers 8 -retries 20 "${POLICY[@]}" \
        "${GROUP_PROPS[@]}" -stats-interval 5 >/dev/null 2>"$WORK/consumer-$c.log" &
    PIDS+=($!)
    CPIDS+=($!)
done
say "$CONSUMERS consumers in group $GROUP -> receiver on :$RPORT (fail rate $FAIL_RATE)"

lag_zero() {
    "$BUILD/tests/kafka-offsets" -b "$BROKERS" -t "$TOPIC" -g "$GROUP" >"$WORK/offsets.txt" &&
        grep -q ' lag 0$' "$WORK/offsets.txt" &&
        ! grep -q 'committed -1$' <(grep -v ' high 0 ' "$WORK/offsets.txt" | grep '^partition')
}
if wait_until "$TIMEOUT" lag_zero; then
    say "committed offsets reached the end of every partition"
    COMMITTED_OK=1
else
    say "committed offsets did NOT reach the end within ${TIMEOUT}s:"
    cat "$WORK/offsets.txt" || true
    COMMITTED_OK=0
fi

# 6. Stop the consumers cleanly (SIGTERM: finish, commit, leave); each must exit 0.
CONSUMER_EXIT_OK=1
for pid in "${CPIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || { CONSUMER_EXIT_OK=0; say "a consumer exited $rc"; }
done

DEAD=0
if [ "$SABOTAGE" = 0 ]; then
    DEAD=$(kcat -C -b "$BROKERS" -t "$DLQ" -e -q -f 'x\n' 2>/dev/null | wc -l)
fi
echo
rc=0
python3 "$ROOT/bin/e2e_check.py" --sent "$MESSAGES" --responses "$WORK/resp" \
    --kafka "$WORK/kafka.txt" --received "$WORK/received.jsonl" --dead-lettered "$DEAD" \
    --elapsed $((SECONDS - START)) || rc=1
[ "$COMMITTED_OK" = 1 ] || { echo "FAIL: committed offsets did not reach the end"; rc=1; }
[ "$CONSUMER_EXIT_OK" = 1 ] || { echo "FAIL: a consumer did not exit 0 on SIGTERM"; rc=1; }
exit "$rc"
