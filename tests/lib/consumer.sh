#!/usr/bin/env bash
# Helpers for kgw-consumer tests (sourced after helpers.sh).
#
#   start_receiver NAME [receiver.py flags...]   sets RECV_URL, RECV_PORT, RECV_LOG
#   start_consumer NAME [kgw-consumer flags...]  -broker and -target-url are added; sets CONSUMER_PID
#   recv_ctl PORT JSON                           POST /_control
#   recv_stat PORT FIELD                         a field of GET /_stats
#   recv_ids LOG [STATUS_RE]                     webhook-ids answered with a status matching STATUS_RE (default 2..)
#   produce TOPIC N [PREFIX]                     N records "PREFIX<i>" with key "k<i>", value JSON
#   committed GROUP TOPIC PARTS                  "partition offset" lines (rd_kafka_committed)
#   committed_sum GROUP TOPIC PARTS              sum of committed offsets (-1001 counts as 0)
#   end_sum TOPIC                                sum of high watermarks (records in the topic)
#   peak_rss_kb PID                              VmHWM of a live process

# Variables set here (RECV_*, CONSUMER_PID) are read by the sourcing script.
# shellcheck disable=SC2034
RECEIVER=${RECEIVER:-$ROOT/tests/tools/receiver.py}
CONSUMER=${CONSUMER:-$BUILD/kgw-consumer}

start_receiver() {
    local name=$1
    shift
    RECV_LOG=$TMP/$name.jsonl
    : >"$RECV_LOG"
    start_bg "$name" python3 "$RECEIVER" --port-file "$TMP/$name.port" --log "$RECV_LOG" "$@"
    if ! wait_until 10 test -s "$TMP/$name.port"; then
        cat "$TMP/$name.err" >&2
        return 1
    fi
    RECV_PORT=$(cat "$TMP/$name.port")
    RECV_URL=http://127.0.0.1:$RECV_PORT/hook
}

start_consumer() {
    local name=$1
    shift
    start_bg "$name" "$CONSUMER" -broker "$BOOTSTRAP" -target-url "$RECV_URL" "$@"
    # shellcheck disable=SC2034
    CONSUMER_PID=$LAST_PID
}

recv_ctl() {
    curl -s --max-time 5 -X POST --data "$2" "http://127.0.0.1:$1/_control" >/dev/null
}

recv_stat() {
    curl -s --max-time 5 "http://127.0.0.1:$1/_stats" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

recv_ids() {
    python3 - "$1" "${2:-2..}" <<'PY'
import json, re, sys
pat = re.compile(sys.argv[2])
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["status"] is not None and pat.fullmatch(str(r["status"])):
        print(r["headers"].get("webhook-id", ""))
PY
}

# Records with unique keys and JSON values ({"n": i}); keys k1..kN.
produce() {
    local topic=$1 n=$2 prefix=${3:-}
    seq 1 "$n" | awk -v p="$prefix" '{printf "k%s%d\t{\"n\":%d,\"p\":\"%s\"}\n", p, $1, $1, p}' |
        kcat -P -b "$BOOTSTRAP" -t "$topic" -K $'\t'
}

committed() {
    "$BUILD/tests/consumer_committed" "$BOOTSTRAP" "$1" "$2" "$3"
}

committed_sum() {
    committed "$@" | awk '{ if ($2 > 0) s += $2 } END { print s + 0 }'
}

end_sum() {
    kcat -Q -b "$BOOTSTRAP" -t "$1:-1" 2>/dev/null | awk '{ s += $NF } END { print s + 0 }'
}

peak_rss_kb() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}
