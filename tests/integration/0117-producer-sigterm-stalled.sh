#!/usr/bin/env bash
# SIGTERM while the broker never answers (issue 15): every produce request in
# flight is answered (503 with a JSON error, its records purged), a request
# whose body arrives only after the drain deadline is answered too, and the
# process exits 0 within a bound with no sanitizer report. Before the fix the
# late request was enqueued after the purge, its connection was still
# suspended when MHD_stop_daemon() ran, and libmicrohttpd aborted the process
# ("MHD_stop_daemon() called while we have suspended connections").
#
# The stalled broker: kgw-devcluster SIGSTOPped (connections stay open,
# nothing is read or answered); on real Kafka the partition's leader node.
# Run it under `make asan` to have ASan watch the batches: a batch freed
# before its delivery report is a use-after-free there.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="stall-$RUN_ID"
start_devcluster --brokers 1 --topic "$T:1"
# A short drain deadline keeps the test short; the connection timeout must
# outlast it, or the reaper would close the late request's connection.
start_producer --shutdown-timeout 1500 --connection-timeout 60
r=$(post /produce "{\"topic\":\"$T\",\"payload\":\"warm-up\"}")
check_eq "warm-up produce" 200 "$(status_of "$r")"

resume_broker() {
    if real_kafka; then
        [ -z "${PAUSED_NODE:-}" ] || kafka_resume "$PAUSED_NODE" >/dev/null 2>&1 || true
    elif [ -n "${DC_PID:-}" ]; then
        kill -CONT "$DC_PID" 2>/dev/null || true
    fi
}
CLEANUP_HOOKS+=(resume_broker)
if real_kafka; then
    PAUSED_NODE=$(leader_of "$T" 0)
    kafka_pause "$PAUSED_NODE" >/dev/null
else
    kill -STOP "$DC_PID"
    # Stopped before the first request is sent, or it could be acknowledged.
    check "the broker is stopped" wait_until 5 grep -q '^State:.*stopped' "/proc/$DC_PID/status"
fi

# Four requests in flight, each on its own connection.
for i in 1 2 3 4; do
    curl -s --max-time 60 -o "$TMP/inflight$i.body" -w '%{http_code}' \
        -H 'Content-Type: application/json' \
        --data-binary "{\"topic\":\"$T\",\"payload\":\"inflight-$i\"}" \
        "$URL/produce" >"$TMP/inflight$i.code" 2>/dev/null &
    PIDS+=($!)
done
inflight_is() { curl -s --max-time 5 "$URL/metrics" | grep -q "^kgw_producer_inflight_requests $1\$"; }
check "4 requests wait for the stalled broker" wait_until 20 inflight_is 4

# The late request: headers and half its body now, the rest once the drain
# deadline has passed (the producer logs it), so it reaches producer_submit()
# after librdkafka's queues were purged.
python3 - "$PORT" "$T" "$TMP" >"$TMP/late.out" 2>&1 <<'PY' &
import json, os, socket, sys, time
port, topic, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = json.dumps({"topic": topic, "payload": "late"}).encode()
s = socket.create_connection(("127.0.0.1", port), timeout=60)
s.sendall(b"POST /produce HTTP/1.1\r\nHost: kgw\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
open(os.path.join(tmp, "late.sent"), "w").close()
deadline = time.time() + 60
while not os.path.exists(os.path.join(tmp, "late.go")) and time.time() < deadline:
    time.sleep(0.02)
try:
    s.sendall(body[10:])
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError as e:
    data = b""
    print("error", e)
head, _, rest = data.partition(b"\r\n\r\n")
line = head.split(b"\r\n")[0].decode(errors="replace") if head else ""
print("status", line.split(" ")[1] if line else "close")
print("body", rest.decode(errors="replace"))
PY
LATE_PID=$!
PIDS+=("$LATE_PID")
check "the late request's head is sent" wait_until 10 test -e "$TMP/late.sent"

t0=$SECONDS
kill -TERM "$PRODUCER_PID"
check "the drain deadline passes" wait_until 20 grep -q "drain timed out" "$TMP/producer.err"
touch "$TMP/late.go"
EXIT_CODE=0
wait "$PRODUCER_PID" 2>/dev/null || EXIT_CODE=$?
took=$((SECONDS - t0))
note "exit code $EXIT_CODE after ${took} s"
check_eq "exits 0 on SIGTERM with the broker stalled" 0 "$EXIT_CODE"
# 1.5 s drain deadline, at most 5 s for the purged reports, 5 s for answers
# to be written, 5 s for librdkafka's flush on destroy; more under valgrind.
bound=20
[ "${KGW_UNDER_VALGRIND:-0}" != 1 ] || bound=60
check "exits within $bound s (took ${took} s)" test "$took" -le "$bound"
check "no libmicrohttpd panic" bash -c "! grep -q 'suspended connections' '$TMP/producer.err'"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$TMP/producer.err'"

for i in 1 2 3 4; do
    wait_until 10 test -s "$TMP/inflight$i.code" || true
    code=$(cat "$TMP/inflight$i.code" 2>/dev/null || echo none)
    check_eq "in-flight request $i answered 503" 503 "$code"
    check "in-flight request $i has a JSON error" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1])).get("error") else 1)' "$TMP/inflight$i.body"
done
check "the late client finished" wait_until 10 bash -c "! kill -0 $LATE_PID 2>/dev/null"
late=$(sed -n 's/^status //p' "$TMP/late.out")
note "late request: $(tr '\n' ' ' <"$TMP/late.out")"
check_eq "the late request (body after the deadline) was answered 503" 503 "$late"
check "the late answer is a JSON error" python3 -c '
import json, sys
sys.exit(0 if json.loads(sys.argv[1]).get("error") else 1)' "$(sed -n 's/^body //p' "$TMP/late.out")"
check "shutdown logged" grep -q "shutting down signal=Terminated" "$TMP/producer.err"
finish
