#!/usr/bin/env bash
# kgw-devcluster serves real Kafka clients: metadata, produce, consume, a
# consumer group; its control commands work; misuse exits 2 with one line.
# On real Kafka (make test-kafka) the same client checks run against the
# test cluster, which validates that tier; the control commands and the
# mock's bootstrap file are kgw-devcluster's own and are skipped there.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"

DC=$BUILD/kgw-devcluster
T=demo-$RUN_ID

# Misuse: exit code 2 and one line naming the problem.
misuse() {
    local want=$1
    shift
    local out rc=0
    out=$("$DC" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && grep -q -- "$want" <<<"$out"
}
check "--brokers 0 exits 2 naming --brokers" misuse "--brokers" --brokers 0
check "--topic bad exits 2 naming the topic" misuse "--topic 'bad'" --topic bad
check "--topic x:0 exits 2" misuse "PARTITIONS" --topic x:0
check "unknown flag exits 2 naming it" misuse "--bogus" --bogus
check "--help exits 0 and says in-memory" bash -c "'$DC' --help | grep -q 'NOT for data you want to keep'"
check "--version exits 0" bash -c "'$DC' --version | grep -q kgw-devcluster"

start_devcluster --brokers 3 --topic "$T:6"
ok "started with bootstrap $BOOTSTRAP"
real_kafka || check "bootstrap list printed on stdout" grep -qF "$BOOTSTRAP" "$TMP/devcluster.out"

meta=$(kcat -L -b "$BOOTSTRAP" -t "$T")
check_eq "kcat -L lists 3 brokers" 3 "$(grep -c '^  broker ' <<<"$meta")"
check_eq "kcat -L lists 6 partitions" 6 "$(grep -c '^    partition ' <<<"$meta")"
check "replication factor 3" grep -q 'replicas: [0-9],[0-9],[0-9],' <<<"$meta"

for i in $(seq 1 100); do echo "key$i:value$i"; done | kcat -P -b "$BOOTSTRAP" -t "$T" -K:
check_eq "kcat produce + consume 100 records" 100 "$(kafka_count "$T")"
got=$(kcat -C -b "$BOOTSTRAP" -t "$T" -e -q -K: -f '%k:%s\n' | sort | md5sum)
want=$(for i in $(seq 1 100); do echo "key$i:value$i"; done | sort | md5sum)
check_eq "keys and values survive the round trip" "$want" "$got"

# A consumer group reads everything once and commits.
kcat -G "grp-$RUN_ID" -b "$BOOTSTRAP" -o beginning -e -q -f '%k\n' \
    -X auto.commit.interval.ms=100 "$T" >"$TMP/group.out" 2>"$TMP/group.err" || true
check_eq "kcat -G consumer group reads all 100" 100 "$(sort -u "$TMP/group.out" | wc -l)"

# Control commands.
devcluster_only "control commands and SIGTERM are the mock's"
check "control: ping" dc_cmd ping
check "control: broker down 2" dc_cmd broker down 2
check "control: broker up 2" dc_cmd broker up 2
check "control: leader move" dc_cmd leader "$T" 0 3
check "control: errors push" dc_cmd errors push Produce 2 NOT_LEADER_FOR_PARTITION
echo "after:move" | kcat -P -b "$BOOTSTRAP" -t "$T" -p 0 -K:
check_eq "produce succeeds through injected retriable errors" 101 "$(kafka_count "$T")"
if dc_cmd nonsense >/dev/null; then not_ok "control: bad command answers error"; else ok "control: bad command answers error"; fi
check "control: topic create" dc_cmd topic create "other-$RUN_ID" 2 3

stop_pid "$DC_PID"
check "exits on SIGTERM and removes its bootstrap file" test ! -e "$TMP/bootstrap"
finish
