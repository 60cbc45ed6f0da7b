/*
 * Unit tests for producer/restproxy: content types, paths, v2 bodies, answers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "producer/restproxy.h"

static jscan_t js;
static batch_t b;
static parse_error_t pe;
static char body[4096];

static void setup(void)
{
    jscan_init(&js, 0);
    memset(&b, 0, sizeof(b));
    memset(&pe, 0, sizeof(pe));
}

static void teardown(void)
{
    batch_term(&b);
    jscan_term(&js);
}

static int parse(restproxy_format_t fmt, int32_t part, const char *s)
{
    strcpy(body, s);
    return restproxy_parse(&js, body, strlen(body), fmt, "t", part, &b, &pe);
}

Test(restproxy, content_types)
{
    setup();
    static const struct {
        const char *ct;
        restproxy_format_t fmt;
    } cases[] = {
        {"application/vnd.kafka.json.v2+json", RESTPROXY_JSON},
        {"application/vnd.kafka.json.v2+json; charset=utf-8", RESTPROXY_JSON},
        {"application/json", RESTPROXY_JSON},
        {"Application/JSON", RESTPROXY_JSON},
        {"application/vnd.kafka.binary.v2+json", RESTPROXY_BINARY},
        {"application/vnd.kafka.v2+json", RESTPROXY_BINARY},
        {"application/vnd.kafka.avro.v2+json", RESTPROXY_NONE},
        {"text/plain", RESTPROXY_RAW},
        {"application/octet-stream", RESTPROXY_RAW},
        {"text/html", RESTPROXY_NONE},
        {"application/jsonx", RESTPROXY_NONE},
        {NULL, RESTPROXY_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(restproxy_format(cases[i].ct), cases[i].fmt, "%s",
                     cases[i].ct ? cases[i].ct : "NULL");
    teardown();
}

Test(restproxy, routes)
{
    setup();
    const char *t;
    size_t n;
    int32_t p;
    cr_expect_eq(restproxy_route("/topics/orders", &t, &n, &p), 0);
    cr_expect_eq(n, 6);
    cr_expect_eq(p, -1);
    cr_expect_eq(restproxy_route("/topics/orders/partitions/7", &t, &n, &p), 0);
    cr_expect_eq(p, 7);
    cr_expect_eq(n, 6);
    cr_expect_eq(restproxy_route("/topics/orders/partitions/x", &t, &n, &p), -2);
    cr_expect_eq(restproxy_route("/topics/orders/partitions/-1", &t, &n, &p), -2);
    cr_expect_eq(restproxy_route("/topics/", &t, &n, &p), -1);
    cr_expect_eq(restproxy_route("/topics/orders/other", &t, &n, &p), -1);
    teardown();
}

Test(restproxy, json_records)
{
    setup();
    cr_assert_eq(parse(RESTPROXY_JSON, -1,
                       "{\"records\":[{\"key\":\"k\",\"value\":{\"a\": 1.50},\"partition\":1},"
                       "{\"value\":12345678901234567890,\"timestamp\":1700000000000,"
                       "\"headers\":[{\"key\":\"h\",\"value\":\"dg==\"}]},{\"key\":null}]}"),
                 0, "%s", pe.msg);
    cr_expect_eq(b.count, 3);
    cr_expect_eq(b.records[0].key_len, 3, "JSON keys keep their JSON text");
    cr_expect_eq(memcmp(b.records[0].key, "\"k\"", 3), 0);
    cr_expect_eq(memcmp(b.records[0].value, "{\"a\":1.50}", 10), 0);
    cr_expect_eq(b.records[0].partition, 1);
    cr_expect_eq(memcmp(b.records[1].value, "12345678901234567890", 20), 0);
    cr_expect_eq(b.records[1].timestamp_ms, 1700000000000LL);
    cr_expect_eq(b.records[1].hdr_count, 1);
    cr_expect_eq(b.headers[0].value_len, 1);
    cr_expect_eq(b.headers[0].value[0], 'v');
    cr_expect_null(b.records[2].key);
    cr_expect_null(b.records[2].value, "a missing value is a null value");
    teardown();
}

Test(restproxy, binary_records_and_path_partition)
{
    setup();
    cr_assert_eq(parse(RESTPROXY_BINARY, 5,
                       "{\"records\":[{\"key\":\"eHl6\",\"value\":\"aGVsbG8=\",\"partition\":1}]}"),
                 0, "%s", pe.msg);
    cr_expect_eq(b.records[0].key_len, 3);
    cr_expect_eq(memcmp(b.records[0].key, "xyz", 3), 0);
    cr_expect_eq(b.records[0].value_len, 5);
    cr_expect_eq(memcmp(b.records[0].value, "hello", 5), 0);
    cr_expect_eq(b.records[0].partition, 5, "the path's partition wins");
    teardown();
}

Test(restproxy, rejects_bad_requests)
{
    static const struct {
        restproxy_format_t fmt;
        const char *body;
        int status, code;
    } cases[] = {
        {RESTPROXY_JSON, "", 400, 400},
        {RESTPROXY_JSON, "{", 400, 400},
        {RESTPROXY_JSON, "{}", 422, 42201},
        {RESTPROXY_JSON, "{\"records\":[]}", 422, 42201},
        {RESTPROXY_JSON, "{\"records\":[1]}", 422, 42201},
        {RESTPROXY_JSON, "{\"records\":[{\"partition\":-1}]}", 422, 42201},
        {RESTPROXY_JSON, "{\"records\":[{\"timestamp\":\"x\"}]}", 422, 42201},
        {RESTPROXY_JSON, "{\"records\":[{\"headers\":{}}]}", 422, 42201},
        {RESTPROXY_BINARY, "{\"records\":[{\"key\":\"***\"}]}", 422, 42201},
        {RESTPROXY_BINARY, "{\"records\":[{\"value\":5}]}", 422, 42202},
        {RESTPROXY_BINARY, "{\"records\":[{\"headers\":[{\"key\":\"h\",\"value\":\"!\"}]}]}", 422,
         42201},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup();
        cr_expect_eq(parse(cases[i].fmt, -1, cases[i].body), -1, "should reject %s", cases[i].body);
        cr_expect_eq(pe.status, cases[i].status, "status for %s", cases[i].body);
        cr_expect_eq(pe.code, cases[i].code, "code for %s", cases[i].body);
        teardown();
    }
    setup();
    strcpy(body, "{\"records\":[{\"value\":1}]}");
    cr_expect_eq(restproxy_parse(&js, body, strlen(body), RESTPROXY_JSON, "bad topic", -1, &b, &pe),
                 -1);
    cr_expect_eq(pe.code, 40401);
}

Test(restproxy, render)
{
    setup();
    kgw_buf_t sb;
    cr_assert_eq(parse(RESTPROXY_JSON, -1, "{\"records\":[{\"value\":1},{\"value\":2}]}"), 0);
    b.records[0].out_partition = 2;
    b.records[0].out_offset = 10;
    b.records[1].err = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
    kgw_buf_init(&sb);
    cr_expect_eq(restproxy_render(&b, &sb), 200);
    cr_expect(strstr(sb.data,
                     "{\"key_schema_id\":null,\"value_schema_id\":null,\"offsets\":[{"
                     "\"partition\":2,\"offset\":10,\"error_code\":null,\"error\":null},"
                     "{\"partition\":null,\"offset\":null,\"error_code\":50003,") == sb.data,
              "%s", sb.data);
    kgw_buf_term(&sb);
    b.records[0].err = b.records[1].err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    cr_expect_eq(restproxy_render(&b, &sb), 404);
    cr_expect(strstr(sb.data, "\"error_code\":40401") != NULL, "%s", sb.data);
    kgw_buf_term(&sb);
    b.records[0].err = b.records[1].err = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    cr_expect_eq(restproxy_render(&b, &sb), 404);
    cr_expect(strstr(sb.data, "\"error_code\":40402") != NULL, "%s", sb.data);
    kgw_buf_term(&sb);
    /* Delivered without an offset (librdkafka's duplicate-sequence case). */
    b.records[0].err = b.records[1].err = 0;
    b.records[0].out_offset = RD_KAFKA_OFFSET_INVALID;
    cr_expect_eq(restproxy_render(&b, &sb), 200);
    cr_expect(strstr(sb.data, "{\"partition\":2,\"offset\":null,\"error_code\":null,") != NULL,
              "%s", sb.data);
    kgw_buf_term(&sb);
    teardown();
}

