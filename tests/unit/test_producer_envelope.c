/*
 * Unit tests for producer/envelope: /produce bodies to batches, and answers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "producer/envelope.h"

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

static int parse(const char *s)
{
    strcpy(body, s);
    return envelope_parse(&js, body, strlen(body), &b, &pe);
}

Test(envelope, single_record_fields)
{
    setup();
    cr_assert_eq(parse("{\"topic\":\"orders\",\"key\":\"k\\u00e9\",\"partition\":3,"
                       "\"headers\":{\"h1\":\"v1\",\"h\\u0032\":\"\"},"
                       "\"payload\":{ \"n\" : 12345678901234567890, \"d\": "
                       "0.1000000000000000055511151231257827 }}"),
                 0, "%s", pe.msg);
    cr_expect_str_eq(b.topic, "orders");
    cr_expect_eq(b.count, 1);
    cr_expect_eq(b.multi, 0);
    batch_record_t *r = &b.records[0];
    cr_expect_eq(r->partition, 3);
    cr_expect_eq(r->key_len, 3);
    cr_expect_eq(memcmp(r->key, "k\xc3\xa9", 3), 0);
    const char *want = "{\"n\":12345678901234567890,\"d\":0.1000000000000000055511151231257827}";
    cr_expect_eq(r->value_len, strlen(want));
    cr_expect_eq(memcmp(r->value, want, strlen(want)), 0);
    cr_expect_eq(r->hdr_count, 2);
    cr_expect_eq(b.headers[0].name_len, 2);
    cr_expect_eq(memcmp(b.headers[1].name, "h2", 2), 0);
    cr_expect_eq(b.headers[1].value_len, 0);
    teardown();
}

Test(envelope, payload_string_keeps_its_quotes_and_escapes)
{
    setup();
    cr_assert_eq(parse("{\"topic\":\"t\",\"payload\":\"a\\\"b\"}"), 0);
    cr_expect_eq(b.records[0].value_len, 6);
    cr_expect_eq(memcmp(b.records[0].value, "\"a\\\"b\"", 6), 0);
    cr_expect_null(b.records[0].key);
    cr_expect_eq(b.records[0].partition, BATCH_PARTITION_ANY);
    teardown();
}

Test(envelope, batch_of_messages)
{
    setup();
    cr_assert_eq(parse("{\"topic\":\"t\",\"messages\":[{\"payload\":1,\"key\":\"a\"},"
                       "{\"payload\":[1, 2],\"partition\":2,\"headers\":{\"x\":\"y\"}},"
                       "{\"payload\":null}]}"),
                 0, "%s", pe.msg);
    cr_expect_eq(b.multi, 1);
    cr_expect_eq(b.count, 3);
    cr_expect_eq(memcmp(b.records[1].value, "[1,2]", 5), 0);
    cr_expect_eq(b.records[1].partition, 2);
    cr_expect_eq(b.records[1].hdr_count, 1);
    cr_expect_eq(b.records[2].value_len, 4);
    teardown();
}

Test(envelope, rejects_bad_requests)
{
    static const struct {
        const char *body, *msg;
    } cases[] = {
        {"", "empty body: send a JSON object"},
        {"[1]", "the body must be a JSON object"},
        {"{\"payload\":1}", "missing field 'topic'"},
        {"{\"topic\":1,\"payload\":1}", "field 'topic' must be a string"},
        {"{\"topic\":\"t\"}", "missing field 'payload'"},
        {"{\"topic\":\"t\",\"payload\":1,\"key\":1}", "field 'key' must be a string"},
        {"{\"topic\":\"t\",\"payload\":1,\"headers\":[]}",
         "field 'headers' must be an object of strings"},
        {"{\"topic\":\"t\",\"payload\":1,\"headers\":{\"a\":1}}", "header values must be strings"},
        {"{\"topic\":\"t\",\"payload\":1,\"partition\":\"1\"}",
         "field 'partition' must be a non-negative integer"},
        {"{\"topic\":\"t\",\"payload\":1,\"partition\":1.5}",
         "field 'partition' must be a non-negative integer"},
        {"{\"topic\":\"t\",\"messages\":{}}", "field 'messages' must be an array of objects"},
        {"{\"topic\":\"t\",\"messages\":[]}", "field 'messages' is empty"},
        {"{\"topic\":\"t\",\"messages\":[1]}", "messages[0]: must be an object"},
        {"{\"topic\":\"t\",\"messages\":[{\"payload\":1},{}]}",
         "messages[1]: missing field 'payload'"},
        {"{\"topic\":\"a b\",\"payload\":1}",
         "illegal topic name: use 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'"},
        {"{\"topic\":\"..\",\"payload\":1}",
         "illegal topic name: use 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup();
        cr_expect_eq(parse(cases[i].body), -1, "should reject %s", cases[i].body);
        cr_expect_eq(pe.status, 400);
        cr_expect_str_eq(pe.msg, cases[i].msg, "for %s", cases[i].body);
        teardown();
    }
}

Test(envelope, malformed_json_names_the_position)
{
    setup();
    cr_expect_eq(parse("{\"topic\":\"t\",}"), -1);
    cr_expect_str_eq(pe.msg, "malformed JSON at byte 13: expected a string key in object");
    teardown();
}

Test(envelope, render_single_success_and_failure)
{
    setup();
    kgw_buf_t sb;
    cr_assert_eq(parse("{\"topic\":\"t\",\"payload\":1}"), 0);
    b.records[0].out_partition = 3;
    b.records[0].out_offset = 42;
    kgw_buf_init(&sb);
    cr_expect_eq(envelope_render(&b, &sb), 200);
    cr_expect_str_eq(sb.data, "{\"success\":true,\"topic\":\"t\",\"partition\":3,\"offset\":42,"
                              "\"message\":\"delivered\"}");
    kgw_buf_term(&sb);
    b.records[0].err = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
    cr_expect_eq(envelope_render(&b, &sb), 504);
    cr_expect(strstr(sb.data, "\"kafka_error\":\"_MSG_TIMED_OUT\"") != NULL, "%s", sb.data);
    kgw_buf_term(&sb);
    teardown();
}

Test(envelope, render_batch_statuses)
{
    setup();
    kgw_buf_t sb;
    cr_assert_eq(parse("{\"topic\":\"t\",\"messages\":[{\"payload\":1},{\"payload\":2}]}"), 0);
    b.records[0].out_partition = 0;
    b.records[0].out_offset = 7;
    b.records[1].err = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    kgw_buf_init(&sb);
    cr_expect_eq(envelope_render(&b, &sb), 207, "some failed: 207");
    cr_expect(strstr(sb.data, "{\"partition\":0,\"offset\":7},{\"error\":") != NULL, "%s", sb.data);
    cr_expect(strstr(sb.data, "\"success\":false") != NULL);
    kgw_buf_term(&sb);
    b.records[0].err = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT;
    cr_expect_eq(envelope_render(&b, &sb), 504, "all failed: the first failure's status");
    kgw_buf_term(&sb);
    b.records[0].err = b.records[1].err = 0;
    cr_expect_eq(envelope_render(&b, &sb), 200);
    kgw_buf_term(&sb);
    teardown();
}

Test(envelope, unknown_fields_named)
{
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"{\"topic\":\"t\",\"payload\":1,\"partiton\":3}", "unknown field 'partiton'"},
        {"{\"topic\":\"t\",\"messages\":[{\"payload\":1,\"kye\":\"k\"}]}",
         "messages[0]: unknown field 'kye'"},
        {"{\"topic\":\"t\",\"payload\":1,\"p\\u0061rtition\":3}",
         "unknown field 'p\\u0061rtition'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup();
        cr_expect_eq(parse(cases[i].body), -1, "%s", cases[i].body);
        cr_expect_eq(pe.status, 400);
        cr_expect(strstr(pe.msg, cases[i].msg) != NULL, "%s: %s", cases[i].body, pe.msg);
        teardown();
    }
    setup();
    cr_expect_eq(parse("{\"topic\":\"t\",\"key\":null,\"headers\":null,\"partition\":null,"
                       "\"payload\":1}"),
                 0);
    teardown();
}
