/*
 * bare_producer: the batch-produce ceiling, and the benchmark's preloader. A
 * bare librdkafka producer (acks=all, enable.idempotence=true) that pushes
 * --count records of --size bytes to a topic as fast as it can and prints
 * records/s once every delivery report is in. Each value is one JSON object
 * (so a consumer forwards it as JSON); keys are "k<n>", which spreads records
 * evenly over the partitions, as the mock's ~5 MiB per partition requires.
 * With --outstanding N it is also the single-record produce section's Kafka
 * bound: N records in flight, as N keep-alive clients of kgw-producer keep N
 * requests in flight, with neither HTTP nor JSON. With --group-size M as well
 * it is the batch section's bound: N groups of M records in flight, each
 * group waiting for all M of its reports before its next M are produced, as N
 * clients posting M-record bodies each wait for their whole answer.
 *
 * Threads: the main thread produces and serves delivery reports
 * (rd_kafka_poll), so the counters need no locks; librdkafka runs its own.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "common/kgw_config.h"
#include "common/kgw_kafka.h"
#include "common/kgw_log.h"

typedef struct {
    char *brokers;
    char *topic;
    long count;
    long size;
    long outstanding;
    long group_size;
    double timeout_s;
    kgw_strlist_t xprops;
} bare_producer_config_t;

static const kgw_option_t options[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, offsetof(bare_producer_config_t, brokers), NULL, NULL, 0,
     0, "LIST", "bootstrap servers (required)"},
    {"topic", NULL, 0, KGW_OPT_STR, offsetof(bare_producer_config_t, topic), NULL, NULL, 0, 0,
     "NAME", "topic to produce to (required)"},
    {"count", NULL, 0, KGW_OPT_INT, offsetof(bare_producer_config_t, count), "100000", NULL, 1,
     1000000000, "N", "records to produce"},
    {"size", NULL, 0, KGW_OPT_INT, offsetof(bare_producer_config_t, size), "1024", NULL, 16,
     1000000, "BYTES", "value size (a JSON object of exactly this many bytes)"},
    {"outstanding", NULL, 0, KGW_OPT_INT, offsetof(bare_producer_config_t, outstanding), "0", NULL,
     0, 1000000, "N",
     "closed loop: at most N records awaiting their delivery report, a new one per report, "
     "like N HTTP clients that each wait for their answer (0: no limit)"},
    {"group-size", NULL, 0, KGW_OPT_INT, offsetof(bare_producer_config_t, group_size), "1", NULL, 1,
     100000, "M",
     "with --outstanding N: N groups of M records in flight; a group produces its next M only "
     "after all M of its reports, like N clients posting M-record bodies"},
    {"timeout", NULL, 0, KGW_OPT_DOUBLE, offsetof(bare_producer_config_t, timeout_s), "120", NULL,
     1, 86400, "SEC", "give up waiting for delivery reports after this long"},
    {"property", NULL, 'X', KGW_OPT_LIST, offsetof(bare_producer_config_t, xprops), NULL, NULL, 0,
     0, "KEY=VALUE", "librdkafka property (repeatable)"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "bare_producer",
    .usage = "--brokers LIST --topic NAME [--count N] [--size BYTES] [--outstanding N]\n"
             "       [--group-size M] [-X key=value ...]",
    .description = "The batch-produce ceiling: a bare librdkafka producer (acks=all, idempotent)\n"
                   "pushing --count records as fast as it can. Prints records=N delivered=N\n"
                   "failed=N elapsed_s=S rate_per_s=R on stdout after the last delivery report.",
    .opts = options,
};

typedef struct {
    long delivered;
    long failed;
    rd_kafka_resp_err_t first_err;
    long *group_pending; /* per group: reports still awaited (--group-size > 1) */
    long *ready;         /* stack of groups whose every report is in */
    long nready;
} counts_t;

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    counts_t *counts = opaque;
    long g = (long)(intptr_t)rkm->_private;
    if (counts->group_pending && g >= 0) {
        if (--counts->group_pending[g] == 0)
            counts->ready[counts->nready++] = g;
    }
    if (rkm->err) {
        if (!counts->failed)
            counts->first_err = rkm->err;
        counts->failed++;
    } else {
        counts->delivered++;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON object of exactly `size` bytes: {"pad":"xxx..."}. Caller frees. */
static char *make_value(size_t size)
{
    static const char head[] = "{\"pad\":\"";
    static const char tail[] = "\"}";
    char *value = malloc(size);
    if (!value)
        return NULL;
    memset(value, 'x', size);
    memcpy(value, head, sizeof(head) - 1);
    memcpy(value + size - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    return value;
}

/* As a bound, the closed loop is compared with a warmed-up kgw-producer: one record to
 * each partition first (connections to every leader, the idempotent producer's id), not
 * counted. Returns 0, or -1 with a message on stderr. */
static int warm_up(rd_kafka_t *rk, const char *topic, const char *value, size_t size,
                   double timeout_s)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err =
        rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__FAIL;
    int parts = 0;
    if (!err && md) {
        parts = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    for (int i = 0; i < parts && !err; i++)
        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE((void *)value, size),
                                RD_KAFKA_V_OPAQUE((void *)(intptr_t)-1), RD_KAFKA_V_END);
    if (!err)
        err = rd_kafka_flush(rk, (int)(timeout_s * 1000));
    if (!err && parts == 0)
        err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (err)
        fprintf(stderr, "bare_producer: warm-up failed: %s\n", rd_kafka_err2str(err));
    return err ? -1 : 0;
}

/* Record n: key "k<n>", the shared value; opaque goes to its delivery report. */
static rd_kafka_resp_err_t produce_one(rd_kafka_t *rk, const char *topic, const char *value,
                                       size_t size, long n, void *opaque)
{
    char key[32];
    int key_len = snprintf(key, sizeof(key), "k%ld", n);
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, (size_t)key_len),
                             RD_KAFKA_V_VALUE((void *)value, size), RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}

