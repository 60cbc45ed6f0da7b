#!/usr/bin/env bash
# Load and fault helpers for tests (sourced after helpers.sh).
#
#   produce_load NAME URL TOPIC N PARALLEL [MAX_TIME]
#       starts N POST /produce requests (payload {"seq": i}) over PARALLEL
#       keep-alive connections with curl --parallel, in the background; each
#       request is bounded by MAX_TIME seconds (default 40). Sets LOAD_PID.
#       Responses go to $TMP/NAME/resp/<seq>.json, "<file> <code> <secs>" lines
#       to $TMP/NAME/statuses.
#   load_done NAME           true once every request has an answer line
#   load_answered NAME       how many requests have answered so far
#   answered_ge NAME COUNT   true once at least COUNT have answered (for wait_until)
#   produce_verify NAME N TOPIC   prints produce_check.py's JSON for the run
#   json_field JSON KEY      one field of a flat JSON object
#   rss_kb PID               peak resident memory (VmHWM) in KiB
#   fault_row WHAT RECORDS LOST DUPLICATES MAX_RSS_KB [ANSWERED]
#       adds a row to the fault suite's table ($KGW_FAULT_TABLE); ANSWERED is a
#       free-text note (answered counts, statuses, timings)

produce_load() {
    local name=$1 url=$2 topic=$3 n=$4 parallel=$5 max_time=${6:-40} i
    mkdir -p "$TMP/$name/resp"
    for ((i = 0; i < n; i++)); do
        # "next" only between entries: a trailing one is an empty operation
        # that makes curl abort the transfers still running.
        [ "$i" -eq 0 ] || echo next
        printf 'url = "%s/produce"\nheader = "Content-Type: application/json"\n' "$url"
        printf 'data = "{\\"topic\\":\\"%s\\",\\"key\\":\\"k%d\\",\\"payload\\":{\\"seq\\":%d}}"\n' \
            "$topic" $((i % 97)) "$i"
        # Per-request options: curl resets them at every "next".
        printf 'output = "%s/resp/%d.json"\nmax-time = %s\nsilent\n' "$TMP/$name" "$i" "$max_time"
        printf 'write-out = "%%{filename_effective} %%{http_code} %%{time_total}\\n"\n'
    done >"$TMP/$name/curl.conf"
    curl -s --parallel --parallel-max "$parallel" -K "$TMP/$name/curl.conf" >"$TMP/$name/statuses" 2>"$TMP/$name/curl.err" &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
}

load_answered() {
    wc -l <"$TMP/$1/statuses"
}

answered_ge() {
    [ "$(load_answered "$1")" -ge "$2" ]
}

load_done() {
    ! kill -0 "$LOAD_PID" 2>/dev/null
}

produce_verify() {
    local name=$1 n=$2 topic=$3
    kcat -C -b "$BOOTSTRAP" -t "$topic" -e -q -f '%p %o %s\n' >"$TMP/$name/kafka.txt" 2>/dev/null
    python3 "$ROOT/tests/tools/produce_check.py" "$n" "$TMP/$name/resp" "$TMP/$name/statuses" \
        "$TMP/$name/kafka.txt"
}

json_field() {
    python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"
}

rss_kb() {
    awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

fault_row() {
    [ -n "${KGW_FAULT_TABLE:-}" ] || return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >>"$KGW_FAULT_TABLE"
}
