#!/usr/bin/env bash
# kgw-producer behind a real nginx (Debian's): TLS terminated at nginx with a
# self-signed certificate, keep-alive upstream, proxy_http_version 1.1, the
# README's snippet. Produce works through it (plain, chunked, a batch answered
# 207); 503 + Retry-After passes through unchanged; the framing corpus sent
# through nginx makes kgw produce exactly the requests nginx forwarded and
# answered (nothing smuggled past it); a client sending its body slowly is
# cut by nginx (buffered, client_body_timeout) or by kgw's
# --connection-timeout (proxy_request_buffering off).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
T="nginx-$RUN_ID"
start_devcluster --brokers 3 --topic "$T:2"

# The main producer, and one with --max-inflight 1 for the 503.
start_producer --connection-timeout 3
KGW_PORT=$PORT
PRODUCER_N=2
# Its one request is held in flight by the mock's broker RTT, or on real Kafka by
# linger.ms (there is no RTT control there).
if real_kafka; then
    start_producer --max-inflight 1 -X linger.ms=1500
else
    start_producer --max-inflight 1
fi
KGW_LIMITED_PORT=$PORT

N=$TMP/nginx
mkdir -p "$N/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$N/key.pem" -out "$N/cert.pem" 2>"$N/openssl.err"
NPORT=$(free_port)
cat >"$N/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/logs/error.log info;
events { worker_connections 512; }
http {
    log_format kgw '\$request_method \$uri \$status up=\$upstream_status';
    access_log $N/logs/access.log kgw;
    client_body_temp_path $N/body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;

    upstream kgw {
        server 127.0.0.1:$KGW_PORT;
        keepalive 16;
        # Below kgw's --connection-timeout (3 s here, 30 s by default), so
        # nginx never sends a request on a connection kgw is closing.
        keepalive_timeout 2s;
    }
    upstream kgw_limited {
        server 127.0.0.1:$KGW_LIMITED_PORT;
        keepalive 16;
        keepalive_timeout 20s;
    }
    server {
        listen 127.0.0.1:$NPORT ssl;
        ssl_certificate $N/cert.pem;
        ssl_certificate_key $N/key.pem;
        client_max_body_size 1m;
        client_body_timeout 2s;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_read_timeout 60s;

        location / {
            proxy_pass http://kgw;
        }
        location /unbuffered/ {
            proxy_request_buffering off;
            proxy_pass http://kgw/;
        }
        location /limited/ {
            proxy_pass http://kgw_limited/;
        }
    }
}
EOF
start_bg nginx "$NGINX" -p "$N" -e "$N/logs/error.log" -c "$N/nginx.conf"
NGINX_PID=$LAST_PID
NURL="https://127.0.0.1:$NPORT"
if ! wait_until 20 curl -skf -o /dev/null "$NURL/health"; then
    cat "$TMP/nginx.err" "$N/logs/error.log" >&2
    echo "nginx did not start" >&2
    exit 1
fi
note "$("$NGINX" -v 2>&1)"

# npost PATH BODY [curl args]: POST through nginx; prints "<status> <body>".
npost() {
    local path=$1 body=$2 out
    shift 2
    out=$(curl -sk --max-time 30 -w '\n%{http_code}' -H 'Content-Type: application/json' \
        "$@" --data-binary "$body" "$NURL$path") || true
    printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}

# --- Produce through nginx.
r=$(npost /produce "{\"topic\":\"$T\",\"payload\":\"via-nginx\"}")
check_eq "produce through nginx -> 200" 200 "$(status_of "$r")"
check "the answer is kgw's" grep -q '"success":true' <<<"$r"
r=$(npost /produce "{\"topic\":\"$T\",\"payload\":\"via-nginx-chunked\"}" -H 'Transfer-Encoding: chunked')
check_eq "chunked body through nginx (buffered) -> 200" 200 "$(status_of "$r")"
r=$(npost /unbuffered/produce "{\"topic\":\"$T\",\"payload\":\"via-nginx-chunked-unbuffered\"}" \
    -H 'Transfer-Encoding: chunked')
check_eq "chunked body streamed through nginx (unbuffered) -> 200" 200 "$(status_of "$r")"
r=$(npost /produce "{\"topic\":\"$T\",\"messages\":[{\"payload\":\"via-nginx-batch\",\"partition\":0},{\"payload\":\"via-nginx-batch\",\"partition\":9}]}")
check_eq "a batch with one failing record -> 207 through nginx" 207 "$(status_of "$r")"
check "207 body lists the delivered and the failed" grep -q '"delivered":1,"failed":1' <<<"$r"
count_via() { kcat -C -b "$BOOTSTRAP" -t "$T" -e -q -f '%s\n' 2>/dev/null | grep -c '^"via-nginx' || true; }
check_eq "4 records in Kafka" 4 "$(count_via)"

# --- 503 + Retry-After unchanged through nginx.
real_kafka || for b in 1 2 3; do dc_cmd broker rtt "$b" 1500 >/dev/null; done
curl -sk -o "$TMP/slow.json" -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":\"limited-slow\"}" "$NURL/limited/produce" &
SLOW_PID=$!
PIDS+=("$SLOW_PID")
inflight_one() { curl -s "http://127.0.0.1:$KGW_LIMITED_PORT/metrics" | grep -q '^kgw_producer_inflight_requests 1'; }
check "one request in flight on the limited producer" wait_until 10 inflight_one
hdrs=$(curl -sk -D - -o "$TMP/503.json" -H 'Content-Type: application/json' \
    --data-binary "{\"topic\":\"$T\",\"payload\":\"limited-second\"}" "$NURL/limited/produce")
