#!/usr/bin/env bash
# Real Kafka over its SASL_SSL listener (bin/kafka-cluster.sh --sasl: a CA and
# broker certificate made by openssl, user kgw with SCRAM-SHA-512 credentials
# created at format time and a PLAIN login). Checks:
#   - kgw-producer produces through SASL_SSL with PLAIN, the TLS certificate
#     verified against the test CA;
#   - kgw-consumer consumes through it, and its dead-letter producer writes
#     the records the receiver refuses through it too;
#   - SCRAM-SHA-512 is refused: librdkafka 2.0.2 (Debian bookworm) computes a
#     client-final message Kafka 4.x rejects (fixed in librdkafka 2.6.1,
#     confluentinc/librdkafka#4895), while Kafka's Java client logs in with the
#     same user; so kgw on bookworm must use PLAIN over TLS against Kafka 4;
#   - a wrong password is answered the documented way: /ready 503 with its
#     reason, /produce 504 after message.timeout.ms, an _AUTHENTICATION warning
#     in the log; the consumer keeps retrying (an authentication failure is
#     not fatal in librdkafka) and delivers and commits nothing;
#   - the password appears in no log, at debug level with librdkafka's
#     security and broker debugging on.
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"
real_kafka_only "the real broker's SASL_SSL listener"
if [ -z "${KGW_TEST_SASL_BROKERS:-}" ]; then
    note "skip: the cluster has no SASL_SSL listener (bin/kafka-cluster.sh start --sasl)"
    exit 0
fi
# shellcheck source=tests/lib/producer.sh
source "$ROOT/tests/lib/producer.sh"
# shellcheck source=tests/lib/consumer.sh
source "$ROOT/tests/lib/consumer.sh"
# shellcheck source=tests/lib/load.sh
source "$ROOT/tests/lib/load.sh"

BOOTSTRAP=$KGW_TEST_BROKERS # plaintext: topic setup and reading back
SASL=$KGW_TEST_SASL_BROKERS
PASSWORD=$(cat "$KGW_TEST_SASL_PASSWORD_FILE")
T=ks-$RUN_ID
DLQ=$T-dlq
N=40
create_topic "$T" 3
create_topic "$DLQ" 1
printf 'wrong-%s\n' "$RANDOM$RANDOM" >"$TMP/wrong-password"

# kafka_auth MECHANISM PASSWORD_FILE: kgw's Kafka security flags.
kafka_auth() {
    printf '%s\n' --kafka-security-protocol sasl_ssl --kafka-sasl-mechanism "$1" \
        --kafka-sasl-username "$KGW_TEST_SASL_USER" --kafka-sasl-password-file "$2" \
        --kafka-ca-file "$KGW_TEST_CA"
}
mapfile -t PLAIN_AUTH < <(kafka_auth PLAIN "$KGW_TEST_SASL_PASSWORD_FILE")
mapfile -t SCRAM_AUTH < <(kafka_auth SCRAM-SHA-512 "$KGW_TEST_SASL_PASSWORD_FILE")
mapfile -t WRONG_AUTH < <(kafka_auth PLAIN "$TMP/wrong-password")
DEBUG=(--log-level debug -X "debug=security,broker")

# 1. kgw-producer through SASL_SSL with PLAIN.
BOOTSTRAP=$SASL PRODUCER_N=-plain start_producer "${PLAIN_AUTH[@]}" "${DEBUG[@]}"
PLAIN_PRODUCER=$PRODUCER_PID
check "plain: ready through SASL_SSL" wait_until 30 status_is "$URL/ready" 200
ok_count=0
for i in $(seq 1 "$N"); do
    if ((i % 10 == 0)); then
        body="{\"topic\":\"$T\",\"key\":\"k$i\",\"payload\":{\"i\":$i,\"dead\":true}}"
    else
        body="{\"topic\":\"$T\",\"key\":\"k$i\",\"payload\":{\"i\":$i}}"
    fi
    r=$(post /produce "$body")
    [ "$(status_of "$r")" != 200 ] || ok_count=$((ok_count + 1))
done
check_eq "plain: $N /produce answered 200 through SASL_SSL" "$N" "$ok_count"
r=$(post /produce "{\"topic\":\"$T\",\"messages\":[{\"key\":\"b1\",\"payload\":{\"i\":101}},{\"key\":\"b2\",\"payload\":{\"i\":102}}]}")
check_eq "plain: a batch answered 200 through SASL_SSL" 200 "$(status_of "$r")"
check_eq "plain: the records are in Kafka (read over plaintext)" $((N + 2)) "$(kafka_count "$T")"
PLAIN_RSS=$(rss_kb "$PLAIN_PRODUCER")
stop_pid "$PLAIN_PRODUCER"

# 2. kgw-consumer through SASL_SSL; records with "dead" are refused (400) by
# the receiver and go to the dead-letter topic through the same listener.
start_receiver recv --fail-match '"dead"' --fail-match-status 400
BOOTSTRAP=$SASL start_consumer c-plain -topic "$T" -group "g-$T" -dlq-topic "$DLQ" -retries 0 \
    -max-messages $((N + 2)) "${PLAIN_AUTH[@]}" "${DEBUG[@]}"
