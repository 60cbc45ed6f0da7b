#!/usr/bin/env bash
# bench/run.sh: kgw's benchmarks beside their ceilings, printed as one table.
#
#   bench/run.sh [--quick] [--runs N] [--sections LIST] [--duration SEC] [--keep]
#
#   --quick            a short smoke run: 3 s wrk runs, 10,000-record consumer runs,
#                      a 100,000-record memory backlog for 6 s
#   --runs N           repeat the producer, batch and consumer sections N times and
#                      report medians (default 1; the issue's targets are medians of 3)
#   --sections LIST    comma-separated subset of producer,batch,consumer,memory
#   --duration SEC     each wrk run (default 15; --quick: 3)
#   --ceiling-threads N  bare_mhd's epoll threads (default: nproc)
#   --producer-args S  extra arguments for kgw-producer (word-split)
#   --consumer-args S  extra arguments for kgw-consumer (word-split)
#   --keep             keep the temporary directory with every log
#   --kafka            run on a real 3-node Apache Kafka (bin/kafka-cluster.sh, RF 3,
#                      acks=all) instead of kgw-devcluster; default sections
#                      producer,batch,consumer; the consumer section adds a bare
#                      librdkafka consumer (bare_consumer) as a second ceiling
#   --kafka-brokers L  with --kafka: use the running cluster at L instead of starting one
#
# Everything runs on 127.0.0.1, on a fresh kgw-devcluster per measurement (or fresh
# topics on the one real cluster with --kafka), bounded in time and count. A section whose kgw binary is missing still measures its ceiling and
# prints "skipped". See bench/README.md for how to read the table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BENCH=$BUILD/bench

RUNS=1
QUICK=0
DURATION=
SECTIONS=producer,batch,consumer,memory
CEILING_THREADS=$(nproc)
PRODUCER_ARGS=
CONSUMER_ARGS=
KEEP=0
KAFKA=0
KAFKA_BROKERS=
SECTIONS_SET=0

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --quick) QUICK=1 ;;
    --runs) RUNS=$2; shift ;;
    --sections) SECTIONS=$2; SECTIONS_SET=1; shift ;;
    --kafka) KAFKA=1 ;;
    --kafka-brokers) KAFKA=1; KAFKA_BROKERS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --ceiling-threads) CEILING_THREADS=$2; shift ;;
    --producer-args) PRODUCER_ARGS=$2; shift ;;
    --consumer-args) CONSUMER_ARGS=$2; shift ;;
    --keep) KEEP=1 ;;
    *) echo "bench/run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for n in "$RUNS" "$CEILING_THREADS" ${DURATION:+"$DURATION"}; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: not a positive number: $n" >&2; exit 2; }
done

[ "$KAFKA" = 1 ] && [ "$SECTIONS_SET" = 0 ] && SECTIONS=producer,batch,consumer

if [ "$QUICK" = 1 ]; then
    DURATION=${DURATION:-3}
    CONSUMER_RECORDS=10000  # 1 KiB records over 32 partitions
    BARE_PRODUCER_RECORDS=100000
    CLOSED_RECORDS=100000   # closed-loop bound at 64 in flight (half at 8)
    MEMORY_RECORDS=100000   # 100-byte records over 64 partitions
    MEMORY_SECONDS=6
else
    DURATION=${DURATION:-15}
    CONSUMER_RECORDS=100000 # ~3.1 MiB per partition: inside the mock's ~5 MiB
    BARE_PRODUCER_RECORDS=500000
    CLOSED_RECORDS=200000
    MEMORY_RECORDS=1000000  # ~1.6 MiB per partition
    MEMORY_SECONDS=20
fi
WORKERS=64
BATCH_MAX=100 # kgw-consumer -batch-max of the batch row
RECORD_BYTES=1024
BATCH_RECORDS=100
SLOW_SINK_DELAY_MS=20 # 64 workers x 50 answers/s: far slower than the backlog

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kgw-bench.XXXXXX")
PIDS=()

# stop_pid PID: SIGTERM, wait up to 30 s (a producer flushes its in-flight records), then SIGKILL.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        is_zombie "$pid" && break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

is_zombie() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

cleanup() {
    local rc=$? i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[$i]}"
    done
    [ -n "${KAFKA_DIR:-}" ] && "$ROOT/bin/kafka-cluster.sh" stop --dir "$KAFKA_DIR"
    if [ "$KEEP" = 1 ]; then
        echo "logs kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_bg NAME COMMAND...: starts the command with its output in $TMP/NAME.{out,err};
