#!/usr/bin/env bash
# kgw-producer's HTTP/1.1 framing from a raw socket (tests/tools/http_raw.py):
# every request whose length a proxy could read differently (two
# Content-Lengths, Content-Length with Transfer-Encoding, a coding other than
# chunked, a space before the colon, control bytes in a value, obs-fold) is
# refused with 400 and the connection closed, before anything is produced;
# plain, chunked, pipelined, HTTP/1.0 and absolute-form requests are served.
# For each case: the status, that /health still answers, and what reached
# Kafka (each body names its case; a request hidden in another's body says
# "smuggled").
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="framing-$RUN_ID"
# One partition: the pipelined answers' offsets show their order.
start_devcluster --brokers 1 --topic "$T:1"
# cl-short-close (a body shorter than its Content-Length, then a half-close)
# must end closed within the corpus's 5 s wait, well inside the default 30 s
# slow-request cut: kgw's reaper closes a request its client ended.
start_producer

python3 "$ROOT/tests/tools/http_raw.py" corpus 127.0.0.1 "$PORT" "$T" >"$TMP/corpus.out" \
    2>"$TMP/corpus.err" || cat "$TMP/corpus.err" >&2
while read -r line; do note "$line"; done <"$TMP/corpus.out"

# Expected answers: the statuses, whether the error body is JSON, and whether
# the server closed the connection. "refused" is kgw's own 400 + close;
# "mhd-400"/"mhd-413" are libmicrohttpd's own (HTML body, then close).
refused='400 json-error conn-close close'
declare -A want=(
    [ok]='200 open'
    [cl-same]='200 open'
    [cl-differ]=$refused
    [cl-malformed-plus]='400 non-json conn-close close'
    [cl-malformed-space-inside]='400 non-json conn-close close'
    [cl-malformed-hex]='400 non-json conn-close close'
    [cl-malformed-negative]='400 non-json conn-close close'
    [cl-malformed-list]='400 non-json conn-close close'
    [cl-malformed-empty]='400 non-json conn-close close'
    [cl-malformed-overflow]='413 non-json conn-close close'
    [cl-and-te]=$refused
    [te-chunked]='200 open'
    [te-gzip]=$refused
    [te-chunked-not-last]=$refused
    [te-gzip-chunked]=$refused
    [te-twice]=$refused
    [te-identity]=$refused
    [te-chunkedx]=$refused
    [te-two-lines]=$refused
    [cl-space-before-colon]=$refused
    [value-nul]='200 open'
    [value-cr]=$refused
    [value-vt]=$refused
    [obs-fold]=$refused
    [obs-fold-token]='200 open'
    [obs-fold-cl]=$refused
    [bare-lf]='200 open'
    [chunk-size-overflow]='413 non-json conn-close close'
    [chunk-size-junk]='200 open'
    [cl-huge-close]='413 json-error conn-close close'
    [cl-short-close]='- close'
    [pipelined-100]='100x200 ordered open'
    [http-0.9]='400 non-json conn-close close'
    [absolute-form]='200 open'
    [no-host]='400 non-json conn-close close'
    [http-1.0]='200 conn-close close'
)
# Records each case leaves in Kafka (0 unless listed).
declare -A produced=(
    [ok]=1 [cl-same]=1 [te-chunked]=1 [value-nul]=1 [obs-fold-token]=1 [bare-lf]=1
    [chunk-size-junk]=1 [pipelined]=100 [absolute-form]=1 [http-1.0]=1
)

kcat -C -b "$BOOTSTRAP" -t "$T" -e -q -f '%s\n' >"$TMP/records" 2>/dev/null || true
for name in "${!want[@]}"; do
    line=$(grep -E "^$name " "$TMP/corpus.out" || true)
    answer=${line#"$name "}
    answer=${answer% health=*}
    check_eq "$name: answer" "${want[$name]}" "$answer"
    check_eq "$name: /health still answers" 200 "${line##* health=}"
    key=$name
    [ "$name" = pipelined-100 ] && key=pipelined
    check_eq "$name: records produced" "${produced[$key]:-0}" \
        "$(grep -c "^\"framing-$key\"$" "$TMP/records" || true)"
done
check_eq "no smuggled request reached Kafka" 0 "$(grep -c '^"smuggled-' "$TMP/records" || true)"
check "refusals are logged" grep -q 'framing' "$TMP/producer.err"
m=$(curl -s "$URL/metrics")
check "metrics count the framing refusals" \
    grep -qE '^kgw_producer_http_framing_refused_total [1-9][0-9]*$' <<<"$m"
finish
