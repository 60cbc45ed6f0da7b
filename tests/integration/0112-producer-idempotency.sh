#!/usr/bin/env bash
# Idempotency-Key on POST /produce (single and batch) and the REST Proxy v2
# route: a retry gets the first answer replayed without producing again
# (kcat counts the records), 20 concurrent repeats of one key produce once,
# the same key with another body is 422, the window ends, and the caps hold
# with their values visible in /metrics.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="idem-$RUN_ID"
start_devcluster --brokers 1 --topic "$T:1"
start_producer --idempotency-max-keys 50

# ipost KEY PATH BODY [CTYPE]: like post, with an Idempotency-Key; the
# replay header goes into $TMP/h.
ipost() {
    local out
    out=$(curl -s --max-time 30 -D "$TMP/h" -w '\n%{http_code}' -H "Content-Type: ${4:-application/json}" \
        -H "Idempotency-Key: $1" --data-binary "$3" "$URL$2") || true
    printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}

r1=$(ipost "k1-$RUN_ID" /produce "{\"topic\":\"$T\",\"payload\":{\"n\":1}}")
check_eq "first use -> 200" 200 "$(status_of "$r1")"
r2=$(ipost "k1-$RUN_ID" /produce "{\"topic\":\"$T\",\"payload\":{\"n\":1}}")
check_eq "the retry gets the same answer" "$r1" "$r2"
check "marked Idempotent-Replayed: true" grep -qi '^Idempotent-Replayed: true' "$TMP/h"
r3=$(ipost "k1-$RUN_ID" /produce "{\"topic\":\"$T\",\"payload\":{\"n\":2}}")
check_eq "same key, another body -> 422" 422 "$(status_of "$r3")"
check "with an error naming the key" grep -q 'Idempotency-Key was already used' <<<"$r3"
r=$(ipost "k2-$RUN_ID" /produce "{\"topic\":\"$T\",\"messages\":[{\"payload\":1},{\"payload\":2}]}")
r_again=$(ipost "k2-$RUN_ID" /produce "{\"topic\":\"$T\",\"messages\":[{\"payload\":1},{\"payload\":2}]}")
check_eq "batch form replayed" "$r" "$r_again"
v2='{"records":[{"value":{"v2":1}}]}'
r=$(ipost "k3-$RUN_ID" "/topics/$T" "$v2" application/vnd.kafka.json.v2+json)
r_again=$(ipost "k3-$RUN_ID" "/topics/$T" "$v2" application/vnd.kafka.json.v2+json)
check_eq "REST Proxy v2 route replayed" "$r" "$r_again"
check_eq "bad key -> 400" 400 "$(status_of "$(ipost "$(printf 'a%.0s' {1..300})" /produce "{\"topic\":\"$T\",\"payload\":1}")")"
check_eq "kcat: 1 + 2 + 1 records, none twice" 4 "$(kafka_count "$T")"

# --- 20 concurrent requests with one key: one produces, the rest wait or replay.
conc=$(python3 - "$PORT" "$T" "k4-$RUN_ID" <<'PY'
import http.client, json, sys, threading
port, topic, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = json.dumps({"topic": topic, "payload": {"concurrent": True}})
out = []
def one():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/produce", body=body,
              headers={"Content-Type": "application/json", "Idempotency-Key": key})
    r = c.getresponse()
    out.append((r.status, r.read().decode()))
ts = [threading.Thread(target=one) for _ in range(20)]
[t.start() for t in ts]
[t.join() for t in ts]
print(len(out), len(set(out)), out[0][0])
PY
)
check_eq "20 concurrent repeats: 20 answers, all the same, 200" "20 1 200" "$conc"
check_eq "kcat: the concurrent key produced once" 5 "$(kafka_count "$T")"
m=$(curl -s "$URL/metrics")
check "replays counted (>= 22)" python3 -c 'import re,sys; v=float(re.search(r"^kgw_producer_idempotency_replays_total (\S+)", sys.argv[1], re.M).group(1)); sys.exit(v < 22)' "$m"
check "conflicts counted" grep -q '^kgw_producer_idempotency_conflicts_total 1$' <<<"$m"
check "the key cap is visible" grep -q '^kgw_producer_idempotency_max_keys 50$' <<<"$m"
check "the byte cap is visible" grep -q '^kgw_producer_idempotency_max_bytes 67108864$' <<<"$m"

# --- Caps: 5 keys at most, the oldest answered evicted.
PRODUCER_N=2
start_producer --idempotency-max-keys 5 --idempotency-window 2
for i in $(seq 1 10); do ipost "cap-$i" /produce "{\"topic\":\"$T\",\"payload\":$i}" >/dev/null; done
m=$(curl -s "$URL/metrics")
check "no more than 5 keys held" grep -q '^kgw_producer_idempotency_keys 5$' <<<"$m"
check "5 evicted, counted" grep -q '^kgw_producer_idempotency_evicted_total 5$' <<<"$m"
r1=$(ipost "win-$RUN_ID" /produce "{\"topic\":\"$T\",\"payload\":\"window\"}")
off1=$(jget "$(body_of "$r1")" 'j["offset"]')
# shellcheck disable=SC2317 # called by wait_until
new_offset() {
    local r
    r=$(ipost "win-$RUN_ID" /produce "{\"topic\":\"$T\",\"payload\":\"window\"}")
    [ "$(jget "$(body_of "$r")" 'j["offset"]')" != "$off1" ]
}
check "after --idempotency-window 2 the key produces again" wait_until 10 new_offset
finish
