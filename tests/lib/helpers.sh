#!/usr/bin/env bash
# Shared helpers for integration and end-to-end tests (sourced, kcat-style).
#
# Every test gets a private temp dir ($TMP), starts what it needs on loopback
# ports, and the EXIT trap stops every process it started, by PID. Checks
# print TAP-style lines that tests/run.sh counts:
#     ok - description            not ok - description
# Waiting is always polling with a deadline (wait_until), never a fixed sleep.

# Variables set here are read by the sourcing test scripts.
# shellcheck disable=SC2034
set -euo pipefail

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kgw-test.XXXXXX")
PIDS=()
# Functions run first by the EXIT trap (e.g. restarting a stopped broker).
CLEANUP_HOOKS=()
FAILS=0
KAFKA_PAUSED=()
KAFKA_DOWN=()
# A unique suffix for topics and groups, so reruns never see old data.
RUN_ID="$$-$RANDOM"

ok() { echo "ok - $*"; }
not_ok() {
    echo "not ok - $*"
    FAILS=$((FAILS + 1))
}
note() { echo "# $*"; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1 (expected '$2', got '$3')"
    fi
}

# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Under make asan a sanitizer report in a background program's stderr fails
# the test, with the report: ASan aborts the program, and a program that died
# after the last check (or whose death only stalled what was being waited
# for) would otherwise pass, or fail with no word of why.
sanitizer_reports() {
    local f report line
    for f in "$TMP"/*.err; do
        [ -f "$f" ] || continue
        report=$(grep -E -A40 'ERROR: (Address|Leak)Sanitizer|: runtime error: ' "$f" | head -60) || true
        [ -n "$report" ] || continue
        not_ok "sanitizer report in $(basename "$f" .err)'s stderr"
        while IFS= read -r line; do echo "# $line"; done <<<"$report"
    done
}

cleanup() {
    local rc=$? pid hook
    local i
    # A real Kafka node a test paused or stopped is given back first, so a
    # failed test never leaves the shared cluster short of a broker.
    for pid in "${KAFKA_PAUSED[@]+"${KAFKA_PAUSED[@]}"}"; do
        kafka_node_cmd node-stop "$pid" CONT >/dev/null 2>&1 || true
    done
    for pid in "${KAFKA_DOWN[@]+"${KAFKA_DOWN[@]}"}"; do
        kafka_node_cmd node-start "$pid" >/dev/null 2>&1 || true
    done
    for hook in "${CLEANUP_HOOKS[@]+"${CLEANUP_HOOKS[@]}"}"; do
        "$hook" || true
    done
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[$i]}
        stop_pid "$pid"
    done
    [ -z "${KGW_SANITIZED:-}" ] || sanitizer_reports
    if [ "${KGW_KEEP_TMP:-0}" = 1 ]; then
        echo "# kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    if [ "$rc" -eq 0 ] && [ "$FAILS" -gt 0 ]; then
        rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_bg NAME COMMAND...: runs the command in the background with stdout and
# stderr in $TMP/NAME.out and $TMP/NAME.err; sets LAST_PID.
start_bg() {
    local name=$1
    shift
    # The explicit 0<&0 keeps the caller's stdin: without it bash gives a
    # background command /dev/null.
    "$@" 0<&0 >"$TMP/$name.out" 2>"$TMP/$name.err" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

# wait_until SECONDS COMMAND...: polls every 50 ms until the command succeeds;
# returns 1 when the deadline passes. The command is re-run on every poll, but
# its arguments are expanded once: poll a function, not "$(...)" in an argument.
wait_until() {
    local secs=$1
    shift
    local deadline=$((SECONDS + secs))
    until "$@" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.05
    done
}

alive() { kill -0 "$1" 2>/dev/null; }

# memory_bounds_apply: false under valgrind or a sanitizer build, whose shadow
# memory inflates RSS; peak-memory assertions are made in the plain runs.
memory_bounds_apply() {
    [ "${KGW_UNDER_VALGRIND:-0}" != 1 ] && [ "${KGW_SANITIZED:-0}" != 1 ]
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Two tiers (tests/kafka/run.sh): by default each test starts its own
# kgw-devcluster; with KGW_TEST_BROKERS set (make test-kafka) tests share the
# real Apache Kafka cluster of bin/kafka-cluster.sh, whose directory is
# KGW_KAFKA_DIR. Topics are never auto-created there: tests name theirs.
KGW_TEST_BROKERS=${KGW_TEST_BROKERS:-}
real_kafka() { [ -n "$KGW_TEST_BROKERS" ]; }

# devcluster_only REASON: ends a test that needs the mock's controls (injected
# protocol errors, broker RTT, ...) with a note when it runs on real Kafka.
devcluster_only() {
    if real_kafka; then
        note "skip: kgw-devcluster only ($*)"
        exit 0
    fi
}

# real_kafka_only REASON: the opposite, for faults only a real cluster has.
real_kafka_only() {
    if ! real_kafka; then
        note "skip: real Kafka only, run by make test-kafka ($*)"
        exit 0
    fi
}

# kafka_node_cmd ARGS...: bin/kafka-cluster.sh on the test cluster (node-stop N
# SIGNAL, node-start N, node-pid N).
kafka_node_cmd() {
    "$ROOT/bin/kafka-cluster.sh" "$@" --dir "$KGW_KAFKA_DIR"
}

# kafka_pause N / kafka_resume N: SIGSTOP / SIGCONT real Kafka node N (a
# broker that stops answering, like a GC pause or a partition); a node still
# paused when the test exits is resumed by the EXIT trap.
kafka_pause() {
    kafka_node_cmd node-stop "$1" STOP
    KAFKA_PAUSED+=("$1")
}
kafka_resume() {
    kafka_node_cmd node-stop "$1" CONT
}

# kafka_down N / kafka_up N: stop real Kafka node N cleanly (SIGTERM; its
# leaderships move) / start it again and wait until it answers metadata. The
# EXIT trap restarts a node a test left down.
kafka_down() {
    kafka_node_cmd node-stop "$1" TERM
    KAFKA_DOWN+=("$1")
}
kafka_up() {
    kafka_node_cmd node-start "$1"
    local keep=() n
    for n in "${KAFKA_DOWN[@]}"; do [ "$n" = "$1" ] || keep+=("$n"); done
    KAFKA_DOWN=("${keep[@]+"${keep[@]}"}")
}

# leader_of TOPIC PARTITION: the broker id leading the partition (on real
# Kafka the id is the node number of bin/kafka-cluster.sh).
leader_of() {
    kcat -L -b "$BOOTSTRAP" -t "$1" 2>/dev/null |
        sed -n "s/^ *partition $2, leader \([0-9]*\),.*/\1/p"
}

