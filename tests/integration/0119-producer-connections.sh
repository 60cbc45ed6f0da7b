#!/usr/bin/env bash
# Many keep-alive clients whose requests reach one HTTP thread at once.
# libmicrohttpd's own epoll thread (0.9.75, still in 1.0.1) takes events 128
# at a time and, when a call returns exactly 128, waits again with its full
# timeout before serving them. tests/tools/burst.py makes that happen: 128
# idle keep-alive connections on --threads 1, the producer stopped, one
# /produce written on each, the producer continued. With libmicrohttpd's
# thread 5 of 6 such bursts went unanswered until connections timed out; kgw
# runs libmicrohttpd in event loops of its own (producer/httpd.c). Then a
# sustained load: bench/bare_curl keeping 128 requests in flight on one thread
# and 256 on the default two. Every request answered 200, every record in Kafka.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"

T="conns-$RUN_ID"
start_devcluster --brokers 3 --topic "$T:8"
N=20000 # sustained requests per run
[ "${KGW_UNDER_VALGRIND:-0}" != 1 ] || N=2000
BURST_S=5   # each burst answered within this (the stall lasted until --connection-timeout)
[ "${KGW_UNDER_VALGRIND:-0}" != 1 ] || BURST_S=30
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

start_producer --threads 1 --connection-timeout 60
out=$(python3 "$ROOT/tests/tools/burst.py" "$PORT" "$PRODUCER_PID" "$T" 128 "$BURST_S" 3)
note "burst: $out"
check_eq "3 bursts of 128 requests at once on one thread: every one answered within ${BURST_S} s" \
    384 "$(field answered "$out")"

# run NAME CLIENTS: N requests from CLIENTS clients, each sending its next
# request the moment its answer arrives.
run() {
    local out rc=0
    out=$(timeout 60 "$BUILD/bench/bare_curl" --url "$URL/produce" --topic "$T" --size 200 \
        --count "$N" --inflight "$2" --timeout 30) || rc=$?
    note "$1: rc=$rc $out"
    check_eq "$1: all $N answered 200 within 60 s" "$N" "$(field ok "$out")"
}
run "--threads 1, 128 clients" 128
stop_pid "$PRODUCER_PID"
start_producer
run "2 threads, 256 clients" 256

want=$((128 + 384 + 2 * N))
have_all() { [ "$(kafka_count "$T")" -ge "$want" ]; }
wait_until 30 have_all || true
check_eq "every acknowledged record is in Kafka" "$want" "$(kafka_count "$T")"
finish
