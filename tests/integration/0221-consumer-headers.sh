#!/usr/bin/env bash
# -forward-headers and templates: record headers become HTTP headers (names
# sanitised to RFC 9110 tokens, reserved names and unsafe values skipped and
# counted in kgw_consumer_headers_skipped_total and the log); {topic}
# {partition} {offset} {key} {header.NAME} fill -target-url (percent-encoded)
# and -H values (unsafe text: the header is left out). A raw-socket receiver
# (tests/tools/raw_receiver.py) keeps the exact request bytes: no CR, LF or
# NUL from a record ever reaches the wire.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

misuse() {
    local want=$1 out rc=0
    shift
    out=$("$CONSUMER" -broker b -topic t "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$want" <<<"$out"
}
check "unknown placeholder in -target-url exits 2" misuse "--target-url" -target-url 'http://127.0.0.1:1/{nope}'
check "unclosed placeholder in -H exits 2" misuse "-H" -target-url http://127.0.0.1:1/ -H 'X-A: {topic'

T=headers-$RUN_ID
start_devcluster --brokers 1 --topic "$T:1"
# 0: safe headers, one needing sanitising; 1: injection attempts; 2: a key to percent-encode.
printf 'a b/c\t{"n":0}\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t' -H x-trace=abc -H 'x-odd name=ok' -H x-other=not-forwarded
printf 'k1\t{"n":1}\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t' -H "$(printf 'x-evil=a\r\nInjected: yes')" \
    -H "$(printf 'x-nul=a\001b')" -H x-content-length=1 -H x-ok=fine
printf 'k\xff\t{"n":2}\n' | kcat -P -b "$BOOTSTRAP" -t "$T" -K $'\t' -H "$(printf 'x-trace=t\nInjected: yes')"
N=3

: >"$TMP/raw.jsonl"
start_bg raw python3 "$ROOT/tests/tools/raw_receiver.py" "$TMP/raw.port" "$TMP/raw.jsonl"
check "raw receiver listening" wait_until 10 test -s "$TMP/raw.port"
BASE=http://127.0.0.1:$(cat "$TMP/raw.port")
MPORT=$(free_port)
RECV_URL="$BASE/t/{topic}/{partition}/{key}?o={offset}"
start_consumer hdr -topic "$T" -group "g-$RUN_ID" -metrics-port "$MPORT" \
    -forward-headers 'x-trace,x-odd name,x-evil,x-nul,x-ok' -H 'X-Trace-Copy: {header.x-trace}' \
    -H 'X-Static: s' -workers 1 -stats-interval 0
wait_records() { [ "$(wc -l <"$TMP/raw.jsonl")" -ge "$N" ]; }
check "$N requests received" wait_until 30 wait_records
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1=="kgw_consumer_headers_skipped_total"{print $2}' || true; }
# Skipped: x-evil, x-nul (record 1); x-trace and X-Trace-Copy (record 2).
skipped_is_4() { [ "$(metric)" = 4 ]; }
check "kgw_consumer_headers_skipped_total counts every skipped header (4)" wait_until 10 skipped_is_4
python3 - "$TMP/raw.jsonl" "$T" >"$TMP/h.check" <<'PY' || true
import base64, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
t = sys.argv[2]
ok = lambda d, c: print(("ok - " if c else "not ok - ") + d)
def hdrs(r):
    lines = base64.b64decode(r["head_b64"]).split(b"\r\n")[1:]
    return [tuple(x.strip() for x in l.split(b":", 1)) for l in lines]
heads = [base64.b64decode(r["head_b64"]) for r in recs]
ok("no bare CR/LF, no NUL, no 'Injected' line in any request head",
   all(b"\0" not in h and b"\n" not in h.replace(b"\r\n", b"") and b"\r" not in h.replace(b"\r\n", b"")
       and b"Injected" not in h for h in heads))
by = {r["target"].rsplit("o=", 1)[1]: r for r in recs}
r0, r1, r2 = by.get("0"), by.get("1"), by.get("2")
ok("target URL templated, key percent-encoded",
   r0 and r0["target"] == "/t/%s/0/a%%20b%%2Fc?o=0" % t and r2["target"] == "/t/%s/0/k%%FF?o=2" % t)
h0 = dict(hdrs(r0))
ok("record headers forwarded, names sanitised, unlisted ones not",
   h0.get(b"x-trace") == b"abc" and h0.get(b"x-odd_name") == b"ok" and b"x-other" not in h0)
ok("-H template filled, static -H kept", h0.get(b"X-Trace-Copy") == b"abc" and h0.get(b"X-Static") == b"s")
h1 = dict(hdrs(r1))
ok("unsafe values skipped, safe one sent", b"x-evil" not in h1 and b"x-nul" not in h1 and h1.get(b"x-ok") == b"fine")
h2 = dict(hdrs(r2))
ok("-H template with unsafe text left out", b"X-Trace-Copy" not in h2 and b"x-trace" not in h2)
print("# captured request (head): " + heads[0].decode("latin-1").replace("\r\n", " | "))
PY
cat "$TMP/h.check"
while read -r line; do
    case $line in "not ok - "*) FAILS=$((FAILS + 1)) ;; esac
done <"$TMP/h.check"
check "the log says so" grep -q "header skipped" "$TMP/hdr.err"
finish
