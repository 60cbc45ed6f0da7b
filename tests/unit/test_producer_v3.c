/*
 * Unit tests for producer/route_split, metaview (metadata answers from a
 * hand-built rd_kafka_metadata) and v3rec (REST Proxy v3 records).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "producer/metaview.h"
#include "producer/route.h"
#include "producer/v3rec.h"

Test(route, split_shapes)
{
    static const struct {
        const char *path;
        route_shape_t shape;
        const char *cluster, *topic;
        long partition;
    } cases[] = {
        {"/topics", ROUTE_SHAPE_TOPICS, "", "", -1},
        {"/topics/orders", ROUTE_SHAPE_TOPIC, "", "orders", -1},
        {"/topics/orders/partitions", ROUTE_SHAPE_PARTITIONS, "", "orders", -1},
        {"/topics/orders/partitions/7", ROUTE_SHAPE_PARTITION, "", "orders", 7},
        {"/topics/orders/partitions/-1", ROUTE_SHAPE_NONE, "", "", -1},
        {"/topics/orders/partitions/x", ROUTE_SHAPE_NONE, "", "", -1},
        {"/topics//partitions", ROUTE_SHAPE_NONE, "", "", -1},
        {"/v3/clusters", ROUTE_SHAPE_V3_CLUSTERS, "", "", -1},
        {"/v3/clusters/abc", ROUTE_SHAPE_V3_CLUSTER, "abc", "", -1},
        {"/v3/clusters/abc/topics", ROUTE_SHAPE_V3_TOPICS, "abc", "", -1},
        {"/v3/clusters/abc/topics/t.1", ROUTE_SHAPE_V3_TOPIC, "abc", "t.1", -1},
        {"/v3/clusters/abc/topics/t/records", ROUTE_SHAPE_V3_RECORDS, "abc", "t", -1},
        {"/v3/clusters/abc/topics/t/records/x", ROUTE_SHAPE_NONE, "", "", -1},
        {"/v3/brokers", ROUTE_SHAPE_NONE, "", "", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        route_parts_t p;
        route_shape_t s = route_split(cases[i].path, &p);
        cr_expect_eq(s, cases[i].shape, "%s: shape %d", cases[i].path, (int)s);
        if (s == ROUTE_SHAPE_NONE)
            continue;
        cr_expect_str_eq(p.cluster, cases[i].cluster, "%s", cases[i].path);
        cr_expect_str_eq(p.topic, cases[i].topic, "%s", cases[i].path);
        cr_expect_eq(p.partition, cases[i].partition, "%s", cases[i].path);
    }
}

static int32_t replicas[] = {1, 2};
static int32_t isrs[] = {2};
static rd_kafka_metadata_partition_t parts[] = {
    {.id = 0, .leader = 2, .replica_cnt = 2, .replicas = replicas, .isr_cnt = 1, .isrs = isrs},
};
static rd_kafka_metadata_topic_t topics[] = {
    {.topic = (char *)"orders", .partition_cnt = 1, .partitions = parts},
    {.topic = (char *)"secret", .partition_cnt = 1, .partitions = parts},
    {.topic = (char *)"gone", .err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
};
static struct rd_kafka_metadata md = {.topic_cnt = 3, .topics = topics, .orig_broker_id = 1};

static int no_secret(const void *ctx, const char *topic)
{
    (void)ctx;
    return strcmp(topic, "secret") != 0;
}

static char *render(metaview_kind_t kind, const char *cluster, const char *topic, int32_t p,
                    int *rc)
{
    metaview_t v = {.md = &md, .cluster_id = "C1", .base_url = "http://h", .allow = no_secret};
    static sbuf_t sb;
    sbuf_init(&sb);
    *rc = metaview_render(&v, kind, cluster, topic, p, &sb);
    kgw_buf_add(&sb, "", 1);
    return sb.data;
}

Test(metaview, v2_and_v3_shapes_filtered)
{
    int rc;
    char *s = render(METAVIEW_V2_TOPICS, NULL, NULL, -1, &rc);
    cr_expect_eq(rc, 0);
    cr_expect_str_eq(s, "[\"orders\"]");
    free(s);
    s = render(METAVIEW_V2_PARTITION, NULL, "orders", 0, &rc);
    cr_expect_str_eq(s,
                     "{\"partition\":0,\"leader\":2,\"replicas\":[{\"broker\":1,\"leader\":"
                     "false,\"in_sync\":false},{\"broker\":2,\"leader\":true,\"in_sync\":true}]}");
    free(s);
    free(render(METAVIEW_V2_PARTITION, NULL, "orders", 5, &rc));
    cr_expect_eq(rc, METAVIEW_NO_PARTITION);
    free(render(METAVIEW_V2_TOPIC, NULL, "secret", -1, &rc));
    cr_expect_eq(rc, METAVIEW_REFUSED);
    free(render(METAVIEW_V2_TOPIC, NULL, "gone", -1, &rc));
    cr_expect_eq(rc, METAVIEW_NO_TOPIC);
    free(render(METAVIEW_V3_TOPICS, "C2", NULL, -1, &rc));
    cr_expect_eq(rc, METAVIEW_NO_CLUSTER);
    s = render(METAVIEW_V3_TOPICS, "C1", NULL, -1, &rc);
    cr_expect_eq(rc, 0);
    cr_expect(strstr(s, "\"kind\":\"KafkaTopicList\"") && strstr(s, "\"topic_name\":\"orders\"") &&
                  !strstr(s, "secret") && strstr(s, "\"replication_factor\":2"),
              "%s", s);
    free(s);
    s = render(METAVIEW_V3_CLUSTERS, NULL, NULL, -1, &rc);
    cr_expect(strstr(s, "\"self\":\"http://h/v3/clusters/C1\"") &&
                  strstr(s, "\"resource_name\":\"crn:///kafka=C1\""),
              "%s", s);
    free(s);
}

static jscan_t js;

Test(v3rec, parse_types_headers_and_stream)
{
    char body[] =
        "{\"key\":{\"type\":\"STRING\",\"data\":\"k\\u00e9\"},"
        "\"value\":{\"type\":\"JSON\",\"data\":{ \"a\" : [1, 2] }},"
        "\"headers\":[{\"name\":\"h\",\"value\":\"YWJj\"},{\"name\":\"n\",\"value\":null}],"
        "\"partition_id\":2,\"timestamp\":\"2024-05-01T10:00:00.5Z\"}\n"
        "{\"value\":{\"type\":\"BINARY\",\"data\":\"aGk=\"}} {\"value\":null}";
    batch_t b = {0};
    parse_error_t pe = {0};
    v3rec_info_t *info = NULL;
    jscan_init(&js, 0);
    cr_assert_eq(v3rec_parse(&js, body, strlen(body), "t", &b, &info, &pe), 0, "%s", pe.msg);
    cr_assert_eq(b.count, 3);
    cr_expect_eq(b.records[0].key_len, 3);
    cr_expect_eq(memcmp(b.records[0].key, "k\xc3\xa9", 3), 0);
    cr_expect_eq(b.records[0].value_len, 11);
    cr_expect_eq(memcmp(b.records[0].value, "{\"a\":[1,2]}", 11), 0);
    cr_expect_eq(b.records[0].partition, 2);
    cr_expect_eq(b.records[0].timestamp_ms, 1714557600500LL);
    cr_expect_eq(b.records[0].hdr_count, 2);
    cr_expect_eq(b.headers[0].value_len, 3);
    cr_expect_eq(b.headers[1].value, NULL);
    cr_expect_eq(b.records[1].value_len, 2);
    cr_expect_eq(memcmp(b.records[1].value, "hi", 2), 0);
    cr_expect_eq(b.records[2].value, NULL);
    cr_expect_eq(info[1].value_type, 2);
    cr_expect_eq(info[2].value_type, 0);
    b.records[0].out_partition = 0;
    b.records[0].out_offset = 5;
    b.records[0].out_timestamp_ms = 1714557600500LL;
    b.records[1].err = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    sbuf_t sb;
    sbuf_init(&sb);
    cr_expect_eq(v3rec_render(&b, info, "C", &sb), 200);
    kgw_buf_add(&sb, "", 1);
    cr_expect(strstr(sb.data, "{\"error_code\":200,\"cluster_id\":\"C\",\"topic_name\":\"t\","
                              "\"partition_id\":0,\"offset\":5,\"timestamp\":\"2024-05-01T10:00:00."
                              "500Z\",\"key\":{\"type\":\"STRING\",\"size\":3},\"value\":{\"type\":"
                              "\"JSON\",\"size\":11}}\n{\"error_code\":413,") != NULL,
              "%s", sb.data);
    sbuf_term(&sb);
    free(info);
    batch_term(&b);
    jscan_term(&js);
}

Test(v3rec, errors)
{
    static const char *bad[] = {
        "",
        "{\"value\":{\"type\":\"AVRO\",\"data\":1}}",
        "{\"value\":{\"type\":\"BINARY\",\"data\":\"!!\"}}",
        "{\"value\":{\"type\":\"STRING\",\"data\":1}}",
        "{\"partition_id\":-1}",
        "{\"timestamp\":\"yesterday\"}",
        "{\"headers\":{}}",
        "{\"headers\":[{\"value\":\"YQ==\"}]}",
        "{} [1]",
        "{\"value\":",
    };
    jscan_init(&js, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[128];
        batch_t b = {0};
        parse_error_t pe = {0};
        v3rec_info_t *info = NULL;
        strcpy(body, bad[i]);
        cr_expect_eq(v3rec_parse(&js, body, strlen(body), "t", &b, &info, &pe), -1, "%s", bad[i]);
        cr_expect_eq(pe.status, 400, "%s: %d", bad[i], pe.status);
        free(info);
        batch_term(&b);
    }
    jscan_term(&js);
}

Test(v3rec, time_round_trip)
{
    int64_t ms;
    cr_expect_eq(v3rec_parse_time("2021-02-05T19:14:42Z", 20, &ms), 0);
    cr_expect_eq(ms, 1612552482000LL);
    cr_expect_eq(v3rec_parse_time("2021-02-05T21:14:42.123+02:00", 29, &ms), 0);
    cr_expect_eq(ms, 1612552482123LL);
    cr_expect_eq(v3rec_parse_time("2021-02-05 19:14:42Z", 20, &ms), -1);
    char buf[40];
    v3rec_format_time(1612552482123LL, buf, sizeof(buf));
    cr_expect_str_eq(buf, "2021-02-05T19:14:42.123Z");
}

/* A record split off in pieces of every size, strings with braces and escapes inside. */
Test(v3rec, split_across_pieces)
{
    const char *rec = "{\"value\":{\"data\":\"}{\\\"\\\\\"},\"k\":[{},[]]}";
    size_t len = strlen(rec);
    for (size_t piece = 1; piece <= len; piece++) {
        v3rec_split_t sp = {0};
        size_t pos = 0;
        int done = 0;
        while (!done && pos < len) {
            size_t n = len - pos < piece ? len - pos : piece;
            pos += v3rec_split(&sp, rec + pos, n, &done);
        }
        cr_expect(done, "piece %zu", piece);
        cr_expect_eq(pos, len, "piece %zu: ended at %zu", piece, pos);
    }
    v3rec_split_t sp = {0};
    int done;
    cr_expect_eq(v3rec_split(&sp, "{\"a\":1}{\"b\":2}", 14, &done), 7);
    cr_expect(done);
}