# sets LAST_PID (the program's own PID: a simple command, so bash execs it directly).
start_bg() {
    local name=$1
    shift
    "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

# stop_bg PID: stops a process started with start_bg and forgets it.
stop_bg() {
    local pid=$1 i
    stop_pid "$pid"
    for i in "${!PIDS[@]}"; do
        [ "${PIDS[$i]}" = "$pid" ] && unset 'PIDS[i]'
    done
    PIDS=("${PIDS[@]}")
}

# wait_until SECONDS COMMAND...: polls every 100 ms; returns 1 at the deadline.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" 2>/dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

vmhwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# wait_pid PID SECONDS: waits for PID to exit, SIGTERM at the deadline (sets TIMED_OUT=1),
# sampling its peak RSS (VmHWM) into PEAK_KB every 100 ms; sets EXIT_STATUS.
wait_pid() {
    local pid=$1 deadline=$((SECONDS + $2)) kb
    PEAK_KB=0
    TIMED_OUT=0
    while kill -0 "$pid" 2>/dev/null && ! is_zombie "$pid"; do
        kb=$(vmhwm_kb "$pid")
        if [ -n "$kb" ] && [ "$kb" -gt "$PEAK_KB" ]; then PEAK_KB=$kb; fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            TIMED_OUT=1
            break
        fi
        sleep 0.1
    done
    EXIT_STATUS=0
    if [ "$TIMED_OUT" = 1 ]; then
        stop_bg "$pid"
    else
        wait "$pid" || EXIT_STATUS=$?
        stop_bg "$pid"
    fi
}

# peak_kb PID: VmHWM of a running process (read before stopping it).
peak_kb() {
    local kb
    kb=$(vmhwm_kb "$1")
    echo "${kb:-0}"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# field KEY LINE: the value of key=value in a line of such pairs.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
# json_field KEY JSON: a number from the sink's flat JSON.
json_field() { sed -n "s/.*\"$1\": \\([0-9.]*\\).*/\\1/p" <<<"$2"; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
listening_port() { sed -n 's/^listening port=\([0-9]*\).*/\1/p' "$TMP/$1.out"; }
has_port() { [ -n "$(listening_port "$1")" ]; }
log() { echo "bench: $*" >&2; }

# Results: R[key] holds one value per run, space-separated; the table shows medians.
declare -A R=()
add() { R[$1]="${R[$1]:-}${R[$1]:+ }$2"; }
median() {
    local vals=${R[$1]:-}
    [ -z "$vals" ] && return 0
    tr ' ' '\n' <<<"$vals" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
SKIPPED=()
DROPPED=0
# peak KEY: the largest value over the runs (for peak RSS).
peak() { tr ' ' '\n' <<<"${R[$1]:-}" | sort -g | tail -1; }
skip() {
    local msg="skipped: $1"
    log "$msg"
    for s in "${SKIPPED[@]}"; do [ "$s" = "$msg" ] && return 0; done
    SKIPPED+=("$msg")
}
want() { [[ ,$SECTIONS, == *,$1,* ]]; }

# --- kgw-devcluster ---------------------------------------------------------------

# devcluster_start TOPIC:PARTS...: a fresh 3-broker mock cluster; sets BROKERS, DC_PID.
# With --kafka: fresh topics on the real cluster instead, named with the prefix TP.
TP=
devcluster_start() {
    local args=() t
    if [ "$KAFKA" = 1 ]; then
        TP="b$RUN-$RANDOM-"
        for t in "$@"; do args+=("$TP$t"); done
        BROKERS=$KAFKA_BROKERS
        DC_PID=
        "$BUILD/tests/kafka-admin" -b "$BROKERS" create "${args[@]}"
        return
    fi
    for t in "$@"; do args+=(--topic "$t"); done
    rm -f "$TMP/bootstrap"
    start_bg devcluster "$BUILD/kgw-devcluster" --brokers 3 --bootstrap-file "$TMP/bootstrap" \
        "${args[@]}"
    DC_PID=$LAST_PID
    if ! wait_until 20 test -s "$TMP/bootstrap"; then
        cat "$TMP/devcluster.err" >&2
        echo "bench: kgw-devcluster did not start" >&2
        exit 1
    fi
    BROKERS=$(cat "$TMP/bootstrap")
}

devcluster_stop() { [ -z "$DC_PID" ] || stop_bg "$DC_PID"; }

# topic_count TOPIC: prints "partitions=N high=H low=L records=R" (watermarks).
topic_count() { "$BENCH/count" --brokers "$BROKERS" --topic "$TP$1"; }

# preload TOPIC COUNT BYTES: fills a topic with bare_producer and checks the mock kept it all.
preload() {
    local out counted
    out=$("$BENCH/bare_producer" --brokers "$BROKERS" --topic "$TP$1" --count "$2" --size "$3")
    counted=$(topic_count "$1")
    if [ "$(field low "$counted")" != 0 ] || [ "$(field high "$counted")" != "$2" ]; then
        echo "bench: preload of $1 incomplete ($counted; the mock keeps ~5 MiB per partition)" >&2
        exit 1
    fi
    log "preloaded $1: $out"
}

# --- producer ---------------------------------------------------------------------

# warm_topic TOPIC CONNS SCRIPT ARGS...: on real Kafka, 3 s of the same load through
# kgw-producer before the topic is measured. Measured 2026-12-02 (loaded machine): on a
# topic created a moment before, a warm kgw-producer made 33 batches/s in its first 3 s
# (p99 1.4 s), then 105-115 (p99 ~190 ms); a fresh kgw-producer made 42 and 55 req/s at 8
# connections (p50 ~150 ms), then 236. Kafka warms up new partitions and librdkafka
# connects to each leader on first use; the --quick smoke run had counted that as kgw's
# cost. The warm-up records are subtracted in the count check (WARMED).
declare -A WARMED=()
warm_topic() {
    local topic=$1 conns=$2 script=$3 line
    shift 3
    [ "$KAFKA" = 1 ] || return 0
    line=$(DURATION=3 wrk_run "warm-$topic" "$conns" "$script" "$PRODUCER_URL" "$TP$topic" "$@")
    # The requests wrk left in flight when it stopped land after it: count once
    # the topic stops growing (3 equal counts 0.3 s apart, at most 15 s), or the
    # measured run's count check would find them (it did: +93 at 64 connections).
    local n prev=-1 same=0 t0=$SECONDS
    while [ "$same" -lt 3 ] && [ $((SECONDS - t0)) -lt 15 ]; do
        n=$(field high "$(topic_count "$topic")")
        if [ "$n" = "$prev" ]; then same=$((same + 1)); else same=0; fi
        prev=$n
        sleep 0.3
    done
    WARMED[$topic]=$prev
    log "warmed $TP$topic through kgw-producer (${WARMED[$topic]} records): $line"
}

# wrk_run NAME CONNS SCRIPT URL ARGS...: runs wrk, prints its WRK line.
wrk_run() {
    local name=$1 conns=$2 script=$3 url=$4
    shift 4
    timeout $((DURATION + 60)) wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 10s \
        -s "$ROOT/bench/$script" "$url" -- "$@" >"$TMP/$name.wrk" 2>&1 || true
    grep '^WRK ' "$TMP/$name.wrk" || {
        cat "$TMP/$name.wrk" >&2
        echo "bench: wrk failed ($name)" >&2
        exit 1
    }
}

bare_mhd_start() {
    start_bg bare_mhd "$BENCH/bare_mhd" --port 0 --threads "$CEILING_THREADS"
    MHD_PID=$LAST_PID
    wait_until 10 has_port bare_mhd || { echo "bench: bare_mhd did not start" >&2; exit 1; }
    MHD_URL="http://127.0.0.1:$(listening_port bare_mhd)"
}

# producer_answers PATH CODE...: true when GET /PATH answers one of the codes.
producer_answers() {
    local code path=$1
    shift
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$PRODUCER_URL/$path" || true)
    [[ " $* " == *" $code "* ]]
}

# kgw_producer_start: on the current devcluster; sets PRODUCER_PID, PRODUCER_URL.
kgw_producer_start() {
    local port
    port=$(free_port)
    # shellcheck disable=SC2086 # --producer-args is word-split on purpose
    start_bg kgw-producer "$BUILD/kgw-producer" --brokers "$BROKERS" --port "$port" \
        --listen 127.0.0.1 $PRODUCER_ARGS
    PRODUCER_PID=$LAST_PID
    PRODUCER_URL="http://127.0.0.1:$port"
    if ! wait_until 20 producer_answers health 200; then
        tail -5 "$TMP/kgw-producer.err" >&2
        echo "bench: kgw-producer did not answer /health" >&2
        exit 1
    fi
    # /ready: metadata reachable. Tolerate a producer without /ready (404).
    wait_until 20 producer_answers ready 200 404 || log "kgw-producer not ready after 20 s"
    # One request outside the measured topic, so metadata and connections are warm.
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d '{"topic":"'"${TP}"'warm","payload":{"warm":true}}' "$PRODUCER_URL/produce" || true
}

# verify_count KEY WRKLINE TOPIC PER_REQUEST: Kafka's records against the 200 answers.
# Every 200 must be in Kafka (high >= ok x per_request); requests still in flight when wrk
# stopped, and non-2xx answers, may have been written too (at most that many more).
verify_count() {
    local key=$1 line=$2 topic=$3 per=$4 counted high ok slack verdict
    counted=$(topic_count "$topic")
    high=$(($(field high "$counted") - ${WARMED[$topic]:-0}))
    ok=$(($(field ok "$line") * per))
    slack=$((($(field sent "$line") - $(field requests "$line") + $(field non2xx "$line")) * per))
    if [ "$high" = "$ok" ]; then
        verdict=exact
    elif [ "$high" -gt "$ok" ] && [ "$high" -le $((ok + slack)) ]; then
        verdict="+$((high - ok))"
    else
        verdict=MISMATCH
    fi
    # The mock dropped old records: the high watermarks still count every append.
    [ "$(field low "$counted")" = 0 ] || DROPPED=1
    add "$key.kafka" "$high"
    add "$key.ok" "$ok"
    add "$key.verdict" "$verdict"
    log "$key: kafka=$high ok200=$ok $verdict ($counted)"
}

# gateway_run CONNS MODE: bare_gateway, the glue alone (libmicrohttpd suspends, librdkafka
# acknowledges, the report resumes: no kgw code), with kgw-producer's threads and librdkafka
# settings, on the current cluster (topic gw) after 3 s of the same load.
gateway_run() {
    local conns=$1 mode=$2 line url
    start_bg "bare_gateway-$mode" "$BENCH/bare_gateway" --brokers "$BROKERS" --topic "${TP}gw" \
        --mode "$mode" --threads 2 -X linger.ms=0 -X partitioner=murmur2_random \
        -X message.timeout.ms=30000 -X queue.buffering.max.kbytes=65536
    wait_until 10 has_port "bare_gateway-$mode" || { echo "bench: bare_gateway did not start" >&2; exit 1; }
    url="http://127.0.0.1:$(listening_port "bare_gateway-$mode")"
    DURATION=3 wrk_run "warm-gw-$mode-c$conns" "$conns" produce.lua "$url" "${TP}gw" "$RECORD_BYTES" >/dev/null
    line=$(wrk_run "bare_gateway-$mode-c$conns" "$conns" produce.lua "$url" "${TP}gw" "$RECORD_BYTES")
    stop_bg "$LAST_PID"
    log "bare_gateway --mode $mode c$conns: $line"
    add "p$conns.gw_$mode" "$(field rps "$line")"
    add "p$conns.gw_$mode.p99" "$(field p99_ms "$line")"
}

section_producer() {
    local conns line ceil kgw
    for conns in 8 64; do
        bare_mhd_start
        line=$(wrk_run "bare_mhd-c$conns" "$conns" produce.lua "$MHD_URL" bench "$RECORD_BYTES")
        add "rss.bare_mhd" "$(peak_kb "$MHD_PID")"
        stop_bg "$MHD_PID"
        log "bare_mhd c$conns: $line"
        ceil=$(field rps "$line")
        add "p$conns.ceil" "$ceil"
        add "p$conns.ceil.p50" "$(field p50_ms "$line")"
        add "p$conns.ceil.p99" "$(field p99_ms "$line")"

        if [ ! -x "$BUILD/kgw-producer" ]; then
            skip "build/kgw-producer not built yet"
            continue
        fi
        # The glue alone, each structure on a cluster of its own (a cluster that already
        # took a 15 s load is slower for the next program measured on it).
        for mode in poller external loop; do
            devcluster_start gw:32
            gateway_run "$conns" "$mode"
            devcluster_stop
        done
        devcluster_start bench:32 warm:1 closed:32
        # The Kafka side alone: librdkafka with kgw's settings and the same number of
        # records in flight as wrk keeps requests, no HTTP, no wrk. kgw cannot beat it.
        line=$("$BENCH/bare_producer" --brokers "$BROKERS" --topic "${TP}closed" \
            --count $((conns == 8 ? CLOSED_RECORDS / 2 : CLOSED_RECORDS)) --size "$RECORD_BYTES" \
            --outstanding "$conns" -X linger.ms=0)
        log "bare_producer --outstanding $conns: $line"
        add "p$conns.bound" "$(field rate_per_s "$line")"
        add "p$conns.bound.ratio" "$(calc "100 * $(field rate_per_s "$line") / $ceil")"
        # Both halves land on the same cores, so a gateway that added nothing of its own
        # would spend the sum of their costs per request: the composite bound.
        add "p$conns.comp" "$(calc "1 / (1 / $ceil + 1 / $(field rate_per_s "$line"))")"
        for mode in poller external loop; do
            add "p$conns.gw_$mode.of_comp" \
                "$(calc "100 * ${R[p$conns.gw_$mode]##* } / ${R[p$conns.comp]##* }")"
        done
        kgw_producer_start
        warm_topic bench "$conns" produce.lua "$RECORD_BYTES"
        line=$(wrk_run "kgw-producer-c$conns" "$conns" produce.lua "$PRODUCER_URL" "${TP}bench" "$RECORD_BYTES")
        add "rss.producer.c$conns" "$(peak_kb "$PRODUCER_PID")"
        stop_bg "$PRODUCER_PID"
        log "kgw-producer c$conns: $line"
        kgw=$(field rps "$line")
        add "p$conns.kgw" "$kgw"
        add "p$conns.kgw.p50" "$(field p50_ms "$line")"
        add "p$conns.kgw.p99" "$(field p99_ms "$line")"
        add "p$conns.ratio" "$(calc "100 * $kgw / $ceil")"
        add "p$conns.of_bound" "$(calc "100 * $kgw / ${R[p$conns.bound]##* }")"
        add "p$conns.of_comp" "$(calc "100 * $kgw / ${R[p$conns.comp]##* }")"
        add "p$conns.of_gw" "$(calc "100 * $kgw / ${R[p$conns.gw_poller]##* }")"
        verify_count "p$conns" "$line" bench 1
        devcluster_stop
    done
}

section_batch() {
    local out ceil line kgw
    devcluster_start batch-bare:32 batch:32 warm:1
    # The Kafka side alone with kgw's window: 8 groups of 100 records in flight, each
    # group waiting for all its reports before its next 100, as 8 clients posting
    # 100-record bodies each wait for their answer (kgw's linger.ms=0).
    start_bg bare_producer "$BENCH/bare_producer" --brokers "$BROKERS" --topic "${TP}batch-bare" \
        --count "$BARE_PRODUCER_RECORDS" --size "$RECORD_BYTES" --outstanding 8 \
        --group-size "$BATCH_RECORDS" -X linger.ms=0
    wait_pid "$LAST_PID" 120
    add "rss.bare_producer" "$PEAK_KB"
    out=$(cat "$TMP/bare_producer.out")
    log "bare_producer: $out"
    ceil=$(field rate_per_s "$out")
    [ -n "$ceil" ] || { cat "$TMP/bare_producer.err" >&2; exit 1; }
    add "batch.ceil" "$ceil"
    if [ ! -x "$BUILD/kgw-producer" ]; then
        skip "build/kgw-producer not built yet"
        devcluster_stop
        return 0
    fi
    kgw_producer_start
    warm_topic batch 8 batch.lua "$BATCH_RECORDS" "$RECORD_BYTES"
    line=$(wrk_run kgw-producer-batch 8 batch.lua "$PRODUCER_URL" "${TP}batch" "$BATCH_RECORDS" "$RECORD_BYTES")
    add "rss.producer.batch" "$(peak_kb "$PRODUCER_PID")"
    stop_bg "$PRODUCER_PID"
    log "kgw-producer batch: $line"
    kgw=$(calc "$(field ok "$line") * $BATCH_RECORDS / $(field duration_s "$line")")
    add "batch.kgw" "$kgw"
    add "batch.ratio" "$(calc "100 * $kgw / $ceil")"
    verify_count batch "$line" batch "$BATCH_RECORDS"
    devcluster_stop
}

# sink_start NAME [ARGS...]: a fresh counting receiver; sets SINK_PID, SINK_URL. Two epoll
# threads by default: with one, libmicrohttpd 0.9.75 stopped reading once 128 connections
# were open (each socket's request sat in its receive queue; bare_curl --inflight 128
# stalled after ~6,600 requests), and two serve 128 at the same rate as one serves 64.
sink_start() {
    local name=$1
    shift
    start_bg "$name" "$BENCH/sink" --port 0 --threads 2 "$@"
    SINK_PID=$LAST_PID
    wait_until 10 has_port "$name" || { echo "bench: sink did not start" >&2; exit 1; }
    SINK_URL="http://127.0.0.1:$(listening_port "$name")"
}

# sink_finish KEY: records the sink's rate and connection count under KEY, stops it.
sink_finish() {
    local key=$1 stats
    stats=$(curl -s "$SINK_URL/stats")
    add "rss.sink" "$(peak_kb "$SINK_PID")"
    stop_bg "$SINK_PID"
    log "sink after $key: $stats"
    add "$key" "$(json_field rate_per_s "$stats")"
    add "$key.conns" "$(json_field connections "$stats")"
    add "$key.requests" "$(json_field requests "$stats")"
}

# consumer_run KEY ORDERING RECORDS TIMEOUT [ARGS...]: kgw-consumer against the current sink.
consumer_run() {
    local key=$1 ordering=$2 records=$3 secs=$4
    shift 4
    # shellcheck disable=SC2086 # --consumer-args is word-split on purpose
    start_bg "kgw-consumer-$key" "$BUILD/kgw-consumer" -broker "$BROKERS" -topic "$TP$TOPIC" \
        -group "bench-$key-$RUN" -target-url "$SINK_URL/" -workers "$WORKERS" \
        -ordering "$ordering" -max-messages "$records" "$@" $CONSUMER_ARGS
    wait_pid "$LAST_PID" "$secs"
    add "rss.consumer.$key" "$PEAK_KB"
    if [ "$TIMED_OUT" = 1 ]; then
        log "kgw-consumer $key stopped after ${secs} s"
    elif [ "$EXIT_STATUS" != 0 ]; then
        tail -5 "$TMP/kgw-consumer-$key.err" >&2
        log "kgw-consumer $key exited with status $EXIT_STATUS"
    fi
}

section_consumer() {
    local out ceil secs
    TOPIC=consume
    devcluster_start "$TOPIC:32"
    preload "$TOPIC" "$CONSUMER_RECORDS" "$RECORD_BYTES"

    sink_start sink-bare
    start_bg bare_curl "$BENCH/bare_curl" --url "$SINK_URL/" --count "$CONSUMER_RECORDS" \
        --inflight "$WORKERS" --size "$RECORD_BYTES"
    wait_pid "$LAST_PID" 120
    add "rss.bare_curl" "$PEAK_KB"
    out=$(cat "$TMP/bare_curl.out")
    log "bare_curl: $out"
    sink_finish c.ceil
    ceil=${R[c.ceil]##* }
    sink_start sink-bare128
    start_bg bare_curl128 "$BENCH/bare_curl" --url "$SINK_URL/" --count "$CONSUMER_RECORDS" \
        --inflight $((2 * WORKERS)) --size "$RECORD_BYTES"
    wait_pid "$LAST_PID" 120
    log "bare_curl --inflight $((2 * WORKERS)): $(cat "$TMP/bare_curl128.out")"
    sink_finish c.ceil128
    if [ "$KAFKA" = 1 ]; then
        # On real Kafka fetching costs what it really costs: the ceiling is the
        # slower of the two halves, HTTP alone and Kafka alone.
        out=$("$BENCH/bare_consumer" --brokers "$BROKERS" --topic "$TP$TOPIC" \
            --group "bench-bare-$RUN-$RANDOM" --count "$CONSUMER_RECORDS")
        log "bare_consumer: $out"
        add "c.kceil" "$(field rate_per_s "$out")"
        ceil=$(awk "BEGIN { a = $ceil; b = $(field rate_per_s "$out"); print (a < b ? a : b) }")
    fi

    if [ ! -x "$BUILD/kgw-consumer" ]; then
        skip "build/kgw-consumer not built yet"
        devcluster_stop
        return 0
    fi
    secs=$((60 + CONSUMER_RECORDS / 1000))
    for ordering in none partition; do
        sink_start "sink-$ordering"
        consumer_run "$ordering" "$ordering" "$CONSUMER_RECORDS" "$secs"
        sink_finish "c.$ordering"
        add "c.$ordering.ratio" "$(calc "100 * ${R[c.$ordering]##* } / $ceil")"
    done
    # Twice the workers, against the ceiling with as many requests in flight.
    sink_start sink-none128
    consumer_run none128 none "$CONSUMER_RECORDS" "$secs" -workers $((2 * WORKERS))
    sink_finish c.none128
    add "c.none128.ratio" "$(calc "100 * ${R[c.none128]##* } / ${R[c.ceil128]##* }")"
    # Batches, against the same sink: the sink counts requests, so records/s is
    # the topic's records over the span from its first POST to its last.
    local stats
    sink_start sink-batch
    consumer_run batch partition "$CONSUMER_RECORDS" "$secs" -batch-max "$BATCH_MAX"
    stats=$(curl -s "$SINK_URL/stats")
    sink_finish c.batch.reqs
    add "c.batch" "$(calc "$CONSUMER_RECORDS / $(json_field elapsed_s "$stats")")"
    add "c.batch.per" "$(calc "$CONSUMER_RECORDS / $(json_field requests "$stats")")"
    add "c.batch.x" "$(calc "${R[c.batch]##* } / ${R[c.partition]##* }")"
    devcluster_stop
}

section_memory() {
    local stats
    if [ ! -x "$BUILD/kgw-consumer" ]; then
        skip "build/kgw-consumer not built yet"
        return 0
    fi
    TOPIC=backlog
    devcluster_start "$TOPIC:64"
    preload "$TOPIC" "$MEMORY_RECORDS" 100
    sink_start sink-slow --delay-ms "$SLOW_SINK_DELAY_MS" --threads 1
    consumer_run backlog partition "$MEMORY_RECORDS" "$MEMORY_SECONDS"
    stats=$(curl -s "$SINK_URL/stats")
    log "slow sink after ${MEMORY_SECONDS} s: $stats"
    add "m.forwarded" "$(json_field requests "$stats")"
    stop_bg "$SINK_PID"
    devcluster_stop
}

# --- the table --------------------------------------------------------------------

# mark VALUE OP TARGET: PASS/FAIL, or "-" without a value.
mark() {
    [ -z "$1" ] && { echo "-"; return; }
    if awk "BEGIN { exit !($1 $2 $3) }"; then echo PASS; else echo FAIL; fi
}
mb() { [ -n "$1" ] && calc "$1 / 1024" 1; }
pct() { [ -n "$1" ] && echo "$1%"; }
slash() { [ -n "$1" ] && echo "$1/$2"; }
row() { printf '%-30s %12s %12s %8s %9s  %s\n' "$@"; }

print_table() {
    local r v c
    echo
    echo "kgw bench $(date -u +%Y-%m-%dT%H:%MZ)  runs=$RUNS (medians)  wrk ${DURATION}s x2 threads" \
        "$([ "$QUICK" = 1 ] && echo '(--quick: smoke run, not for publishing)')"
    echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)," \
        "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM; loopback;" \
        "$([ "$KAFKA" = 1 ] && echo "Apache Kafka $KAFKA_VERSION, 3 KRaft nodes, RF 3, acks=all" ||
            echo "kgw-devcluster 3 brokers")"
    echo
    row "" kgw bound ratio target result
    for c in 8 64; do
        r=$(median "p$c.of_comp")
        row "produce ${c} conn req/s" "$(median "p$c.kgw")" "$(median "p$c.comp")" "$(pct "$r")" \
            ">= 90%" "$(mark "$r" '>=' 90)"
        row "  bare_mhd" "" "$(median "p$c.ceil")" "$(pct "$(median "p$c.ratio")")" "" ""
        row "  librdkafka alone" "" "$(median "p$c.bound")" "$(pct "$(median "p$c.of_bound")")" \
            "" ""
        row "  bare_gateway poller" "$(median "p$c.gw_poller")" "$(median "p$c.comp")" \
            "$(pct "$(median "p$c.gw_poller.of_comp")")" "" \
            "$([ -n "${R[p$c.of_gw]:-}" ] && echo "kgw $(median "p$c.of_gw")% of it")"
        row "  bare_gateway external" "$(median "p$c.gw_external")" "$(median "p$c.comp")" \
            "$(pct "$(median "p$c.gw_external.of_comp")")" "" ""
        row "  bare_gateway loop" "$(median "p$c.gw_loop")" "$(median "p$c.comp")" \
            "$(pct "$(median "p$c.gw_loop.of_comp")")" "" ""
        v=$(median "p$c.kgw.p99")
        row "produce ${c} conn p50/p99 ms" "$(slash "$(median "p$c.kgw.p50")" "$v")" \
            "$(slash "$(median "p$c.ceil.p50")" "$(median "p$c.ceil.p99")")" "" \
            "$([ "$c" = 64 ] && echo '<= 5 ms')" "$([ "$c" = 64 ] && mark "$v" '<=' 5)"
    done
    for c in p8 p64 batch; do
        [ -n "${R[$c.verdict]:-}" ] || continue
        v=PASS
        [[ ${R[$c.verdict]} == *MISMATCH* ]] && v=FAIL
        row "  records in Kafka / 200s ($c)" "${R[$c.kafka]##* }" "${R[$c.ok]##* }" "" "equal" \
            "$v ${R[$c.verdict]##* }"
    done
    [ -n "${R[p64.verdict]:-}${R[batch.verdict]:-}" ] &&
        echo "  (+N: requests wrk left in flight when it stopped were produced; exact otherwise)"
    [ "$DROPPED" = 1 ] &&
        echo "  (the mock dropped old records past ~5 MiB/partition; counts are high watermarks)"
    r=$(median batch.ratio)
    row "batch produce records/s" "$(median batch.kgw)" "$(median batch.ceil)" "$(pct "$r")" \
        ">= 80%" "$(mark "$r" '>=' 80)"
    [ -n "$(median batch.ceil)" ] &&
        echo "  (bound: librdkafka alone, 8 groups of $BATCH_RECORDS records in flight, each waiting for all its reports)"
    if [ -n "${R[c.kceil]:-}" ]; then
        row "  bound: bare consumer" "$(median c.kceil)" "$(median c.ceil)" "" "" \
            "(ratios below: of the smaller)"
    fi
    r=$(median c.none.ratio)
    row "consumer none records/s" "$(median c.none)" "$(median c.ceil)" "$(pct "$r")" ">= 90%" \
        "$(mark "$r" '>=' 90)"
    v=$(median c.none.conns)
    row "  TCP connections to sink" "$v" "$(median c.ceil.conns)" "" "<= $((WORKERS + 4))" \
        "$(mark "$v" '<=' $((WORKERS + 4)))"
    r=$(median c.none128.ratio)
    row "consumer none, $((2 * WORKERS)) workers" "$(median c.none128)" "$(median c.ceil128)" \
        "$(pct "$r")" ">= 90%" "$(mark "$r" '>=' 90)"
    v=$(median c.none128.conns)
    row "  TCP connections to sink" "$v" "$(median c.ceil128.conns)" "" \
        "<= $((2 * WORKERS + 4))" "$(mark "$v" '<=' $((2 * WORKERS + 4)))"
    r=$(median c.partition.ratio)
    row "consumer partition records/s" "$(median c.partition)" "$(median c.ceil)" "$(pct "$r")" \
        ">= 60%" "$(mark "$r" '>=' 60)"
    v=$(median c.partition.conns)
    row "  TCP connections to sink" "$v" "$(median c.ceil.conns)" "" "<= $((WORKERS + 4))" \
        "$(mark "$v" '<=' $((WORKERS + 4)))"
    [ -n "${R[c.batch]:-}" ] &&
        row "consumer partition -batch-max $BATCH_MAX" "$(median c.batch)" "" "" "" \
            "$(median c.batch.x)x single; $(median c.batch.per) rec/request"
    echo
    row "peak RSS (MB, max over runs)" kgw ceiling "" target result
    v=$(peak rss.producer.c64)
    row "producer, 64 conn" "$(mb "$v")" "$(mb "$(peak rss.bare_mhd)")" "" "< 50" \
        "$(mark "${v:+$(mb "$v")}" '<' 50)"
    row "producer, batch" "$(mb "$(peak rss.producer.batch)")" \
        "$(mb "$(peak rss.bare_producer)")" "" "" ""
    row "consumer none, ${CONSUMER_RECORDS} rec" "$(mb "$(peak rss.consumer.none)")" \
        "$(mb "$(peak rss.bare_curl)")" "" "" ""
    row "consumer partition" "$(mb "$(peak rss.consumer.partition)")" "" "" "" ""
    v=$(peak rss.consumer.backlog)
    row "consumer, ${MEMORY_RECORDS} backlog" "$(mb "$v")" "" "" "< 100" \
        "$(mark "${v:+$(mb "$v")}" '<' 100)"
    [ -n "${R[m.forwarded]:-}" ] &&
        echo "  (backlog run: ${MEMORY_SECONDS} s against a ${SLOW_SINK_DELAY_MS} ms receiver," \
            "${R[m.forwarded]} records forwarded)"
    row "sink (receiver)" "" "$(mb "$(peak rss.sink)")" "" "" ""
    for s in "${SKIPPED[@]}"; do echo "$s"; done
}

# --- main -------------------------------------------------------------------------

for bin in "$BUILD/kgw-devcluster" "$BENCH/bare_mhd" "$BENCH/bare_gateway" "$BENCH/bare_producer" "$BENCH/bare_consumer" "$BENCH/bare_curl" \
    "$BENCH/sink" "$BENCH/count"; do
    [ -x "$bin" ] || { echo "bench/run.sh: $bin missing: run make first" >&2; exit 1; }
done
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is not installed" >&2; exit 1; }
done

KAFKA_VERSION=$(sed -n 's/.*<kafka.version>\(.*\)<\/kafka.version>.*/\1/p' "$ROOT/tests/kafka/pom.xml")
if [ "$KAFKA" = 1 ] && [ -z "$KAFKA_BROKERS" ]; then
    [ -x "$BUILD/tests/kafka-admin" ] || { echo "bench/run.sh: $BUILD/tests/kafka-admin missing: run make first" >&2; exit 1; }
    KAFKA_DIR=$TMP/kafka
    log "starting Apache Kafka $KAFKA_VERSION (bin/kafka-cluster.sh)"
    KAFKA_BROKERS=$("$ROOT/bin/kafka-cluster.sh" start --dir "$KAFKA_DIR")
fi
RUN=0
for ((RUN = 1; RUN <= RUNS; RUN++)); do
    want producer && { log "run $RUN/$RUNS: producer"; section_producer; }
    want batch && { log "run $RUN/$RUNS: batch"; section_batch; }
    want consumer && { log "run $RUN/$RUNS: consumer"; section_consumer; }
done
want memory && { log "memory"; section_memory; }
print_table
