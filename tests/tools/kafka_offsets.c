/*
 * kafka-offsets: prints, per partition of a topic, the low and high
 * watermarks and (with -g) the group's committed offset, then a total line:
 *
 *   partition 0 low 0 high 120 committed 120
 *   ...
 *   total low 0 high 720 committed 720 lag 0
 *
 * `committed` is -1 when the group has none for that partition; `lag` sums
 * high - max(committed, low) over partitions. Used by tests and bin/e2e.sh to
 * check counts (low must be 0 before trusting high as a count: the dev
 * cluster drops old data past ~5 MiB per partition) and that committed
 * offsets reached the end. Exit 0, or 1 on error with one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: kafka-offsets -b BROKERS -t TOPIC [-g GROUP] [-X key=value ...]\n");
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL, *group = NULL;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    int rc = 1, opt;

    while ((opt = getopt(argc, argv, "b:t:g:X:h")) != -1) {
        switch (opt) {
        case 'b':
            brokers = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'g':
            group = optarg;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "kafka-offsets: -X %s: expected key=value\n", optarg);
                goto out_usage;
            }
            *eq = '\0';
            if (rd_kafka_conf_set(conf, optarg, eq + 1, errstr, sizeof(errstr))) {
                fprintf(stderr, "kafka-offsets: %s\n", errstr);
                goto out_usage;
            }
            break;
        }
        case 'h':
            usage(stdout);
            rd_kafka_conf_destroy(conf);
            return 0;
        default:
            goto out_usage;
        }
    }
    if (!brokers || !topic || optind != argc)
        goto out_usage;

    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", group ? group : "kafka-offsets-unused", NULL, 0);
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kafka-offsets: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    conf = NULL;

    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "kafka-offsets: metadata for %s: %s\n", topic,
                rd_kafka_err2str(err             ? err
                                 : md->topic_cnt ? md->topics[0].err
                                                 : err));
        goto out;
    }
    int cnt = md->topics[0].partition_cnt;
    parts = rd_kafka_topic_partition_list_new(cnt);
    for (int i = 0; i < cnt; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id);
    if (group) {
        err = rd_kafka_committed(rk, parts, 10000);
        if (err) {
            fprintf(stderr, "kafka-offsets: committed offsets of group %s: %s\n", group,
                    rd_kafka_err2str(err));
            goto out;
        }
    }
    int64_t tlow = 0, thigh = 0, tcommitted = 0, tlag = 0;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t low, high;
        err = rd_kafka_query_watermark_offsets(rk, topic, p->partition, &low, &high, 10000);
        if (err) {
            fprintf(stderr, "kafka-offsets: watermarks of %s [%d]: %s\n", topic, p->partition,
                    rd_kafka_err2str(err));
            goto out;
        }
        int64_t committed = group && p->offset >= 0 ? p->offset : -1;
        printf("partition %d low %lld high %lld committed %lld\n", (int)p->partition,
               (long long)low, (long long)high, (long long)committed);
        int64_t from = committed > low ? committed : low;
        tlow += low;
        thigh += high;
        tcommitted += committed > 0 ? committed : 0;
        tlag += high > from ? high - from : 0;
    }
    printf("total low %lld high %lld committed %lld lag %lld\n", (long long)tlow, (long long)thigh,
           (long long)tcommitted, (long long)tlag);
    rc = 0;
out:
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return rc;
out_usage:
    usage(stderr);
    if (conf)
        rd_kafka_conf_destroy(conf);
    return 2;
}
