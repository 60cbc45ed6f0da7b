#!/usr/bin/env bash
# kgw-producer's command line: misuse exits 2 with one line naming the flag;
# --help/--version; environment aliases; startup with Kafka unreachable keeps
# serving /health, reports not-ready on /ready and connects when Kafka returns.
# Kafka unreachable: on kgw-devcluster all brokers are taken down; on real
# Kafka the producer's bootstrap address is a closed port, and Kafka
# "returns" when a TCP forwarder to the cluster starts listening there (the
# brokers it then learns from metadata are the real ones).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

P=$BUILD/kgw-producer

misuse() {
    local want=$1
    shift
    local out rc=0
    out=$("$P" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && grep -q -- "$want" <<<"$out"
}
check "unknown flag exits 2 naming it" misuse "--bogus" --bogus
check "--port 70000 exits 2 naming --port" misuse "port" --port 70000
check "--port abc exits 2 naming --port" misuse "port" --port abc
check "--listen nowhere exits 2 naming --listen" misuse "--listen" --listen nowhere
check "--max-body-bytes -1 exits 2" misuse "max-body-bytes" --max-body-bytes -1
check "--log-level loud exits 2" misuse "--log-level" --log-level loud
check "-X bad.property=1 exits 2 quoting librdkafka" misuse "bad.property" -X bad.property=1
check "-X without = exits 2" misuse "expected key=value" -X novalue
printf '# kgw\nport = abc\n' >"$TMP/p.conf"
check "a config-file error names file, line and option" misuse "p.conf:2: port: 'abc' is not a whole number" --config "$TMP/p.conf"
check "--help exits 0 and lists the flags" bash -c "'$P' --help | grep -q -- '--max-inflight'"
check "--help mentions GO_APP_PORT" bash -c "'$P' --help | grep -q GO_APP_PORT"
check "--help lists kgw's librdkafka defaults" bash -c "'$P' --help | grep -q 'socket.nagle.disable=true'"
check "--version exits 0" bash -c "'$P' --version | grep -q 'kgw-producer 0'"

# Kafka unreachable at startup: all brokers down before the producer starts.
start_devcluster --brokers 3 --topic "cli-$RUN_ID:2"
if real_kafka; then
    FWD_PORT=$(free_port)
    KAFKA_AT=127.0.0.1:$FWD_PORT
else
    for b in 1 2 3; do dc_cmd broker down "$b" >/dev/null; done
    KAFKA_AT=$BOOTSTRAP
fi
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
# The environment aliases of the Go gateway: BROKER and GO_APP_PORT.
BROKER=$KAFKA_AT GO_APP_PORT=$PORT start_bg producer "$P" --listen 127.0.0.1
PRODUCER_PID=$LAST_PID
check "starts with Kafka down (BROKER, GO_APP_PORT from the environment)" \
    wait_until 20 curl -sf -o /dev/null "$URL/health"
check_eq "/health is 200 while Kafka is down" 200 "$(http_status "$URL/health")"
wait_until 10 grep -q "kafka unreachable" "$TMP/producer.err" || true
check_eq "/ready is 503 while Kafka is down" 503 "$(http_status "$URL/ready")"
check "/ready gives a reason" bash -c "curl -s '$URL/ready' | grep -q 'broker metadata unreachable'"
check "/ready 503 carries Retry-After" bash -c "curl -s -D - -o /dev/null '$URL/ready' | grep -qi '^Retry-After: 1'"
check "the startup line names the port" grep -q "listening address=127.0.0.1 port=$PORT" "$TMP/producer.err"
check "process still alive" alive "$PRODUCER_PID"

if real_kafka; then
    start_bg forwarder python3 - "$FWD_PORT" "${BOOTSTRAP%%,*}" <<'PY'
import socket, sys, threading
host, port = sys.argv[2].rsplit(":", 1)
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def pipe(a, b):
    try:
        while (d := a.recv(65536)):
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    u = socket.create_connection((host, int(port)))
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
PY
else
    for b in 1 2 3; do dc_cmd broker up "$b" >/dev/null; done
fi
check "/ready turns 200 when Kafka comes back" wait_until 30 status_is "$URL/ready" 200
r=$(post /produce "{\"topic\":\"cli-$RUN_ID\",\"payload\":{\"after\":\"recovery\"}}")
check_eq "produce works after Kafka came back" 200 "$(status_of "$r")"

# Port 0: the kernel picks a port and the startup line tells which.
start_bg producer0 "$P" --brokers "$BOOTSTRAP" --listen 127.0.0.1 --port 0
check "--port 0 prints the bound port" wait_until 10 grep -q "listening address=127.0.0.1 port=[1-9]" "$TMP/producer0.err"
p0=$(sed -n 's/.*listening address=127.0.0.1 port=\([0-9]*\).*/\1/p' "$TMP/producer0.err")
check_eq "--port 0 serves on the printed port" 200 "$(http_status "http://127.0.0.1:$p0/health")"

# A busy port is fatal at once: exit 1, nothing of Kafka's after it, the fatal line last.
busy_rc=0
timeout 10 "$P" --brokers "$BOOTSTRAP" --listen 127.0.0.1 --port "$p0" 2>"$TMP/busy.err" || busy_rc=$?
check_eq "a busy port exits 1" 1 "$busy_rc"
check "a busy port's fatal line is the last line and names the port" \
    bash -c "tail -1 '$TMP/busy.err' | grep -q 'startup failed error=\"cannot listen on 127.0.0.1 port $p0: Address already in use'"
check "a busy port starts no readiness check" bash -c "! grep -q 'kafka reachable' '$TMP/busy.err'"

term_wait "$PRODUCER_PID"
check_eq "exits 0 on SIGTERM" 0 "$EXIT_CODE"
finish
