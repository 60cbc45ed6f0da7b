/*
 * consumer_committed: prints a consumer group's committed offsets, one
 * "partition offset" line per partition (-1001 when none), for tests.
 *
 *   consumer_committed BROKERS GROUP TOPIC PARTITIONS
 *
 * Uses rd_kafka_committed() from a consumer that never subscribes, so it does
 * not join the group or disturb its members. Exit 0, or 1 on error.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char errstr[512];
    if (argc != 5) {
        fprintf(stderr, "usage: %s BROKERS GROUP TOPIC PARTITIONS\n", argv[0]);
        return 2;
    }
    char *end;
    long parts = strtol(argv[4], &end, 10);
    if (*end || parts < 1 || parts > 100000) {
        fprintf(stderr, "%s: bad partition count '%s'\n", argv[0], argv[4]);
        return 2;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "group.id", argv[2], errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr))) {
        fprintf(stderr, "%s: %s\n", argv[0], errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s: %s\n", argv[0], errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)parts);
    for (long p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, argv[3], (int32_t)p);
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, l, 10000);
    int rc = 0;
    if (err) {
        fprintf(stderr, "%s: %s\n", argv[0], rd_kafka_err2str(err));
        rc = 1;
    } else {
        for (int i = 0; i < l->cnt; i++)
            printf("%d %lld\n", (int)l->elems[i].partition, (long long)l->elems[i].offset);
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return rc;
}