int main(int argc, char **argv)
{
    bare_producer_config_t cfg = {0};
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    char *value = NULL;
    char errstr[512];
    counts_t counts = {0};
    int exit_code = 1;

    kgw_log_set_program(cli.prog);
    int rc = kgw_config_parse(&cli, &cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP || rc == KGW_CONFIG_VERSION) {
        kgw_config_usage(&cli, stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_ERROR || !cfg.brokers || !cfg.topic) {
        fprintf(stderr, "%s: %s (see --help)\n", cli.prog,
                rc == KGW_CONFIG_ERROR ? errstr : "--brokers and --topic are required");
        exit_code = 2;
        goto out;
    }

    static const char *const defaults[] = {
        "acks", "all", "enable.idempotence", "true", "client.id", "bare_producer", NULL};
    conf = kgw_kafka_conf_new(cfg.brokers, defaults, &cfg.xprops, errstr, sizeof(errstr));
    if (!conf) {
        fprintf(stderr, "%s: %s\n", cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, &counts);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s: rd_kafka_new: %s\n", cli.prog, errstr);
        goto out; /* conf is still ours on failure */
    }
    conf = NULL; /* rd_kafka_new() took it */

    value = make_value((size_t)cfg.size);
    if (!value) {
        fprintf(stderr, "%s: out of memory\n", cli.prog);
        goto out;
    }

    long produced = 0;
    long queue_full = 0;
    rd_kafka_resp_err_t enqueue_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cfg.outstanding && cfg.group_size > 1) {
        counts.group_pending = calloc((size_t)cfg.outstanding, sizeof(long));
        counts.ready = calloc((size_t)cfg.outstanding, sizeof(long));
        if (!counts.group_pending || !counts.ready) {
            fprintf(stderr, "%s: out of memory\n", cli.prog);
            goto out;
        }
        for (long g = 0; g < cfg.outstanding; g++)
            counts.ready[counts.nready++] = g;
    }
    if (cfg.outstanding && warm_up(rk, cfg.topic, value, (size_t)cfg.size, cfg.timeout_s) != 0)
        goto out;
    counts.delivered = counts.failed = 0;
    double t0 = now_s();
    while (counts.group_pending && produced < cfg.count) {
        /* Grouped closed loop: a group that has all its reports produces its next
         * group_size records at once, as a client posts its next body. */
        if (!counts.nready) {
            rd_kafka_poll(rk, 1000);
            continue;
        }
        long g = counts.ready[--counts.nready];
        /* One count held while the group is filled, so a report served by the
         * backpressure poll below cannot mark it ready half-way. */
        counts.group_pending[g] = 1;
        for (long i = 0; i < cfg.group_size && produced < cfg.count && !enqueue_err;) {
            rd_kafka_resp_err_t err =
                produce_one(rk, cfg.topic, value, (size_t)cfg.size, produced, (void *)(intptr_t)g);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                queue_full++;
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (err) {
                enqueue_err = err;
                break;
            }
            counts.group_pending[g]++;
            produced++;
            i++;
        }
        if (--counts.group_pending[g] == 0)
            counts.ready[counts.nready++] = g;
        if (enqueue_err)
            break;
        rd_kafka_poll(rk, 0);
    }
    while (!counts.group_pending && produced < cfg.count) {
        /* Closed loop: block until a delivery report frees a slot. */
        if (cfg.outstanding && produced - counts.delivered - counts.failed >= cfg.outstanding) {
            rd_kafka_poll(rk, 1000);
            continue;
        }
        rd_kafka_resp_err_t err =
            produce_one(rk, cfg.topic, value, (size_t)cfg.size, produced, NULL);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* Backpressure: serve delivery reports until there is room. */
            queue_full++;
            rd_kafka_poll(rk, 10);
            continue;
        }
        if (err) {
            enqueue_err = err;
            break;
        }
        produced++;
        if ((produced & 1023) == 0 || cfg.outstanding)
            rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t flush_err = rd_kafka_flush(rk, (int)(cfg.timeout_s * 1000));
    double elapsed_s = now_s() - t0;
    printf("records=%ld delivered=%ld failed=%ld queue_full=%ld elapsed_s=%.6f "
           "rate_per_s=%.1f\n",
           produced, counts.delivered, counts.failed, queue_full, elapsed_s,
           elapsed_s > 0 ? (double)counts.delivered / elapsed_s : 0.0);
    if (enqueue_err)
        fprintf(stderr, "%s: enqueue failed: %s\n", cli.prog, rd_kafka_err2str(enqueue_err));
    if (counts.failed)
        fprintf(stderr, "%s: %ld deliveries failed, first: %s\n", cli.prog, counts.failed,
                rd_kafka_err2str(counts.first_err));
    if (flush_err)
        fprintf(stderr, "%s: flush: %s\n", cli.prog, rd_kafka_err2str(flush_err));
    exit_code = (!enqueue_err && !flush_err && counts.delivered == cfg.count) ? 0 : 1;
out:
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    free(value);
    free(counts.group_pending);
    free(counts.ready);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