check "in-flight limit -> 503 through nginx" grep -q '^HTTP/1.1 503' <<<"$hdrs"
check "Retry-After: 1 passes through" grep -qi '^Retry-After: 1' <<<"$hdrs"
check "the 503 body is kgw's JSON" grep -q '"error"' "$TMP/503.json"
wait "$SLOW_PID" || true
check "the slow request is answered 200" grep -q '"success":true' "$TMP/slow.json"
real_kafka || for b in 1 2 3; do dc_cmd broker rtt "$b" 0 >/dev/null; done

# --- The framing corpus through nginx: kgw must produce exactly what nginx
# forwarded and kgw answered 200, and nothing hidden inside a body.
FT="nginx-framing-$RUN_ID"
create_topic "$FT" 1
: >"$N/logs/access.log"
python3 "$ROOT/tests/tools/http_raw.py" corpus 127.0.0.1 "$NPORT" "$FT" --tls >"$TMP/corpus.out" \
    2>"$TMP/corpus.err" || cat "$TMP/corpus.err" >&2
while read -r line; do note "nginx: $line"; done <"$TMP/corpus.out"
forwarded_ok() { grep -c '^POST /produce 200 up=200$' "$N/logs/access.log" || true; }
records=$(kcat -C -b "$BOOTSTRAP" -t "$FT" -e -q -f '%s\n' 2>/dev/null | grep -c . || true)
note "nginx forwarded and kgw answered 200: $(forwarded_ok); records: $records"
check "some corpus requests went through" test "$(forwarded_ok)" -gt 100
check_eq "records in Kafka = produce requests nginx forwarded and kgw answered 200" \
    "$(forwarded_ok)" "$records"
smuggled=$(kcat -C -b "$BOOTSTRAP" -t "$FT" -e -q -f '%s\n' 2>/dev/null | grep -c '^"smuggled-' || true)
nginx_split=$(grep -c '^cl-space-before-colon 400,200 ' "$TMP/corpus.out" || true)
# nginx drops the invalid "Content-Length :" field (ignore_invalid_headers) and
# itself reads the body as the next request: that one it sees, logs and may
# filter, so it is not smuggled past it. Nothing else may appear.
check_eq "no request hidden from nginx reached Kafka" "$nginx_split" "$smuggled"
# nginx forwards a vertical tab in a field value; kgw's own check refuses it.
check_eq "kgw refused one request nginx let through (a control byte)" 1 \
    "$(grep -c 'framing refused.*control character' "$TMP/producer.err" || true)"
check "that answer reached the client as kgw's JSON 400" grep -q '^value-vt 400 json-error' "$TMP/corpus.out"
check "HTTP/1.0 without Host works through nginx (nginx sets Host)" grep -q '^http-1.0 200 ' "$TMP/corpus.out"
check_eq "/health through nginx still 200" 200 "$(http_status "$NURL/health" -k)"

# --- A client sending its body slowly.
# slow_body PATH PAUSE_S: sends the head and half the body, then one byte per
# PAUSE_S; prints the status received (or "-") and the seconds it took.
slow_body() {
    python3 - "$NPORT" "$1" "$2" "$T" <<'PY'
import socket, ssl, sys, time
port, path, pause, topic = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
body = ('{"topic":"%s","payload":"slow-body-%s"}' % (topic, path.strip("/").replace("/", "-"))).encode()
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
s.sendall(b"POST %s HTTP/1.1\r\nHost: kgw\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % (path.encode(), len(body)) + body[:len(body) // 2])
t0, data = time.monotonic(), b""
s.settimeout(pause)
for b in body[len(body) // 2:-1]:
    try:
        data = s.recv(4096)
        break
    except socket.timeout:
        pass
    except OSError:
        break
    try:
        s.sendall(bytes([b]))
    except OSError:
        break
s.settimeout(15)
try:
    data = data or s.recv(4096)
except OSError:
    pass
status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "-"
print(status, round(time.monotonic() - t0, 1))
PY
}
# Buffered (the default): nginx reads the body itself and gives up after
# client_body_timeout (2 s) without a byte; kgw never sees the request.
out=$(slow_body /produce 3)
note "buffered, 3 s pauses: $out"
check "nginx cuts a client silent for client_body_timeout (408 or closed)" \
    grep -qE '^(408|-) ' <<<"$out"
# Unbuffered: nginx streams the body as it comes (a byte every 0.5 s, so its
# own timeout never fires) and kgw closes the connection --connection-timeout
# (3 s) after the request started; nginx answers 502.
out=$(slow_body /unbuffered/produce 0.5)
note "unbuffered, 0.5 s pauses: $out"
check "kgw's --connection-timeout cuts the trickling request (502 from nginx)" \
    grep -qE '^502 ' <<<"$out"
secs=${out#* }
check "after about 3 s (${secs} s)" python3 -c "import sys; sys.exit(0 if 2.5 <= $secs < 9 else 1)"
check_eq "the slow bodies produced nothing" 0 \
    "$(kcat -C -b "$BOOTSTRAP" -t "$T" -e -q -f '%s\n' 2>/dev/null | grep -c '^"slow-body' || true)"
check "kgw counted the slow connection" \
    bash -c "curl -s 'http://127.0.0.1:$KGW_PORT/metrics' | grep -qE '^kgw_producer_http_slow_closed_total [1-9]'"
check_eq "produce through nginx still works" 200 \
    "$(status_of "$(npost /produce "{\"topic\":\"$T\",\"payload\":\"after\"}")")"
check "nginx still running" alive "$NGINX_PID"
finish
