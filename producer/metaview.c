/*
 * metaview: see metaview.h. Shapes follow Confluent's REST Proxy: v2 lists
 * topic names and partitions with their leader and replicas; v3 wraps every
 * resource in {"kind", "metadata": {"self", "resource_name"}} with links
 * ("related") to sub-resources, as Confluent's does, although kgw serves
 * only the cluster and topic ones.
 */
#include "producer/metaview.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const rd_kafka_metadata_topic_t *find_topic(const metaview_t *v, const char *topic)
{
    for (int i = 0; i < v->md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &v->md->topics[i];
        if (!t->err && strcmp(t->topic, topic) == 0)
            return t;
    }
    return NULL;
}

static int visible(const metaview_t *v, const char *topic)
{
    return !v->allow || v->allow(v->allow_ctx, topic);
}

static void add_str(sbuf_t *sb, const char *s)
{
    sbuf_add_json_str(sb, s, strlen(s));
}

/* A JSON string formatted from fmt (links and resource names). */
static void __attribute__((format(printf, 2, 3))) add_strf(sbuf_t *sb, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    sbuf_add_json_str(sb, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int in_list(const int32_t *list, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (list[i] == id)
            return 1;
    return 0;
}

static void v2_partition(sbuf_t *sb, const rd_kafka_metadata_partition_t *p)
{
    sbuf_addf(sb, "{\"partition\":%d,\"leader\":%d,\"replicas\":[", (int)p->id, (int)p->leader);
    for (int r = 0; r < p->replica_cnt; r++)
        sbuf_addf(sb, "%s{\"broker\":%d,\"leader\":%s,\"in_sync\":%s}", r ? "," : "",
                  (int)p->replicas[r], p->replicas[r] == p->leader ? "true" : "false",
                  in_list(p->isrs, p->isr_cnt, p->replicas[r]) ? "true" : "false");
    sbuf_adds(sb, "]}");
}

static void v2_partitions(sbuf_t *sb, const rd_kafka_metadata_topic_t *t)
{
    sbuf_adds(sb, "[");
    for (int i = 0; i < t->partition_cnt; i++) {
        if (i)
            sbuf_adds(sb, ",");
        v2_partition(sb, &t->partitions[i]);
    }
    sbuf_adds(sb, "]");
}

/* {"related": "<base>/v3/clusters/<id><tail>"} */
static void v3_related(const metaview_t *v, sbuf_t *sb, const char *name, const char *tail)
{
    sbuf_addf(sb, ",\"%s\":{\"related\":", name);
    add_strf(sb, "%s/v3/clusters/%s%s", v->base_url, v->cluster_id, tail);
    sbuf_adds(sb, "}");
}

static void v3_cluster(const metaview_t *v, sbuf_t *sb)
{
    const char *id = v->cluster_id;
    sbuf_adds(sb, "{\"kind\":\"KafkaCluster\",\"metadata\":{\"self\":");
    add_strf(sb, "%s/v3/clusters/%s", v->base_url, id);
    sbuf_adds(sb, ",\"resource_name\":");
    add_strf(sb, "crn:///kafka=%s", id);
    sbuf_adds(sb, "},\"cluster_id\":");
    add_str(sb, id);
    char tail[64];
    snprintf(tail, sizeof(tail), "/brokers/%d", (int)v->md->orig_broker_id);
    v3_related(v, sb, "controller", tail);
    v3_related(v, sb, "acls", "/acls");
    v3_related(v, sb, "brokers", "/brokers");
    v3_related(v, sb, "broker_configs", "/broker-configs");
    v3_related(v, sb, "consumer_groups", "/consumer-groups");
    v3_related(v, sb, "topics", "/topics");
    v3_related(v, sb, "partition_reassignments", "/topics/-/partitions/-/reassignment");
    sbuf_adds(sb, "}");
}

static void v3_topic(const metaview_t *v, sbuf_t *sb, const rd_kafka_metadata_topic_t *t)
{
    const char *id = v->cluster_id;
    sbuf_adds(sb, "{\"kind\":\"KafkaTopic\",\"metadata\":{\"self\":");
    add_strf(sb, "%s/v3/clusters/%s/topics/%s", v->base_url, id, t->topic);
    sbuf_adds(sb, ",\"resource_name\":");
    add_strf(sb, "crn:///kafka=%s/topic=%s", id, t->topic);
    sbuf_adds(sb, "},\"cluster_id\":");
    add_str(sb, id);
    sbuf_adds(sb, ",\"topic_name\":");
    add_str(sb, t->topic);
    /* Kafka names its internal topics with a leading "__". */
    sbuf_addf(sb, ",\"is_internal\":%s,\"replication_factor\":%d,\"partitions_count\":%d",
              strncmp(t->topic, "__", 2) == 0 ? "true" : "false",
              t->partition_cnt ? t->partitions[0].replica_cnt : 0, t->partition_cnt);
    char tail[320];
    snprintf(tail, sizeof(tail), "/topics/%s/partitions", t->topic);
    v3_related(v, sb, "partitions", tail);
    snprintf(tail, sizeof(tail), "/topics/%s/configs", t->topic);
    v3_related(v, sb, "configs", tail);
    snprintf(tail, sizeof(tail), "/topics/%s/partitions/-/reassignment", t->topic);
    v3_related(v, sb, "partition_reassignments", tail);
    sbuf_adds(sb, ",\"authorized_operations\":[]}");
}

static void v3_list_head(const metaview_t *v, sbuf_t *sb, const char *kind, const char *tail)
{
    sbuf_addf(sb, "{\"kind\":\"%s\",\"metadata\":{\"self\":", kind);
    if (tail)
        add_strf(sb, "%s/v3/clusters/%s%s", v->base_url, v->cluster_id, tail);
    else
        add_strf(sb, "%s/v3/clusters", v->base_url);
    sbuf_adds(sb, ",\"next\":null},\"data\":[");
}

int metaview_render(const metaview_t *v, metaview_kind_t kind, const char *cluster_id,
                    const char *topic, int32_t partition, sbuf_t *sb)
{
    const rd_kafka_metadata_topic_t *t = NULL;
    if ((kind == METAVIEW_V3_CLUSTER || kind == METAVIEW_V3_TOPICS || kind == METAVIEW_V3_TOPIC) &&
        (!cluster_id || strcmp(cluster_id, v->cluster_id) != 0))
        return METAVIEW_NO_CLUSTER;
    if (kind == METAVIEW_V2_TOPIC || kind == METAVIEW_V2_PARTITIONS ||
        kind == METAVIEW_V2_PARTITION || kind == METAVIEW_V3_TOPIC) {
        if (!visible(v, topic))
            return METAVIEW_REFUSED;
        if (!(t = find_topic(v, topic)))
            return METAVIEW_NO_TOPIC;
    }
    switch (kind) {
    case METAVIEW_V2_TOPICS: {
        int n = 0;
        sbuf_adds(sb, "[");
        for (int i = 0; i < v->md->topic_cnt; i++) {
            const rd_kafka_metadata_topic_t *mt = &v->md->topics[i];
            if (mt->err || !visible(v, mt->topic))
                continue;
            if (n++)
                sbuf_adds(sb, ",");
            add_str(sb, mt->topic);
        }
        sbuf_adds(sb, "]");
        return 0;
    }
    case METAVIEW_V2_TOPIC:
        sbuf_adds(sb, "{\"name\":");
        add_str(sb, t->topic);
        sbuf_adds(sb, ",\"configs\":{},\"partitions\":");
        v2_partitions(sb, t);
        sbuf_adds(sb, "}");
        return 0;
    case METAVIEW_V2_PARTITIONS:
        v2_partitions(sb, t);
        return 0;
    case METAVIEW_V2_PARTITION:
        for (int i = 0; i < t->partition_cnt; i++) {
            if (t->partitions[i].id == partition) {
                v2_partition(sb, &t->partitions[i]);
                return 0;
            }
        }
        return METAVIEW_NO_PARTITION;
    case METAVIEW_V3_CLUSTERS:
        v3_list_head(v, sb, "KafkaClusterList", NULL);
        v3_cluster(v, sb);
        sbuf_adds(sb, "]}");
        return 0;
    case METAVIEW_V3_CLUSTER:
        v3_cluster(v, sb);
        return 0;
    case METAVIEW_V3_TOPICS: {
        int n = 0;
        v3_list_head(v, sb, "KafkaTopicList", "/topics");
        for (int i = 0; i < v->md->topic_cnt; i++) {
            const rd_kafka_metadata_topic_t *mt = &v->md->topics[i];
            if (mt->err || !visible(v, mt->topic))
                continue;
            if (n++)
                sbuf_adds(sb, ",");
            v3_topic(v, sb, mt);
        }
        sbuf_adds(sb, "]}");
        return 0;
    }
    case METAVIEW_V3_TOPIC:
        v3_topic(v, sb, t);
        return 0;
    }
    return METAVIEW_NO_TOPIC;
}
