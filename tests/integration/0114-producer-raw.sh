#!/usr/bin/env bash
# Raw bodies on the REST Proxy route, as a kcat user expects: POST
# /topics/{t} with application/octet-stream or text/plain produces the body
# bytes exactly (NUL, CR LF, invalid UTF-8 and all), the key from ?key=, the
# partition from ?partition= or the path; kcat reads back the same bytes.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="raw-$RUN_ID"
start_devcluster --brokers 1 --topic "$T:3"
start_producer

# 64 KiB of every byte value, CR LF and NUL included.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 256 + b"\r\n\x00end")' >"$TMP/blob.bin"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' \
    --data-binary @"$TMP/blob.bin" "$URL/topics/$T?key=blob%201&partition=2") || true
check_eq "octet-stream body -> 200" 200 "${r##*$'\n'}"
body=${r%$'\n'*}
check_eq "answered in the v2 shape, on ?partition=2" 2 "$(jget "$body" 'j["offsets"][0]["partition"]')"
kcat -C -b "$BOOTSTRAP" -t "$T" -p 2 -o 0 -c 1 -e -q -f '%s' >"$TMP/back.bin" 2>/dev/null || true
check "kcat reads back the exact bytes ($(wc -c <"$TMP/blob.bin") bytes)" cmp -s "$TMP/blob.bin" "$TMP/back.bin"
check_eq "the key from ?key= (URL-decoded)" "blob 1" \
    "$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 2 -o 0 -c 1 -e -q -f '%k' 2>/dev/null)"

printf 'line one\nline two\n' >"$TMP/text.txt"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: text/plain; charset=utf-8' \
    --data-binary @"$TMP/text.txt" "$URL/topics/$T/partitions/1") || true
check_eq "text/plain to a path partition -> 200" 200 "${r##*$'\n'}"
kcat -C -b "$BOOTSTRAP" -t "$T" -p 1 -o 0 -c 1 -e -q -f '%s' >"$TMP/text.back" 2>/dev/null || true
check "text kept exactly, trailing newline included" cmp -s "$TMP/text.txt" "$TMP/text.back"
check_eq "no ?key=: no key" "-1" "$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 1 -o 0 -c 1 -e -q -f '%K' 2>/dev/null)"

r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' -X POST \
    "$URL/topics/$T?partition=0") || true
check_eq "an empty body is an empty value -> 200" 200 "${r##*$'\n'}"
check_eq "kcat: empty, not null (length 0)" 0 \
    "$(kcat -C -b "$BOOTSTRAP" -t "$T" -p 0 -o 0 -c 1 -e -q -f '%S' 2>/dev/null)"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' \
    --data-binary x "$URL/topics/$T?partition=abc") || true
check_eq "?partition=abc -> 422" 422 "${r##*$'\n'}"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' \
    --data-binary x "$URL/topics/$T?partition=7") || true
check_eq "a partition beyond the topic -> 404" 404 "${r##*$'\n'}"
r=$(curl -s -w '\n%{http_code}' -H 'Content-Type: image/png' --data-binary x "$URL/topics/$T") || true
check_eq "another media type -> 415" 415 "${r##*$'\n'}"
head -c 1000001 /dev/zero >"$TMP/big.bin"
check_eq "over message.max.bytes -> 413" 413 "$(http_status "$URL/topics/$T" -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/big.bin")"
finish
