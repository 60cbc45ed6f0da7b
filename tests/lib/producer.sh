#!/usr/bin/env bash
# kgw-producer helpers for integration tests (sourced after helpers.sh).
#
#   start_producer [ARGS...]   starts kgw-producer on a free loopback port
#                              against $BOOTSTRAP; sets PORT, URL, PRODUCER_PID
#                              and waits until /health answers
#   post PATH BODY [CTYPE]     POSTs BODY; prints "<status> <body>"
#   body_of / status_of "<status> <body>"
#   jget JSON EXPR             evaluates a Python expression on parsed JSON `j`
#   term_wait PID              SIGTERM and wait; sets EXIT_CODE
#   keepalive_load NAME URL TOPIC N CONNS [TIMEOUT] [RATE]
#                              N /produce requests ({"seq": i}) over CONNS
#                              keep-alive connections, in the background, at
#                              most RATE requests/s if given
#                              (tests/tools/producer_load.py); same output
#                              files as load.sh's produce_load, so load_done,
#                              answered_ge and produce_verify work on it

# shellcheck disable=SC2034,SC2120 # PORT, URL and PRODUCER_PID are for the caller; args optional.
start_producer() {
    PORT=$(free_port)
    URL="http://127.0.0.1:$PORT"
    start_bg "producer${PRODUCER_N:-}" "$BUILD/kgw-producer" --brokers "$BOOTSTRAP" \
        --listen 127.0.0.1 --port "$PORT" "$@"
    PRODUCER_PID=$LAST_PID
    if ! wait_until 20 curl -sf -o /dev/null "$URL/health"; then
        cat "$TMP/producer${PRODUCER_N:-}.err" >&2
        echo "kgw-producer did not start" >&2
        return 1
    fi
}

post() {
    local path=$1 body=$2 ctype=${3:-application/json} out
    out=$(curl -s --max-time 60 -w '\n%{http_code}' -H "Content-Type: $ctype" \
        --data-binary "$body" "$URL$path") || true
    printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}

status_of() { printf '%s\n' "${1%% *}"; }
body_of() { printf '%s\n' "${1#* }"; }

jget() {
    python3 -c 'import json,sys; j=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

# term_wait PID: SIGTERM, then wait (bounded by the runner's timeout) and set
# EXIT_CODE. Not in a $(...) subshell: only this shell can wait for its child.
term_wait() {
    EXIT_CODE=0
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || EXIT_CODE=$?
}

keepalive_load() {
    local name=$1 url=$2 topic=$3 n=$4 conns=$5 timeout=${6:-40} rate=${7:-0}
    mkdir -p "$TMP/$name/resp"
    python3 "$ROOT/tests/tools/producer_load.py" "$url" "$topic" "$n" "$conns" "$timeout" \
        "$TMP/$name" "$rate" >"$TMP/$name/load.out" 2>&1 &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
}
