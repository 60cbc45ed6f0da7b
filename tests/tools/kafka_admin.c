/*
 * kafka-admin: creates or deletes topics through librdkafka's Admin API, for
 * the tests that run against a real cluster (auto-create is off there):
 *
 *   kafka-admin -b BROKERS create TOPIC:PARTITIONS[:REPLICAS] ...
 *   kafka-admin -b BROKERS delete TOPIC ...
 *
 * `create` returns once every partition of every topic has a leader in the
 * metadata of the broker it asked, so a produce that follows finds it. A topic
 * that already exists counts as created. Replicas default to the number of
 * brokers, at most 3. A JVM-based kafka-topics would take seconds per call.
 * Exit 0, or 1 with one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define TIMEOUT_MS 30000

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kafka-admin -b BROKERS [-X key=value ...] create TOPIC:PARTITIONS[:REPLICAS] ...\n"
        "       kafka-admin -b BROKERS [-X key=value ...] delete TOPIC ...\n");
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int parse_spec(const char *spec, char *name, size_t name_size, int *parts, int *replicas)
{
    const char *colon = strchr(spec, ':');
    char *end;
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

    if (len == 0 || len >= name_size)
        return -1;
    memcpy(name, spec, len);
    name[len] = '\0';
    *parts = 1;
    *replicas = -1;
    if (!colon)
        return 0;
    *parts = (int)strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *parts < 1)
        return -1;
    if (*end == ':') {
        const char *r = end + 1;
        *replicas = (int)strtol(r, &end, 10);
        if (end == r || *replicas < 1)
            return -1;
    }
    return *end == '\0' ? 0 : -1;
}

/* The number of brokers the cluster reports, or -1. */
static int broker_count(rd_kafka_t *rk)
{
    const rd_kafka_metadata_t *md = NULL;
    int n;

    if (rd_kafka_metadata(rk, 0, NULL, &md, TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    n = md->broker_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

/* True once TOPIC has PARTS partitions, each with a leader. */
static int topic_ready(rd_kafka_t *rk, const char *topic, int parts)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int ready = 0;

    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topics[0].partition_cnt == parts) {
            ready = 1;
            for (int i = 0; i < parts; i++)
                if (md->topics[0].partitions[i].leader < 0 || md->topics[0].partitions[i].err)
                    ready = 0;
        }
        rd_kafka_metadata_destroy(md);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return ready;
}

static int run_admin(rd_kafka_t *rk, int create, char **specs, int n)
{
    rd_kafka_NewTopic_t **newt = calloc((size_t)n, sizeof(*newt));
    rd_kafka_DeleteTopic_t **delt = calloc((size_t)n, sizeof(*delt));
    int *parts = calloc((size_t)n, sizeof(*parts));
    char(*names)[256] = calloc((size_t)n, sizeof(*names));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = NULL;
    rd_kafka_event_t *ev = NULL;
    char errstr[512];
    int rc = 1, brokers = 3;

    if (!newt || !delt || !parts || !names || !q) {
        fprintf(stderr, "kafka-admin: out of memory\n");
        goto out;
    }
    if (create && (brokers = broker_count(rk)) < 1) {
        fprintf(stderr, "kafka-admin: no metadata from the cluster within %d ms\n", TIMEOUT_MS);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        int replicas = -1;
        if (parse_spec(specs[i], names[i], sizeof(names[i]), &parts[i], &replicas) != 0) {
            fprintf(stderr, "kafka-admin: bad topic spec '%s' (want NAME:PARTITIONS[:REPLICAS])\n",
                    specs[i]);
            goto out;
        }
        if (!create) {
            delt[i] = rd_kafka_DeleteTopic_new(names[i]);
            continue;
        }
        if (replicas < 0)
            replicas = brokers < 3 ? brokers : 3;
        newt[i] = rd_kafka_NewTopic_new(names[i], parts[i], replicas, errstr, sizeof(errstr));
        if (!newt[i]) {
            fprintf(stderr, "kafka-admin: %s: %s\n", names[i], errstr);
            goto out;
        }
    }
    opts = rd_kafka_AdminOptions_new(rk, create ? RD_KAFKA_ADMIN_OP_CREATETOPICS
                                                : RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, TIMEOUT_MS, errstr, sizeof(errstr));
    rd_kafka_AdminOptions_set_request_timeout(opts, TIMEOUT_MS, errstr, sizeof(errstr));
    if (create)
        rd_kafka_CreateTopics(rk, newt, (size_t)n, opts, q);
    else
        rd_kafka_DeleteTopics(rk, delt, (size_t)n, opts, q);
    ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);
    if (!ev) {
        fprintf(stderr, "kafka-admin: no answer within %d ms\n", TIMEOUT_MS + 5000);
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "kafka-admin: %s\n", rd_kafka_event_error_string(ev));
        goto out;
    }
    {
        const rd_kafka_topic_result_t **res;
        size_t cnt;
        if (create)
            res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        else
            res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
            if (err && !(create && err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
                fprintf(stderr, "kafka-admin: %s: %s\n", rd_kafka_topic_result_name(res[i]),
                        rd_kafka_topic_result_error_string(res[i])
                            ? rd_kafka_topic_result_error_string(res[i])
                            : rd_kafka_err2str(err));
                goto out;
            }
        }
    }
    if (create) {
        long deadline = now_ms() + TIMEOUT_MS;
        for (int i = 0; i < n; i++) {
            while (!topic_ready(rk, names[i], parts[i])) {
                if (now_ms() > deadline) {
                    fprintf(stderr,
                            "kafka-admin: %s has no leader for every partition after %d ms\n",
                            names[i], TIMEOUT_MS);
                    goto out;
                }
                usleep(50 * 1000);
            }
        }
    }
    rc = 0;
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    for (int i = 0; newt && delt && i < n; i++) {
        if (newt[i])
            rd_kafka_NewTopic_destroy(newt[i]);
        if (delt[i])
            rd_kafka_DeleteTopic_destroy(delt[i]);
    }
    if (q)
        rd_kafka_queue_destroy(q);
    free(newt);
    free(delt);
    free(parts);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    int rc = 1, opt, create;

    while ((opt = getopt(argc, argv, "b:X:h")) != -1) {
        switch (opt) {
        case 'b':
            brokers = optarg;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "kafka-admin: -X wants key=value\n");
                goto out;
            }
            *eq = '\0';
            if (rd_kafka_conf_set(conf, optarg, eq + 1, errstr, sizeof(errstr)) !=
                RD_KAFKA_CONF_OK) {
                fprintf(stderr, "kafka-admin: %s\n", errstr);
                goto out;
            }
            break;
        }
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            rc = 2;
            goto out;
        }
    }
    if (!brokers || argc - optind < 2 ||
        (strcmp(argv[optind], "create") != 0 && strcmp(argv[optind], "delete") != 0)) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    create = strcmp(argv[optind], "create") == 0;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka-admin: %s\n", errstr);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kafka-admin: %s\n", errstr);
        goto out;
    }
    conf = NULL; /* rd_kafka_new() took it */
    rc = run_admin(rk, create, argv + optind + 1, argc - optind - 1);
out:
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    return rc;
}
