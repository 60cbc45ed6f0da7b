#!/usr/bin/env bash
# make test-kafka: the integration, fault and end-to-end suites against a real
# 3-node Apache Kafka cluster (bin/kafka-cluster.sh, with its SASL_SSL
# listener), through the same scripts that `make test` runs on kgw-devcluster.
# Tests that need the mock's controls skip themselves here (devcluster_only),
# and the faults only a real cluster has run only here (real_kafka_only).
#
#   tests/kafka/run.sh [SUITE ...]   default: integration faults e2e
#
# The cluster lives in $BUILD/kafka-cluster and is stopped, by PID, at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD ROOT
DIR=$BUILD/kafka-cluster

# A cluster left by an interrupted run would hold the ports' data dir.
"$ROOT/bin/kafka-cluster.sh" stop --dir "$DIR"
t0=$SECONDS
"$ROOT/bin/kafka-cluster.sh" start --dir "$DIR" --sasl >/dev/null
trap '"$ROOT/bin/kafka-cluster.sh" stop --dir "$DIR"' EXIT
echo "== real Kafka: 3 nodes up in $((SECONDS - t0)) s"
set -a
# shellcheck disable=SC1090 # written by kafka-cluster.sh start
. <("$ROOT/bin/kafka-cluster.sh" env --dir "$DIR")
set +a
"$ROOT/bin/kafka-cluster.sh" status --dir "$DIR" | sed 's/^/# /'

# The rolling-restart fault restarts 3 JVMs one after another (~1-1.5 min each on 2
# cores): it needs more than the default 300 s per script.
export KGW_TEST_TIMEOUT=${KGW_TEST_TIMEOUT:-600}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(integration faults e2e)
"$ROOT/tests/run.sh" "${suites[@]}"
