#!/usr/bin/env bash
# A real Apache Kafka cluster on loopback, for development and tests.
#
#   bin/kafka-cluster.sh start [--dir DIR] [--sasl]   3 KRaft nodes; prints the bootstrap list
#   bin/kafka-cluster.sh stop [--dir DIR]             stops the nodes by PID, removes DIR
#   bin/kafka-cluster.sh status [--dir DIR]           one line per node; exit 1 if any is down
#   bin/kafka-cluster.sh env [--dir DIR]              KGW_TEST_BROKERS=... (eval-able)
#   bin/kafka-cluster.sh node-stop N [SIGNAL]         signal node N (default TERM) and wait for it
#   bin/kafka-cluster.sh node-start N                 start node N again on its old ports and data
#   bin/kafka-cluster.sh node-pid N                   the PID of node N
#   bin/kafka-cluster.sh tool CLASS ARGS...           run a Kafka tool class on the cluster's classpath
#   bin/kafka-cluster.sh deps                         install a JDK and Maven from Debian if missing
#
# This is real Apache Kafka, with real disks: 3 nodes, each a combined broker and
# controller (KRaft), replication factor 3, min.insync.replicas=2, topics are
# never auto-created. Data lives under DIR (default $KGW_KAFKA_DIR, else
# /tmp/kgw-kafka) until `stop`. It is for development and tests on one machine:
# small heaps, loopback only, PLAINTEXT (plus SASL_SSL with --sasl). It is not a
# production deployment; docker-compose.yml is the one for real use.
#
# The Kafka release is pinned in tests/kafka/pom.xml and its runtime classpath is
# resolved by Maven; Maven's local repository is the cache, so only the first
# start downloads.
#
# --sasl adds a SASL_SSL listener per node (SCRAM-SHA-512, users created at
# format time) with a CA and a broker certificate made by openssl in DIR/tls.
# `env` then also prints KGW_TEST_SASL_BROKERS, KGW_TEST_CA, KGW_TEST_SASL_USER
# and KGW_TEST_SASL_PASSWORD_FILE.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
POM=$ROOT/tests/kafka/pom.xml
DIR=${KGW_KAFKA_DIR:-${TMPDIR:-/tmp}/kgw-kafka}
NODES=3
HEAP=${KGW_KAFKA_HEAP:--Xms256m -Xmx768m}
START_TIMEOUT=${KGW_KAFKA_START_TIMEOUT:-120}
SASL=0

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
    echo "kafka-cluster: $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