C=$CONSUMER_PID
check "plain: consumer processed every record and exited" wait_until 90 bash -c "! kill -0 $C 2>/dev/null"
wait "$C" 2>/dev/null && rc=0 || rc=$?
check_eq "plain: consumer exit status" 0 "$rc"
check_eq "plain: delivered through SASL_SSL" $((N + 2 - N / 10)) "$(recv_ids "$RECV_LOG" | sort -u | wc -l)"
check_eq "plain: dead letters written through SASL_SSL" $((N / 10)) "$(kafka_count "$DLQ")"
check "plain: dead letters carry the original value" \
    bash -c "kcat -C -b '$BOOTSTRAP' -t '$DLQ' -e -q -f '%s\n' | grep -c '\"dead\":true' | grep -qx $((N / 10))"
check_eq "plain: offsets committed through SASL_SSL" $((N + 2)) \
    "$(committed_sum "g-$T" "$T" 3)"

# 3. SCRAM-SHA-512: refused by Kafka 4.x for librdkafka 2.0.2.
BOOTSTRAP=$SASL PRODUCER_N=-scram start_producer "${SCRAM_AUTH[@]}" "${DEBUG[@]}" -X message.timeout.ms=5000
SCRAM_PRODUCER=$PRODUCER_PID
check "scram: _AUTHENTICATION logged" wait_until 30 grep -q 'error=_AUTHENTICATION' "$TMP/producer-scram.err"
check "scram: /ready 503" wait_until 20 status_is "$URL/ready" 503
r=$(post /produce "{\"topic\":\"$T\",\"payload\":{\"scram\":1}}")
check_eq "scram: /produce answered 504 after message.timeout.ms" 504 "$(status_of "$r")"
note "scram: $(grep -m1 -o 'SASL authentication error: [^(]*' "$TMP/producer-scram.err" || true)"
stop_pid "$SCRAM_PRODUCER"
java_says=$(
    cat >"$TMP/scram.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KGW_TEST_SASL_USER" password="$PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$KGW_TEST_CA
EOF
    "$ROOT/bin/kafka-cluster.sh" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$SASL" \
        --command-config "$TMP/scram.properties" --describe --topic "$T" 2>&1 | grep -c 'Partition: ' || true
)
check_eq "scram: Kafka's Java client logs in with the same SCRAM user" 3 "$java_says"

# 4. A wrong password.
BOOTSTRAP=$SASL PRODUCER_N=-wrong start_producer "${WRONG_AUTH[@]}" "${DEBUG[@]}" -X message.timeout.ms=5000
WRONG_PRODUCER=$PRODUCER_PID
check "wrong password: _AUTHENTICATION logged" \
    wait_until 30 grep -q 'error=_AUTHENTICATION.*Invalid username or password' "$TMP/producer-wrong.err"
check "wrong password: /ready 503" wait_until 20 status_is "$URL/ready" 503
note "wrong password: /ready says $(curl -s --max-time 5 "$URL/ready")"
r=$(post /produce "{\"topic\":\"$T\",\"payload\":{\"wrong\":1}}")
check_eq "wrong password: /produce answered 504 after message.timeout.ms" 504 "$(status_of "$r")"
check "wrong password: /health stays 200" status_is "$URL/health" 200
stop_pid "$WRONG_PRODUCER"
before=$(recv_stat "$RECV_PORT" requests)
BOOTSTRAP=$SASL start_consumer c-wrong -topic "$T" -group "g-wrong-$T" "${WRONG_AUTH[@]}" "${DEBUG[@]}"
C=$CONSUMER_PID
check "wrong password: consumer logs _AUTHENTICATION" \
    wait_until 30 grep -q 'error=_AUTHENTICATION' "$TMP/c-wrong.err"
check "wrong password: consumer keeps running (retries)" alive "$C"
check_eq "wrong password: consumer delivered nothing" "$before" "$(recv_stat "$RECV_PORT" requests)"
check_eq "wrong password: consumer committed nothing" 0 "$(committed_sum "g-wrong-$T" "$T" 3)"
term_wait "$C"
check_eq "wrong password: consumer exits 0 on SIGTERM" 0 "$EXIT_CODE"

# 5. The passwords never appear in any log.
logs=("$TMP"/producer-*.err "$TMP"/producer-*.out "$TMP"/c-*.err "$TMP"/c-*.out)
check "debug logging was on (librdkafka security lines logged)" grep -qi 'sasl' "$TMP/c-plain.err"
absent_from() {
    local secret=$1
    shift
    ! grep -qF -- "$secret" "$@"
}
check "the SASL password appears in no log (${#logs[@]} files)" absent_from "$PASSWORD" "${logs[@]}"
check "the wrong password appears in no log" absent_from "$(cat "$TMP/wrong-password")" "${logs[@]}"
fault_row "kafka: SASL_SSL PLAIN produce, consume, dead letters" $((N + 2)) 0 0 \
    "$PLAIN_RSS" "SCRAM-SHA-512 refused (librdkafka 2.0.2), wrong password 503/504"
finish
