#!/usr/bin/env bash
# /webhook-simulator: delays suspend the connection, not a thread (500
# concurrent slow requests are all served within about one delay), the
# default failure mix, query overrides, and the fast 200 sink.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

start_devcluster --brokers 1
start_producer

S="$URL/webhook-simulator"
r=$(curl -s -w ' %{http_code}' -X POST -d '{"x":1}' "$S?delay_ms=0&error_rate=0")
check "fast sink answers 200 with JSON" grep -q '^{"status":"ok".* 200$' <<<"$r"
r=$(curl -s -X POST -d '{}' "$S?error_rate=0")
d=$(jget "$r" 'j["delay_ms"]')
check "default delay is within 50-2000 ms (got $d)" test "$d" -ge 50 -a "$d" -le 2000
hdrs=$(curl -s -D - -o /dev/null -X POST -d '{}' "$S?delay_ms=0&status=503")
check "status=503 forces 503 with Retry-After" bash -c "grep -q '^HTTP/1.1 503' <<<'$hdrs' && grep -qi '^Retry-After' <<<'$hdrs'"
check_eq "a bad parameter is 400" 400 "$(http_status "$S?delay_ms=abc" -X POST -d '{}')"
check_eq "min above max is 400" 400 "$(http_status "$S?min_delay_ms=10&max_delay_ms=5" -X POST -d '{}')"
check_eq "GET is 405" 405 "$(http_status "$S")"

# The default mix: 5% 500, 5% 400, 2% 503, else 200 (600 draws, no delay).
mix=$(python3 - "$S" <<'PY'
import collections, http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
n = collections.Counter()
for _ in range(600):
    c.request("POST", u.path + "?delay_ms=0", "{}", {"Content-Type": "application/json"})
    r = c.getresponse(); r.read(); n[r.status] += 1
print(" ".join("%d=%d" % kv for kv in sorted(n.items())))
PY
)
note "mix over 600: $mix"
check "the mix has 200, 400, 500 and 503 only" python3 -c "
import sys; d=dict(kv.split('=') for kv in '$mix'.split()); sys.exit(0 if set(d) <= {'200','400','500','503'} and int(d.get('200',0)) > 450 and int(d.get('500',0)) > 5 and int(d.get('400',0)) > 5 else 1)"

# 500 concurrent requests, each delayed 1 s: served together, not one by one.
res=$(python3 - "$S" <<'PY'
import http.client, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
codes = []
lock = threading.Lock()
def one():
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        c.request("POST", u.path + "?delay_ms=1000&error_rate=0", "{}")
        r = c.getresponse(); r.read(); st = r.status
    except Exception:
        st = 0
    with lock:
        codes.append(st)
start = time.monotonic()
ts = [threading.Thread(target=one) for _ in range(500)]
for t in ts: t.start()
for t in ts: t.join()
print("%d %.1f" % (codes.count(200), time.monotonic() - start))
PY
)
note "500 slow requests: ok_count seconds = $res"
check_eq "500 concurrent 1-second requests all answered 200" 500 "${res%% *}"
check "and together in well under 500 s of thread time (<= 10 s, got ${res#* } s)" \
    python3 -c "import sys; sys.exit(0 if float('${res#* }') <= 10 else 1)"
check_eq "/health still 200" 200 "$(http_status "$URL/health")"
m=$(curl -s "$URL/metrics")
check "metrics count simulator answers" grep -q 'route="/webhook-simulator",status="200"' <<<"$m"
finish
