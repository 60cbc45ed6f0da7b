#!/usr/bin/env bash
# bench/v3_stream.sh: REST Proxy v3 streaming produce, N records in one chunked request.
#
#   bench/v3_stream.sh [--records N] [--client curl|python] [--producer PATH] [--keep]
#
#   --records N      records in the one request (default 1000000), each
#                    {"value":{"type":"JSON","data":{"n":<i>}}} (~42 bytes)
#   --client C       curl: `curl -T FILE -X POST -H 'Transfer-Encoding: chunked'`, the
#                    file streamed in curl's upload chunks (default); python: http.client
#                    with encode_chunked, one chunk per record (Confluent's Python example)
#   --producer PATH  the kgw-producer binary (default $BUILD/kgw-producer), e.g. an older
#                    build to compare with
#   --keep           keep the temporary directory (the answer, every log)
#
# One fresh 3-broker kgw-devcluster (topic v3s, 8 partitions). kgw-producer runs with
# --max-body-bytes 200000000 (a buffering build needs the whole body under the limit; a
# streaming one applies it per record). Prints one line: records/s from the first byte
# sent to the last answer line read, the producer's peak RSS (VmHWM, read before it is
# stopped), answer lines, lines with error_code 200, whether the offsets of each
# partition rise in answer order, the records Kafka holds (high watermarks), and the
# ceiling: bare_producer pushing as many 42-byte records as fast as it can (librdkafka
# alone, kgw's settings, no HTTP, no JSON) on the same cluster just before.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RECORDS=1000000
CLIENT=curl
PRODUCER=$BUILD/kgw-producer
KEEP=0

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --records) RECORDS=$2; shift ;;
    --client) CLIENT=$2; shift ;;
    --producer) PRODUCER=$2; shift ;;
    --keep) KEEP=1 ;;
    *) echo "bench/v3_stream.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case $CLIENT in curl | python) ;; *) echo "bench/v3_stream.sh: --client must be curl or python" >&2; exit 2 ;; esac
for b in "$PRODUCER" "$BUILD/kgw-devcluster" "$BUILD/bench/bare_producer" "$BUILD/bench/count"; do
    [ -x "$b" ] || { echo "bench/v3_stream.sh: $b missing (make all bench/tools first)" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/kgw-v3stream.XXXXXX)
PIDS=()
cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$KEEP" = 1 ]; then echo "logs kept in $TMP" >&2; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" 2>/dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
now() { date +%s.%N; }

"$BUILD/kgw-devcluster" --brokers 3 --topic v3s:8 --topic ceil:8 --bootstrap-file "$TMP/bootstrap" \
    <"/dev/null" >"$TMP/devcluster.out" 2>"$TMP/devcluster.err" &
PIDS+=($!)
wait_until 20 test -s "$TMP/bootstrap" || { echo "kgw-devcluster did not start" >&2; exit 1; }
BROKERS=$(cat "$TMP/bootstrap")

ceiling=$("$BUILD/bench/bare_producer" --brokers "$BROKERS" --topic ceil --count "$RECORDS" \
    --size 42)
ceiling_rate=$(sed -n 's/.*rate_per_s=\([0-9.]*\).*/\1/p' <<<"$ceiling")

python3 - "$RECORDS" >"$TMP/records.json" <<'PY'
import sys
w = sys.stdout.write
for i in range(int(sys.argv[1])):
    w('{"value":{"type":"JSON","data":{"n":%d}}}' % i)
PY

PORT=$(free_port)
"$PRODUCER" --brokers "$BROKERS" --listen 127.0.0.1 --port "$PORT" --max-body-bytes 200000000 \
    </dev/null >"$TMP/producer.out" 2>"$TMP/producer.err" &
PRODUCER_PID=$!
PIDS=("$PRODUCER_PID" "${PIDS[@]}")
URL=http://127.0.0.1:$PORT
wait_until 20 curl -sf -o /dev/null "$URL/health" || { cat "$TMP/producer.err" >&2; exit 1; }
wait_until 20 curl -sf -o /dev/null "$URL/ready" || true
CID=$(curl -s "$URL/v3/clusters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["cluster_id"])')
PATH_=/v3/clusters/$CID/topics/v3s/records

t0=$(now)
if [ "$CLIENT" = curl ]; then
    curl -s --max-time 600 -o "$TMP/answer" -X POST -H 'Content-Type: application/json' \
        -H 'Transfer-Encoding: chunked' -T "$TMP/records.json" "$URL$PATH_"
else
    python3 - "$PORT" "$PATH_" "$RECORDS" "$TMP/answer" <<'PY'
import http.client, sys
port, path, n, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
recs = (('{"value":{"type":"JSON","data":{"n":%d}}}' % i).encode() for i in range(n))
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
c.request("POST", path, body=recs, headers={"Content-Type": "application/json"}, encode_chunked=True)
r = c.getresponse()
with open(out, "wb") as f:
    while True:
        b = r.read(1 << 20)
        if not b:
            break
        f.write(b)
PY
fi
t1=$(now)
peak_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$PRODUCER_PID/status")
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$PRODUCER_PID/status")

lines=$(wc -l <"$TMP/answer")
lines=$((lines + 1))
ok=$(grep -c '"error_code":200' "$TMP/answer" || true)
ordered=$(python3 - "$TMP/answer" <<'PY'
import json, sys
last = {}
good = True
with open(sys.argv[1]) as f:
    for line in f:
        j = json.loads(line)
        if j.get("error_code") != 200:
            continue
        p, o = j["partition_id"], j["offset"]
        if o <= last.get(p, -1):
            good = False
        last[p] = o
print("yes" if good else "no")
PY
)
kafka=$("$BUILD/bench/count" --brokers "$BROKERS" --topic v3s 2>/dev/null | sed -n 's/.*high=\([0-9]*\).*/\1/p' || true)
rate=$(awk "BEGIN { printf \"%.0f\", $RECORDS / ($t1 - $t0) }")
printf 'records=%s client=%s seconds=%.2f records_per_s=%s peak_rss_mb=%.1f rss_after_mb=%.1f answers=%s answers_200=%s offsets_in_order=%s kafka_records=%s ceiling_bare_producer_per_s=%s ratio=%s%%\n' \
    "$RECORDS" "$CLIENT" "$(awk "BEGIN { print $t1 - $t0 }")" "$rate" "$(awk "BEGIN { print $peak_kb / 1024 }")" \
    "$(awk "BEGIN { print $rss_kb / 1024 }")" "$lines" "$ok" "$ordered" "${kafka:-?}" "$ceiling_rate" \
    "$(awk "BEGIN { printf \"%.0f\", 100 * $rate / $ceiling_rate }")"