Test(restproxy, raw_bodies)
{
    setup();
    static const char bin[] = {'a', 0, '\r', '\n', (char)0xff};
    cr_expect_eq(restproxy_format("application/octet-stream"), RESTPROXY_RAW);
    cr_expect_eq(restproxy_format("text/plain; charset=utf-8"), RESTPROXY_RAW);
    cr_assert_eq(restproxy_raw(bin, sizeof(bin), "t", "k", "3", -1, &b, &pe), 0);
    cr_expect_eq(b.count, 1);
    cr_expect_eq(b.records[0].value_len, sizeof(bin));
    cr_expect_eq(memcmp(b.records[0].value, bin, sizeof(bin)), 0);
    cr_expect_eq(b.records[0].key_len, 1);
    cr_expect_eq(b.records[0].partition, 3);
    cr_assert_eq(restproxy_raw(NULL, 0, "t", NULL, "3", 1, &b, &pe), 0);
    cr_expect_not_null(b.records[0].value, "empty, not null");
    cr_expect_null(b.records[0].key);
    cr_expect_eq(b.records[0].partition, 1, "the path's partition wins");
    cr_expect_eq(restproxy_raw("x", 1, "t", NULL, "-1", -1, &b, &pe), -1);
    cr_expect_eq(pe.status, 422);
    cr_expect_eq(restproxy_raw("x", 1, "bad topic", NULL, NULL, -1, &b, &pe), -1);
    cr_expect_eq(pe.status, 404);
    teardown();
}