typedef struct refusals {
    size_t seq[8];
    int status[8];
    size_t n;
} refusals_t;

static void refused_cb(void *opaque, size_t seq, const parse_error_t *pe)
{
    refusals_t *r = opaque;
    r->seq[r->n] = seq;
    r->status[r->n++] = pe->status;
}

/* A window with refused records among valid ones: only the valid ones reach
 * the batch, each mapped back to its place; refusals name the stream index. */
Test(v3rec, parse_spans_and_results)
{
    char text[] = "{\"value\":{\"data\":1},\"partition_id\":1}"
                  "{\"value\":{\"type\":\"AVRO\",\"data\":1}}"
                  "{\"value\":{\"type\":\"STRING\",\"data\":\"s\"},\"headers\":[{\"name\":\"h\","
                  "\"value\":\"YQ==\"}]}"
                  "{\"value\":";
    v3rec_span_t spans[5];
    size_t start = 0, n = 0;
    const char *p = text;
    while (*p) {
        v3rec_split_t sp = {0};
        int done;
        size_t len = v3rec_split(&sp, p, strlen(p), &done);
        spans[n++] = (v3rec_span_t){.start = start, .len = len};
        start += len;
        p += len;
    }
    cr_assert_eq(n, 4);
    spans[n++] = (v3rec_span_t){.too_large = 5000};
    batch_t b = {0};
    v3rec_info_t info[5];
    uint32_t pos[5];
    refusals_t r = {0};
    jscan_init(&js, 0);
    cr_assert_eq(
        v3rec_parse_spans(&js, text, spans, n, 100, 4096, "t", &b, info, pos, refused_cb, &r), 0);
    cr_assert_eq(b.count, 2);
    cr_expect_eq(pos[0], 0);
    cr_expect_eq(pos[1], 2);
    cr_expect_eq(b.records[0].partition, 1);
    cr_expect_eq(b.records[1].hdr_count, 1);
    cr_expect_eq(b.records[1].value_len, 1);
    cr_assert_eq(r.n, 3);
    cr_expect_eq(r.seq[0], 101);
    cr_expect_eq(r.status[0], 400);
    cr_expect_eq(r.seq[1], 103);
    cr_expect_eq(r.seq[2], 104);
    cr_expect_eq(r.status[2], 413);

    b.records[0].out_partition = 1;
    b.records[0].out_offset = 7;
    b.records[0].out_timestamp_ms = 1714557600500LL;
    v3rec_result_t res;
    cr_expect_eq(sizeof(res), 32);
    v3rec_result_set(&res, &b.records[0], &info[0]);
    cr_expect_eq(v3rec_result_status(&res), 200);
    sbuf_t prefix, sb;
    sbuf_init(&prefix);
    sbuf_init(&sb);
    cr_assert_eq(v3rec_prefix("C", "t", &prefix), 0);
    cr_assert_eq(v3rec_result_render(&res, prefix.data, NULL, &sb), 0);
    cr_expect_str_eq(sb.data, "{\"error_code\":200,\"cluster_id\":\"C\",\"topic_name\":\"t\","
                              "\"partition_id\":1,\"offset\":7,\"timestamp\":\"2024-05-01T10:00:"
                              "00.500Z\",\"key\":null,\"value\":{\"type\":\"JSON\",\"size\":1}}");
    b.records[1].err = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
    v3rec_result_set(&res, &b.records[1], &info[1]);
    cr_expect_eq(v3rec_result_status(&res), 504);
    memset(&res, 0, sizeof(res));
    res.status = 400;
    kgw_buf_reset(&sb);
    cr_assert_eq(v3rec_result_render(&res, prefix.data, "\"why\"", &sb), 0);
    cr_expect_str_eq(sb.data, "{\"error_code\":400,\"message\":\"why\"}");
    sbuf_term(&prefix);
    sbuf_term(&sb);
    batch_term(&b);
    jscan_term(&js);
}
