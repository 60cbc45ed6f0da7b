/*
 * metaview: renders librdkafka cluster metadata as the REST Proxy's
 * metadata answers: v2 (GET /topics, /topics/{t}, /topics/{t}/partitions[/{p}])
 * and v3 (GET /v3/clusters[/{id}], /v3/clusters/{id}/topics[/{t}]). Pure: it
 * reads a struct rd_kafka_metadata and includes no network library, so unit
 * tests pass a hand-built one. Any thread; the metadata must not change
 * during a call.
 */
#ifndef PRODUCER_METAVIEW_H
#define PRODUCER_METAVIEW_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "producer/sbuf.h"

/* 1 when the caller may see (write) `topic`. */
typedef int(metaview_allow_fn)(const void *ctx, const char *topic);

typedef struct metaview {
    const struct rd_kafka_metadata *md; /* borrowed */
    const char *cluster_id;             /* borrowed; "" when the cluster has none */
    const char *base_url;               /* "http://host:port" for v3 links; borrowed */
    metaview_allow_fn *allow;           /* NULL: every topic */
    const void *allow_ctx;
} metaview_t;

typedef enum {
    METAVIEW_V2_TOPICS,     /* ["t1", ...] */
    METAVIEW_V2_TOPIC,      /* {"name", "configs", "partitions"} */
    METAVIEW_V2_PARTITIONS, /* [{"partition", "leader", "replicas"}] */
    METAVIEW_V2_PARTITION,  /* {"partition", "leader", "replicas"} */
    METAVIEW_V3_CLUSTERS,   /* KafkaClusterList */
    METAVIEW_V3_CLUSTER,    /* KafkaCluster */
    METAVIEW_V3_TOPICS,     /* KafkaTopicList */
    METAVIEW_V3_TOPIC,      /* KafkaTopic */
} metaview_kind_t;

#define METAVIEW_NO_TOPIC     (-1) /* unknown topic (404, REST code 40401) */
#define METAVIEW_NO_PARTITION (-2) /* unknown partition (404, 40402) */
#define METAVIEW_NO_CLUSTER   (-3) /* another cluster id (404) */
#define METAVIEW_REFUSED      (-4) /* a topic the caller may not see (403) */

/*
 * Renders `kind` into sb. `topic` (NUL-terminated) names the topic for the
 * per-topic kinds, `partition` the partition for METAVIEW_V2_PARTITION and
 * `cluster_id` the cluster asked for by v3 paths (NULL-able for
 * METAVIEW_V3_CLUSTERS). Returns 0, or one of the negative METAVIEW_* codes
 * (sb then holds nothing useful).
 */
int metaview_render(const metaview_t *v, metaview_kind_t kind, const char *cluster_id,
                    const char *topic, int32_t partition, sbuf_t *sb);

#endif
