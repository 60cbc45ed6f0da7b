#!/usr/bin/env bash
# kgw-consumer: -rate 25 over 100 records takes about 4 s; transient 503s are
# retried to success (immediately by default); a Retry-After is honoured.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/consumer.sh
source "$(dirname "$0")/../lib/consumer.sh"

start_devcluster --brokers 3 --topic "rate-$RUN_ID:4" --topic "retry-$RUN_ID:2" --topic "ra-$RUN_ID:1"

# Rate: 100 records at 25/s: the first starts at once, the last at 99/25 = 3.96 s.
produce "rate-$RUN_ID" 100
start_receiver recv-rate
start_consumer cons-rate -topic "rate-$RUN_ID" -group "g-rate-$RUN_ID" -rate 25 -workers 8 \
    -max-messages 100
wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
span=$(python3 -c '
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
print("%.2f" % (max(ts) - min(ts)) if len(ts) == 100 else "count=%d" % len(ts))' "$RECV_LOG")
note "-rate 25 x 100 records: first to last request ${span}s"
check "-rate 25 over 100 records takes about 4 s (3.0-6.5)" \
    python3 -c "import sys; s=sys.argv[1]; sys.exit(0 if not s.startswith('count') and 3.0 <= float(s) <= 6.5 else 1)" "$span"

# Retry: the first 30 requests answer 503. With 2 workers one record may meet
# up to 30 of them, so -retries is set above that.
produce "retry-$RUN_ID" 40
start_receiver recv-retry --fail-first 30 --fail-status 503
start_consumer cons-retry -topic "retry-$RUN_ID" -group "g-retry-$RUN_ID" -workers 2 -retries 40 \
    -max-messages 40 -H 'user-agent: probe/2'

wait_until 60 bash -c "! kill -0 $CONSUMER_PID" || true
check_eq "503s retried until all 40 delivered" 40 "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"
check_eq "30 failed attempts seen by the target" 30 "$(recv_ids "$RECV_LOG" 503 | wc -l)"
check_eq "-H User-Agent replaces kgw's, sent once" "probe/2 1" "$(python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
print(r["headers"].get("user-agent"), r["header_names"].count("user-agent"))' "$RECV_LOG")"
check "retries counted in the log" grep -q 'delivery attempt failed .*status=503' "$TMP/cons-retry.err"
ends=$(committed "g-retry-$RUN_ID" "retry-$RUN_ID" 2 | awk '{ s += $2 } END { print s }')
check_eq "committed offsets cover all 40 after the retries" 40 "$ends"

# Retry-After: 429 with Retry-After: 1 makes the retry wait about a second
# even though -retry-delay is 0.
printf '{"x":1}\n' | kcat -P -b "$BOOTSTRAP" -t "ra-$RUN_ID"
start_receiver recv-ra --fail-first 1 --fail-status 429 --retry-after 1
start_consumer cons-ra -topic "ra-$RUN_ID" -group "g-ra-$RUN_ID" -max-messages 1
wait_until 30 bash -c "! kill -0 $CONSUMER_PID" || true
gap=$(python3 -c '
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
print("%.2f" % (ts[1] - ts[0]) if len(ts) == 2 else "count=%d" % len(ts))' "$RECV_LOG")
note "Retry-After: 1 -> second attempt after ${gap}s"
check "Retry-After honoured (0.9-3 s)" \
    python3 -c "import sys; s=sys.argv[1]; sys.exit(0 if not s.startswith('count') and 0.9 <= float(s) <= 3 else 1)" "$gap"
finish