# create_topic NAME PARTITIONS: on either tier, replicated 3 times where the
# cluster has 3 brokers.
create_topic() {
    if real_kafka; then
        "$BUILD/tests/kafka-admin" -b "$BOOTSTRAP" create "$1:$2"
    else
        dc_cmd topic create "$1" "$2" 3 >/dev/null
    fi
}

# start_devcluster ARGS...: starts kgw-devcluster with a control fifo on its
# stdin (write commands with dc_cmd); sets BOOTSTRAP and DC_PID. On real Kafka
# it creates the --topic NAME:PARTITIONS topics instead and ignores the rest.
start_devcluster() {
    if real_kafka; then
        local topics=()
        while [ $# -gt 0 ]; do
            case $1 in
            --topic)
                topics+=("$2")
                shift 2
                ;;
            --topic=*)
                topics+=("${1#--topic=}")
                shift
                ;;
            *) shift ;;
            esac
        done
        BOOTSTRAP=$KGW_TEST_BROKERS
        DC_PID=
        [ ${#topics[@]} -eq 0 ] || "$BUILD/tests/kafka-admin" -b "$BOOTSTRAP" create "${topics[@]}"
        return
    fi
    mkfifo "$TMP/dc.ctl"
    # Opened read-write, which does not block on Linux; we hold the write
    # side for dc_cmd, so the cluster never sees EOF on its stdin.
    exec {DC_CTL}<>"$TMP/dc.ctl"
    start_bg devcluster "$BUILD/kgw-devcluster" --bootstrap-file "$TMP/bootstrap" "$@" <"$TMP/dc.ctl"
    DC_PID=$LAST_PID
    if ! wait_until 20 test -s "$TMP/bootstrap"; then
        cat "$TMP/devcluster.err" >&2
        echo "kgw-devcluster did not start" >&2
        return 1
    fi
    BOOTSTRAP=$(cat "$TMP/bootstrap")
}

# lines_gt FILE N: true when FILE has more than N lines.
lines_gt() {
    [ "$(wc -l <"$1")" -gt "$2" ]
}

# dc_cmd COMMAND: sends one control command; prints and checks its reply.
dc_cmd() {
    local before
    if real_kafka; then
        echo "# dc_cmd $*: needs kgw-devcluster (this run is on real Kafka)"
        return 1
    fi
    before=$(wc -l <"$TMP/devcluster.out")
    echo "$*" >&"$DC_CTL"
    wait_until 10 lines_gt "$TMP/devcluster.out" "$before" || return 1
    local reply
    reply=$(sed -n "$((before + 1))p" "$TMP/devcluster.out")
    echo "# devcluster: $reply"
    [[ $reply == ok* ]]
}

# http_status URL [curl args...]: prints the HTTP status code only.
http_status() {
    local url=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url" || true
}

# status_is URL CODE [curl args...]: true when URL answers CODE (for wait_until,
# which must re-run the request on every poll).
status_is() {
    local url=$1 code=$2
    shift 2
    [ "$(http_status "$url" "$@")" = "$code" ]
}

# elapsed_ge START SECS: true once SECS seconds have passed since $SECONDS was START.
elapsed_ge() {
    [ $((SECONDS - $1)) -ge "$2" ]
}

# kafka_count TOPIC: number of records in TOPIC (sum over partitions), read with kcat.
kafka_count() {
    kcat -C -b "$BOOTSTRAP" -t "$1" -e -q -f 'x\n' 2>/dev/null | wc -l
}

# npm_package NAME VERSION: installs a peer library from the npm registry once into
# $KGW_NPM_CACHE (default ~/.cache/kgw-npm) and prints its prefix directory; its
# node_modules/ holds NAME afterwards (the caller checks). Later runs need no network.
npm_package() {
    local cache=${KGW_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kgw-npm}
    local name=${1#@}
    local dir=$cache/${name//\//-}-$2
    if [ ! -d "$dir/node_modules/$1" ]; then
        mkdir -p "$dir"
        timeout 300 npm install --prefix "$dir" --cache "$cache/npm" --no-audit --no-fund \
            "$1@$2" >"$TMP/npm.log" 2>&1 || cat "$TMP/npm.log" >&2
    fi
    echo "$dir"
}

# start_commit_sampler RECV_LOG OUT: every 0.3 s, the receiver's line count and the
# committed offsets of $GROUP on $TOPIC, appended to OUT for consumer_check.py --samples
# (commits never ahead of delivery); sets SAMPLER_PID, stopped by the EXIT trap.
# shellcheck disable=SC2153 # TOPIC and GROUP are the calling test's
start_commit_sampler() {
    local log=$1 out=$2
    (
        while :; do
            offs=$("$BUILD/tests/kafka-offsets" -b "$BOOTSTRAP" -t "$TOPIC" -g "$GROUP" 2>/dev/null) || offs=
            echo "SAMPLE $(wc -l <"$log" 2>/dev/null || echo 0)"
            printf '%s\n' "$offs" | grep '^partition' || true
            sleep 0.3 # sampling period, not a wait for a result
        done
    ) >"$out" 2>/dev/null &
    SAMPLER_PID=$!
    PIDS+=("$SAMPLER_PID")
}

# Ends the test; the EXIT trap turns remaining failures into a non-zero exit.
finish() {
    exit 0
}
