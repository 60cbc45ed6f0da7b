/*
 * count: how many records a topic holds, from its watermarks, without reading
 * them. Prints the sum of high watermarks (every record ever appended, exact
 * even when librdkafka's mock cluster has dropped old data past its ~5 MiB per
 * partition) and the sum of low watermarks (the log start offsets: non-zero
 * means data was dropped, so a consumer would see fewer records).
 *
 * Threads: the main thread only; librdkafka runs its own.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/kgw_config.h"
#include "common/kgw_kafka.h"
#include "common/kgw_log.h"

typedef struct {
    char *brokers;
    char *topic;
    double timeout_s;
} count_config_t;

static const kgw_option_t options[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, offsetof(count_config_t, brokers), NULL, NULL, 0, 0,
     "LIST", "bootstrap servers (required)"},
    {"topic", NULL, 0, KGW_OPT_STR, offsetof(count_config_t, topic), NULL, NULL, 0, 0, "NAME",
     "topic to count (required)"},
    {"timeout", NULL, 0, KGW_OPT_DOUBLE, offsetof(count_config_t, timeout_s), "20", NULL, 1, 3600,
     "SEC", "give up after this long"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "count",
    .usage = "--brokers LIST --topic NAME",
    .description = "Counts a topic's records from its watermarks. Prints\n"
                   "partitions=N high=SUM low=SUM records=HIGH-LOW on stdout; low > 0 means\n"
                   "the mock cluster dropped old records.",
    .opts = options,
};

/* Returns the topic's partition count, or -1 when metadata did not come in time. */
static int partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                           size_t errstr_size)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int parts = -1;
    if (!rkt) {
        snprintf(errstr, errstr_size, "rd_kafka_topic_new: %s",
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    /* Retry: a new topic may report LEADER_NOT_AVAILABLE for a moment. */
    for (int waited_ms = 0; parts < 0 && waited_ms < timeout_ms; waited_ms += 200) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        if (err) {
            snprintf(errstr, errstr_size, "metadata: %s", rd_kafka_err2str(err));
        } else if (md->topic_cnt != 1 || md->topics[0].err) {
            snprintf(errstr, errstr_size, "metadata for %s: %s", topic,
                     md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "no topic");
        } else {
            parts = md->topics[0].partition_cnt;
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        if (parts < 0)
            usleep(200 * 1000);
    }
    rd_kafka_topic_destroy(rkt);
    return parts;
}

int main(int argc, char **argv)
{
    count_config_t cfg = {0};
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    char errstr[512];
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
    static const char *const defaults[] = {"client.id", "kgw-bench-count", NULL};
    conf = kgw_kafka_conf_new(cfg.brokers, defaults, NULL, errstr, sizeof(errstr));
    if (!conf) {
        fprintf(stderr, "%s: %s\n", cli.prog, errstr);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s: rd_kafka_new: %s\n", cli.prog, errstr);
        goto out;
    }
    conf = NULL; /* rd_kafka_new() took it */

    int timeout_ms = (int)(cfg.timeout_s * 1000);
    int parts = partition_count(rk, cfg.topic, timeout_ms, errstr, sizeof(errstr));
    if (parts < 0) {
        fprintf(stderr, "%s: %s\n", cli.prog, errstr);
        goto out;
    }
    int64_t high_sum = 0, low_sum = 0;
    for (int p = 0; p < parts; p++) {
        int64_t low = 0, high = 0;
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, cfg.topic, p, &low, &high, timeout_ms);
        if (err) {
            fprintf(stderr, "%s: watermarks of %s [%d]: %s\n", cli.prog, cfg.topic, p,
                    rd_kafka_err2str(err));
            goto out;
        }
        high_sum += high;
        low_sum += low;
    }
    printf("partitions=%d high=%lld low=%lld records=%lld\n", parts, (long long)high_sum,
           (long long)low_sum, (long long)(high_sum - low_sum));
    exit_code = 0;
out:
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
