#!/usr/bin/env bash
# Hardening of kgw-producer's limits, with the clients that found the gaps:
# Python's http.client sending an oversized body without Expect reads the 413
# (not a reset); header blocks over 16 KiB get a JSON 431; a record Kafka
# refuses as too large answers 413; the default body limit is the producer's
# message.max.bytes; unknown /produce fields get a 400 naming them, while the
# REST Proxy routes ignore unknown fields as Confluent's proxy does.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="hard-$RUN_ID"
start_devcluster --brokers 1 --topic "$T:1"
start_producer

# --- An oversized body without Expect: 100-continue, sent whole by http.client.
big=$(python3 - "$PORT" <<'PY'
import http.client, sys
for n in (2_000_000, 8_000_000, 40_000_000):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
    try:
        c.request("POST", "/produce", body=b"x" * n, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        print(n, r.status, r.getheader("Connection"), r.read().decode())
    except OSError as e:
        print(n, "error", type(e).__name__)
    c.close()
PY
)
note "$big"
for n in 2000000 8000000 40000000; do
    check "http.client, $n-byte body, no Expect: reads the 413 JSON" \
        grep -qE "^$n 413 close .*body too large" <<<"$big"
done
head -c 3000000 /dev/zero | tr '\0' x >"$TMP/big.json"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
    --data-binary @"$TMP/big.json" "$URL/produce") || true
check_eq "curl with Expect: 100-continue gets 413 without sending the body" 413 "${r##*$'\n'}"
check_eq "/health after the oversized bodies" 200 "$(http_status "$URL/health")"

# --- Header blocks: 15,000 bytes pass, 20,000 and 30,000 get a JSON 431;
# past kgw's 32 KiB of connection memory libmicrohttpd answers 431 itself.
pad() { head -c "$1" /dev/zero | tr '\0' a; }
check_eq "15,000 bytes of headers are accepted" 200 "$(http_status "$URL/health" -H "X-Pad: $(pad 15000)")"
for n in 20000 30000; do
    out=$(curl -s --max-time 10 -w '\n%{http_code}\n%{content_type}' -H "X-Pad: $(pad "$n")" "$URL/health") || true
    code=$(sed -n 2p <<<"$out")
    check_eq "$n bytes of headers -> 431" 431 "$code"
    check "$n bytes of headers: a JSON error body" grep -q '"error":"request headers too large' <<<"$out"
done
out=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "X-Pad: $(pad 50000)" "$URL/health") || true
check_eq "50,000 bytes of headers -> 431 (libmicrohttpd's own)" 431 "$out"
check "the 431 is counted" sh -c "curl -s '$URL/metrics' | grep -q 'status=\"431\"'"

# --- The default body limit is message.max.bytes (1,000,000 by default).
python3 -c 'import json,sys; print(json.dumps({"topic": sys.argv[1], "payload": "y" * 1000000}))' "$T" >"$TMP/mmb.json"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/mmb.json" "$URL/produce") || true
check_eq "a body over message.max.bytes is refused before producing" 413 "${r##*$'\n'}"
check "with the limit in the answer" grep -q 'the limit is 1000000' <<<"$r"

# --- A record Kafka refuses as too large: 413 with kafka_error.
PRODUCER_N=2
start_producer -X message.max.bytes=2000 --max-body-bytes 100000
r=$(post /produce "{\"topic\":\"$T\",\"payload\":\"$(pad 5000)\"}")
check_eq "MSG_SIZE_TOO_LARGE -> 413" 413 "$(status_of "$r")"
check_eq "named in kafka_error" MSG_SIZE_TOO_LARGE "$(jget "$(body_of "$r")" 'j["kafka_error"]')"
r=$(post "/topics/$T" "{\"records\":[{\"value\":\"$(pad 5000)\"}]}" application/vnd.kafka.json.v2+json)
check "REST Proxy: MSG_SIZE_TOO_LARGE is a failed record (error_code 50002)" \
    grep -q '"error_code":50002' <<<"$(body_of "$r")"

# --- Unknown fields.
PRODUCER_N=3
start_producer
r=$(post /produce "{\"topic\":\"$T\",\"payload\":1,\"partiton\":3}")
check_eq "/produce with 'partiton' -> 400" 400 "$(status_of "$r")"
check "naming the field" grep -q "unknown field 'partiton'" <<<"$r"
r=$(post /produce "{\"topic\":\"$T\",\"messages\":[{\"payload\":1},{\"payload\":2,\"heders\":{}}]}")
check_eq "/produce messages[1] with 'heders' -> 400" 400 "$(status_of "$r")"
check "naming the field and the message" grep -q "messages\[1\]: unknown field 'heders'" <<<"$r"
r=$(post "/topics/$T" '{"records":[{"value":{"a":1},"extra":true}],"extra2":1}' application/vnd.kafka.json.v2+json)
check_eq "REST Proxy v2 ignores unknown fields (Confluent's behaviour)" 200 "$(status_of "$r")"
finish
