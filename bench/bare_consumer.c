/*
 * bare_consumer: the Kafka side of the forwarding ceiling. A bare librdkafka
 * consumer, in a group of its own with kgw-consumer's fetch settings, that
 * reads --count records of a topic from the beginning, touches each value's
 * bytes (as an encoder would), commits once at the end, and prints records/s.
 * Forwarding cannot be faster than this, nor than bare_curl: on real Kafka the
 * consumer section's ceiling is the smaller of the two.
 *
 * Threads: the main thread polls; librdkafka runs its own.
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
    char *group;
    long count;
    double timeout_s;
    kgw_strlist_t xprops;
} bare_consumer_config_t;

static const kgw_option_t options[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, offsetof(bare_consumer_config_t, brokers), NULL, NULL, 0,
     0, "LIST", "bootstrap servers (required)"},
    {"topic", NULL, 0, KGW_OPT_STR, offsetof(bare_consumer_config_t, topic), NULL, NULL, 0, 0,
     "NAME", "topic to read (required)"},
    {"group", NULL, 0, KGW_OPT_STR, offsetof(bare_consumer_config_t, group), "bare-consumer", NULL,
     0, 0, "ID", "consumer group (use a fresh one per run)"},
    {"count", NULL, 0, KGW_OPT_INT, offsetof(bare_consumer_config_t, count), "100000", NULL, 1,
     1000000000, "N", "records to read"},
    {"timeout", NULL, 0, KGW_OPT_DOUBLE, offsetof(bare_consumer_config_t, timeout_s), "120", NULL,
     1, 86400, "SEC", "give up after this long"},
    {"property", NULL, 'X', KGW_OPT_LIST, offsetof(bare_consumer_config_t, xprops), NULL, NULL, 0,
     0, "KEY=VALUE", "librdkafka property (repeatable)"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "bare_consumer",
    .usage = "--brokers LIST --topic NAME [--group ID] [--count N] [-X key=value ...]",
    .description = "The Kafka side of the forwarding ceiling: a bare librdkafka consumer.\n"
                   "Prints records=N elapsed_s=S rate_per_s=R on stdout; the clock starts at\n"
                   "the first record, so the group join is not counted.",
    .opts = options,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    bare_consumer_config_t cfg = {0};
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *subs = NULL;
    char errstr[512];
    int exit_code = 1;
    long got = 0;
    uint64_t sum = 0;
    double t0 = 0, t_last = 0, deadline;

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
    /* kgw-consumer's own fetch settings (consumer/source.c), so only HTTP differs. */
    static const char *const defaults[] = {"group.id",
                                           "bare-consumer",
                                           "auto.offset.reset",
                                           "earliest",
                                           "enable.auto.commit",
                                           "false",
                                           "enable.auto.offset.store",
                                           "false",
                                           "fetch.max.bytes",
                                           "1048576",
                                           "max.partition.fetch.bytes",
                                           "65536",
                                           "queued.max.messages.kbytes",
                                           "65536",
                                           "queued.min.messages",
                                           "1000000",
                                           "client.id",
                                           "bare_consumer",
                                           NULL};
    conf = kgw_kafka_conf_new(cfg.brokers, defaults, &cfg.xprops, errstr, sizeof(errstr));
    if (!conf || kgw_kafka_conf_set(conf, "group.id", cfg.group, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "%s: %s\n", cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s: rd_kafka_new: %s\n", cli.prog, errstr);
        goto out; /* conf is still ours on failure */
    }
    conf = NULL; /* rd_kafka_new() took it */
    rd_kafka_poll_set_consumer(rk);
    subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, cfg.topic, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(rk, subs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "%s: subscribe failed\n", cli.prog);
        goto out;
    }
    deadline = now_s() + cfg.timeout_s;
    while (got < cfg.count && now_s() < deadline) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 100);
        if (!rkm)
            continue;
        if (!rkm->err) {
            if (!got)
                t0 = now_s();
            /* Read every byte, as an encoder would, so the bound is not just a pointer walk. */
            const unsigned char *p = rkm->payload;
            for (size_t i = 0; i < rkm->len; i += 64)
                sum += p[i];
            got++;
            t_last = now_s();
        }
        rd_kafka_message_destroy(rkm);
    }
    rd_kafka_commit(rk, NULL, 0);
    printf("records=%ld elapsed_s=%.6f rate_per_s=%.1f checksum=%llu\n", got, t_last - t0,
           t_last > t0 ? (double)(got - 1) / (t_last - t0) : 0.0, (unsigned long long)sum);
    exit_code = got == cfg.count ? 0 : 1;
    if (exit_code)
        fprintf(stderr, "%s: read %ld of %ld records within %.0f s\n", cli.prog, got, cfg.count,
                cfg.timeout_s);
    rd_kafka_consumer_close(rk);
out:
    if (subs)
        rd_kafka_topic_partition_list_destroy(subs);
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
