#!/usr/bin/env bash
# Load: 2,000 concurrent /produce requests over 32 keep-alive connections, all
# acknowledged and present exactly once; then a broker taken down mid-load
# and injected transient produce errors: every request answered, every
# acknowledged record present once, where the answer said.
# On real Kafka the broker outage is a clean stop (SIGTERM) of node 2 and its
# restart, so its leaderships move to the others and back; the injected
# errors need the mock (kgw-devcluster only).
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

start_devcluster --brokers 3 --topic "load-$RUN_ID:8" --topic "down-$RUN_ID:8" --topic "inj-$RUN_ID:8"
start_producer

# verify NAME N TOPIC WANT_ACKED: checks the run against Kafka.
verify() {
    local res
    res=$(produce_verify "$1" "$2" "$3")
    note "$1: $res"
    check_eq "$1: every request answered" "$2" "$(json_field "$res" answered)"
    if [ "$4" = all ]; then
        check_eq "$1: every request acknowledged" "$2" "$(json_field "$res" acked)"
    else
        check "$1: most requests acknowledged" test "$(json_field "$res" acked)" -ge "$4"
    fi
    check_eq "$1: no acknowledged record lost" 0 "$(json_field "$res" lost)"
    check_eq "$1: no duplicates" 0 "$(json_field "$res" duplicates)"
    check_eq "$1: partition/offset in the answers match Kafka" 0 "$(json_field "$res" mismatched)"
}

# 1. 2,000 concurrent requests over 32 keep-alive connections.
keepalive_load plain "$URL" "load-$RUN_ID" 2000 32 40
check "2,000 requests finish within 60 s" wait_until 60 load_done
verify plain 2000 "load-$RUN_ID" all
check_eq "32 keep-alive connections carried all 2,000 requests" "connections=32 requests=2000" \
    "$(cat "$TMP/plain/load.out")"
check_eq "/health still answers" 200 "$(http_status "$URL/health")"

# 2. A broker down mid-load, back 2 s later.
keepalive_load down "$URL" "down-$RUN_ID" 1500 32 40
wait_until 30 answered_ge down 300 || true
if real_kafka; then
    check "broker 2 down mid-load" kafka_down 2
else
    check "broker 2 down mid-load" dc_cmd broker down 2
fi
# The outage lasts until 800 answers or 3 s, whichever comes first (clients
# stuck on the downed leader stall the rest, so bound it well below the
# 30 s message timeout).
wait_until 3 answered_ge down 800 || true
if real_kafka; then
    check "broker 2 back up" kafka_up 2
else
    check "broker 2 back up" dc_cmd broker up 2
fi
check "load with a broker outage finishes within 60 s" wait_until 60 load_done
verify down 1500 "down-$RUN_ID" 1400

# 3. Injected transient produce errors, retried inside librdkafka.
if real_kafka; then
    note "skip: injected produce errors need kgw-devcluster"
else
    check "inject NOT_LEADER_FOR_PARTITION x5" dc_cmd errors push Produce 5 NOT_LEADER_FOR_PARTITION
    check "inject NOT_LEADER_FOR_PARTITION x3 more" dc_cmd errors push Produce 3 NOT_LEADER_FOR_PARTITION
    keepalive_load inj "$URL" "inj-$RUN_ID" 1000 32 40
    check "load with injected errors finishes within 60 s" wait_until 60 load_done
    verify inj 1000 "inj-$RUN_ID" all
fi

m=$(curl -s "$URL/metrics")
check "metrics: nothing left in flight" grep -q '^kgw_producer_inflight_requests 0' <<<"$m"
check "process still alive" alive "$PRODUCER_PID"
note "producer peak RSS: $(rss_kb "$PRODUCER_PID") KiB"
finish