deps() {
    local need=()
    command -v java >/dev/null 2>&1 || need+=(default-jdk-headless)
    command -v mvn >/dev/null 2>&1 || need+=(maven)
    command -v kcat >/dev/null 2>&1 || need+=(kcat)
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    [ ${#need[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing ${need[*]}; run: sudo apt-get install -y ${need[*]}"
    fi
    echo "kafka-cluster: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
}

# classpath: the broker's runtime classpath, resolved once per pom change. Maven
# runs offline first, so a warm cache needs no network at all.
classpath() {
    local cache=${KGW_KAFKA_CP_CACHE:-$HOME/.cache/kgw/kafka-classpath-$(sha256sum "$POM" | cut -c1-12)}
    if [ -s "$cache" ] && classpath_complete "$cache"; then
        cat "$cache"
        return
    fi
    mkdir -p "$(dirname "$cache")"
    if ! mvn -q -B -o -f "$POM" dependency:build-classpath -Dmdep.outputFile="$cache.tmp" >"$cache.log" 2>&1; then
        echo "kafka-cluster: resolving Apache Kafka's classpath with Maven (first start only)" >&2
        mvn -q -B -f "$POM" dependency:build-classpath -Dmdep.outputFile="$cache.tmp" >"$cache.log" 2>&1 ||
            { cat "$cache.log" >&2; die "maven could not resolve $POM"; }
    fi
    mv "$cache.tmp" "$cache"
    cat "$cache"
}

classpath_complete() {
    local jar
    while IFS= read -r -d: jar || [ -n "$jar" ]; do
        [ -f "$jar" ] || return 1
    done <"$1"
}

node_port() { sed -n "s/^$2=//p" "$DIR/node$1/ports"; }

write_node_config() {
    local n=$1 voters=$2 f=$DIR/node$1/server.properties
    local port cport sport listeners advertised protomap
    port=$(node_port "$n" port)
    cport=$(node_port "$n" controller)
    listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    advertised="PLAINTEXT://127.0.0.1:$port"
    protomap="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    if [ "$SASL" = 1 ]; then
        sport=$(node_port "$n" sasl)
        listeners+=",SASL_SSL://127.0.0.1:$sport"
        advertised+=",SASL_SSL://127.0.0.1:$sport"
        protomap+=",SASL_SSL:SASL_SSL"
    fi
    cat >"$f" <<EOF
# Written by bin/kafka-cluster.sh: node $n of a 3-node development cluster.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protomap
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DIR/node$n/data
# The guarantees kgw is tested against: every write on 3 replicas, 2 in sync.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
auto.create.topics.enable=false
num.partitions=3
# Fewer internal partitions than the defaults (50) make the first group join
# fast on 2 cores; the protocol is the same.
offsets.topic.num.partitions=6
transaction.state.log.num.partitions=6
share.coordinator.state.topic.num.partitions=6
# Tests start consumers one after another; the default 3 s delay only slows them.
group.initial.rebalance.delay.ms=0
# Small segments keep the disk footprint of a test run small.
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
    if [ "$SASL" = 1 ]; then
        cat >>"$f" <<EOF
# SCRAM users come from StorageTool format (--add-scram); PLAIN users from this
# JAAS line. Both for the same user and password: librdkafka before 2.6.1
# (Debian bookworm ships 2.0.2) computes a SCRAM proof that Kafka 4.x refuses,
# so kgw's own tests authenticate with PLAIN over TLS, and check SCRAM's refusal.
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_kgw="$(cat "$DIR/tls/password")";
ssl.keystore.type=PEM
ssl.keystore.location=$DIR/tls/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$DIR/tls/ca.pem
ssl.client.auth=none
EOF
    fi
}

make_tls() {
    local t=$DIR/tls
    mkdir -p "$t"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kgw-test-ca \
        -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
        -keyout "$t/broker.key" -out "$t/broker.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$t/ext.cnf"
    openssl x509 -req -in "$t/broker.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
        -days 2 -extfile "$t/ext.cnf" -out "$t/broker.crt" 2>/dev/null
    # Kafka's PEM keystore wants the private key in PKCS#8 and the chain after it.
    openssl pkcs8 -topk8 -nocrypt -in "$t/broker.key" -out "$t/broker.p8" 2>/dev/null
    cat "$t/broker.p8" "$t/broker.crt" >"$t/broker.pem"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$t/password"
}

java_node() {
    local n=$1
    # shellcheck disable=SC2086 # HEAP holds several JVM flags on purpose.
    setsid java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$DIR/log4j2.properties" -Dkafka.logs.dir="$DIR/node$n" \
        -cp "$(cat "$DIR/classpath")" kafka.Kafka "$DIR/node$n/server.properties" \
        </dev/null >"$DIR/node$n/stdout.log" 2>&1 &
    echo $! >"$DIR/node$n/pid"
}

node_pid() { cat "$DIR/node$1/pid" 2>/dev/null; }
node_alive() {
    local pid
    pid=$(node_pid "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

bootstrap() {
    local n list=()
    for n in $(seq 1 $NODES); do list+=("127.0.0.1:$(node_port "$n" port)"); done
    (
        IFS=,
        echo "${list[*]}"
    )
}

# metadata_ok PORT: the node at PORT answers metadata naming all 3 brokers.
metadata_ok() {
    local out
    out=$(kcat -L -b "127.0.0.1:$1" -m 5 2>/dev/null) || return 1
    grep -q " $NODES brokers:" <<<"$out"
}

wait_node_ready() {
    local n=$1 deadline=$((SECONDS + START_TIMEOUT))
    until metadata_ok "$(node_port "$n" port)"; do
        node_alive "$n" || {
            tail -20 "$DIR/node$n/stdout.log" >&2
            die "node $n exited during startup (log: $DIR/node$n/stdout.log)"
        }
        [ "$SECONDS" -lt "$deadline" ] || die "node $n did not answer metadata within ${START_TIMEOUT}s"
        sleep 0.2
    done
}

cmd_start() {
    [ -e "$DIR/cluster.env" ] && die "a cluster is already set up in $DIR (stop it first)"
    deps
    mkdir -p "$DIR"
    local t0=$SECONDS n voters="" cp cluster_id scram=()
    cp=$(classpath)
    printf '%s' "$cp" >"$DIR/classpath"
    cat >"$DIR/log4j2.properties" <<'EOF'
# Brokers log at INFO to their node's server.log; the console gets warnings only.
status=error
appender.file.type=File
appender.file.name=file
appender.file.fileName=${sys:kafka.logs.dir}/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.console.type=Console
appender.console.name=console
appender.console.layout.type=PatternLayout
appender.console.layout.pattern=[%d] %p %m (%c)%n
appender.console.filter.threshold.type=ThresholdFilter
appender.console.filter.threshold.level=warn
rootLogger.level=info
rootLogger.appenderRefs=file,console
rootLogger.appenderRef.file.ref=file
rootLogger.appenderRef.console.ref=console
logger.kafka.name=kafka
logger.kafka.level=info
logger.state.name=state.change.logger
logger.state.level=warn
EOF
    for n in $(seq 1 $NODES); do
        mkdir -p "$DIR/node$n/data"
        {
            echo "port=$(free_port)"
            echo "controller=$(free_port)"
            [ "$SASL" = 1 ] && echo "sasl=$(free_port)"
        } >"$DIR/node$n/ports"
        voters+="${voters:+,}$n@127.0.0.1:$(node_port "$n" controller)"
    done
    if [ "$SASL" = 1 ]; then
        make_tls
        scram=(--add-scram "SCRAM-SHA-512=[name=kgw,password=$(cat "$DIR/tls/password")]")
    fi
    cluster_id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    # Three JVMs at once: formatting is JVM start-up, which is most of a start.
    local fpids=()
    for n in $(seq 1 $NODES); do
        write_node_config "$n" "$voters"
        java -cp "$cp" -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
            -Dkafka.logs.dir="$DIR/node$n" kafka.tools.StorageTool format \
            -t "$cluster_id" -c "$DIR/node$n/server.properties" "${scram[@]}" \
            >"$DIR/node$n/format.log" 2>&1 &
        fpids+=($!)
    done
    for n in $(seq 1 $NODES); do
        wait "${fpids[$((n - 1))]}" || {
            cat "$DIR/node$n/format.log" >&2
            die "StorageTool format failed for node $n"
        }
    done
    for n in $(seq 1 $NODES); do java_node "$n"; done
    for n in $(seq 1 $NODES); do wait_node_ready "$n"; done
    {
        echo "KGW_TEST_BROKERS=$(bootstrap)"
        echo "KGW_KAFKA_DIR=$DIR"
        if [ "$SASL" = 1 ]; then
            local s list=()
            for s in $(seq 1 $NODES); do list+=("127.0.0.1:$(node_port "$s" sasl)"); done
            echo "KGW_TEST_SASL_BROKERS=$(
                IFS=,
                echo "${list[*]}"
            )"
            echo "KGW_TEST_CA=$DIR/tls/ca.pem"
            echo "KGW_TEST_SASL_USER=kgw"
            echo "KGW_TEST_SASL_PASSWORD_FILE=$DIR/tls/password"
        fi
    } >"$DIR/cluster.env"
    echo "kafka-cluster: Apache Kafka $(kafka_version) up in $((SECONDS - t0)) s, data in $DIR" >&2
    bootstrap
}

kafka_version() {
    sed -n 's/.*<kafka.version>\(.*\)<\/kafka.version>.*/\1/p' "$POM"
}

# stop_node N SIGNAL: signals node N and waits (30 s, then SIGKILL) for it to exit.
stop_node() {
    local n=$1 sig=${2:-TERM} pid i
    pid=$(node_pid "$n") || return 0
    [ -n "$pid" ] || return 0
    kill -"$sig" "$pid" 2>/dev/null || return 0
    case $sig in STOP | SIGSTOP | CONT | SIGCONT) return 0 ;; esac
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
    local n
    [ -d "$DIR" ] || return 0
    for n in $(seq 1 $NODES); do
        # A stopped (SIGSTOP) node cannot act on SIGTERM until it runs again.
        if [ -f "$DIR/node$n/pid" ]; then kill -CONT "$(node_pid "$n")" 2>/dev/null || true; fi
        stop_node "$n" TERM &
    done
    wait
    case $DIR in /tmp/* | "${TMPDIR:-/tmp}"/* | */build/*) rm -rf "$DIR" ;; *) rm -rf "${DIR:?}"/node* "${DIR:?}"/tls "$DIR/cluster.env" ;; esac
}

cmd_status() {
    local n rc=0 state
    [ -f "$DIR/cluster.env" ] || die "no cluster in $DIR"
    for n in $(seq 1 $NODES); do
        if node_alive "$n"; then state="up pid $(node_pid "$n")"; else
            state=down
            rc=1
        fi
        echo "node $n 127.0.0.1:$(node_port "$n" port) $state"
    done
    return $rc
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    local args=()
    while [ $# -gt 0 ]; do
        case $1 in
        --dir)
            DIR=${2:?--dir needs a directory}
            shift 2
            ;;
        --sasl)
            SASL=1
            shift
            ;;
        *)
            args+=("$1")
            shift
            ;;
        esac
    done
    DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
    [ -f "$DIR/node1/ports" ] && grep -q '^sasl=' "$DIR/node1/ports" && SASL=1
    case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env)
        [ -f "$DIR/cluster.env" ] || die "no cluster in $DIR (run: $0 start)"
        cat "$DIR/cluster.env"
        ;;
    node-stop) stop_node "${args[0]:?node-stop N [SIGNAL]}" "${args[1]:-TERM}" ;;
    node-start)
        node_alive "${args[0]:?node-start N}" && die "node ${args[0]} is running"
        java_node "${args[0]}"
        wait_node_ready "${args[0]}"
        ;;
    node-pid) node_pid "${args[0]:?node-pid N}" ;;
    tool)
        [ -f "$DIR/classpath" ] || die "no cluster in $DIR"
        exec java -Xmx256m -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
            -Dkafka.logs.dir="$DIR" -cp "$(cat "$DIR/classpath")" "${args[@]}"
        ;;
    deps) deps ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
