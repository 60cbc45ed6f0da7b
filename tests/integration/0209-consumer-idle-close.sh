#!/usr/bin/env bash
# kgw-consumer and a target that closes idle keep-alive connections (as
# nginx's keepalive_timeout does): the poll handle of a connection outlives
# each request, so an idle connection the peer closes must neither make the
# consumer spin nor lose a record; the next records go out on new
# connections.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

T=idle-$RUN_ID
G=grp-$RUN_ID
start_devcluster --brokers 1 --topic "$T:2"

# HTTP/1.1 keep-alive; a connection idle for 0.3 s is closed by the server.
cat >"$TMP/idle_server.py" <<'PY'
import http.server, itertools, json, os, sys, threading
lock = threading.Lock()
stats = {"requests": 0, "connections": 0}  # connections: those that carried a POST
posting = set()
ids = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 0.3
    def setup(self):
        super().setup()
        self.cid = next(ids)
    def log_message(self, *a):
        pass
    def do_GET(self):
        body = json.dumps(stats).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            stats["requests"] += 1
            posting.add(self.cid)
            stats["connections"] = len(posting)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
tmp = sys.argv[1] + ".tmp"
open(tmp, "w").write(str(srv.server_address[1]))
os.rename(tmp, sys.argv[1])
srv.serve_forever()
PY
start_bg idle_server python3 "$TMP/idle_server.py" "$TMP/idle.port"
wait_until 10 test -s "$TMP/idle.port" || { cat "$TMP/idle_server.err" >&2; exit 1; }
PORT=$(cat "$TMP/idle.port")
RECV_URL=http://127.0.0.1:$PORT/hook
stat_of() { curl -s --max-time 5 "http://127.0.0.1:$PORT/" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# CPU ticks (user + system) the consumer used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

produce "$T" 50 a
start_consumer cons -topic "$T" -group "$G" -workers 4 -commit-interval 200
check "first 50 records delivered" wait_until 60 bash -c "[ \"\$(curl -s http://127.0.0.1:$PORT/ | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"requests\"])')\" -ge 50 ]"
conns1=$(stat_of connections)
# Idle: the server closes every connection after 0.3 s.
sleep 1
t0=$(cpu_ticks "$CONSUMER_PID")
sleep 2
t1=$(cpu_ticks "$CONSUMER_PID")
check "no busy loop on connections the target closed while idle ($((t1 - t0)) ticks in 2 s)" test $((t1 - t0)) -lt 50

produce "$T" 50 b
check "next 50 records delivered on new connections" wait_until 60 bash -c "[ \"\$(curl -s http://127.0.0.1:$PORT/ | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"requests\"])')\" -ge 100 ]"
check_eq "no record delivered twice or lost" 100 "$(stat_of requests)"
conns2=$(stat_of connections)
check "new connections after the idle close ($conns1 then $conns2)" test "$conns2" -gt "$conns1"

kill -TERM "$CONSUMER_PID"
rc=0
wait "$CONSUMER_PID" || rc=$?
check_eq "clean exit after SIGTERM" 0 "$rc"
check_eq "committed the 100 records" 100 "$(committed_sum "$G" "$T" 2)"
finish
