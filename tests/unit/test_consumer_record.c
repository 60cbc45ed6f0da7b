/* Unit tests for consumer/record: the JSON body, byte for byte. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/kgw_fmt.h"
#include "consumer/record.h"

static char *encode(const record_view_t *rv)
{
    record_buf_t b;
    record_buf_init(&b);
    cr_assert_eq(record_encode(rv, &b), 0);
    return b.data; /* the test frees */
}

Test(record, json_value_embedded_verbatim)
{
    record_header_t h[] = {{"trace", 5, "abc", 3}, {"empty", 5, NULL, 0}};
    record_view_t rv = {"orders",        3, 42, "k1", 2, "{\"a\": [1, 2.5e3, true, null]}", 29,
                        1795000000123LL, h, 2};
    char *s = encode(&rv);
    cr_assert_str_eq(s, "{\"topic\":\"orders\",\"partition\":3,\"offset\":42,\"key\":\"k1\","
                        "\"value\":{\"a\": [1, 2.5e3, true, null]},"
                        "\"timestamp\":\"2026-11-18T11:06:40.123Z\","
                        "\"headers\":{\"trace\":\"abc\",\"empty\":null}}");
    free(s);
}

Test(record, non_json_wrapped_null_key_no_timestamp)
{
    record_view_t rv = {"t", 0, 0, NULL, 0, "hello \"world\"\n", 14, -1, NULL, 0};
    char *s = encode(&rv);
    cr_assert_str_eq(s, "{\"topic\":\"t\",\"partition\":0,\"offset\":0,\"key\":null,"
                        "\"value\":{\"raw_message\":\"hello \\\"world\\\"\\n\"},"
                        "\"timestamp\":null,\"headers\":{}}");
    free(s);
}

Test(record, tombstone_is_null)
{
    record_view_t rv = {"t", 1, 7, "k", 1, NULL, 0, -1, NULL, 0};
    char *s = encode(&rv);
    cr_assert(strstr(s, "\"value\":null,"), "%s", s);
    free(s);
}

Test(record, invalid_utf8_replaced_and_kept_in_base64)
{
    /* value: "a" 0xff "b" -> raw_message "a\uFFFDb" + base64 of the bytes */
    record_view_t rv = {"t",
                        0,
                        1,
                        "\xc3\x28",
                        2,
                        "a\xff"
                        "b",
                        3,
                        -1,
                        NULL,
                        0};
    char *s = encode(&rv);
    cr_assert(strstr(s, "\"key\":\"\xef\xbf\xbd(\",\"key_base64\":\"wyg=\""), "%s", s);
    cr_assert(strstr(s, "{\"raw_message\":\"a\xef\xbf\xbd"
                        "b\",\"raw_message_base64\":\"Yf9i\"}"),
              "%s", s);
    free(s);
}

/* The body through a strict parser: duplicate keys refused. */
static json_t *parse_strict(const char *s)
{
    json_error_t jerr;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(j, "not strict JSON (%s): %s", jerr.text, s);
    return j;
}

Test(record, repeated_header_names_become_arrays)
{
    /* Kafka allows a name more than once: every value is kept, in order. */
    record_header_t h[] = {{"a", 1, "1", 1}, {"b", 1, "x", 1}, {"a", 1, NULL, 0},
                           {"a", 1, "3", 1}, {"c", 1, "", 0},  {"b", 1, "y", 1}};
    record_view_t rv = {"t", 0, 1, NULL, 0, "1", 1, -1, h, 6};
    char *s = encode(&rv);
    cr_assert(strstr(s, ",\"headers\":{\"a\":[\"1\",null,\"3\"],\"b\":[\"x\",\"y\"],\"c\":\"\"}}"),
              "%s", s);
    json_decref(parse_strict(s));
    cr_assert_null(strstr(s, "headers_base64"), "%s", s);
    free(s);
}

Test(record, invalid_header_bytes_keep_an_exact_copy)
{
    /* 0xff and 0xfe both print as U+FFFD: one JSON key, an array of both
     * values, and headers_base64 holds every header's exact bytes in order. */
    record_header_t h[] = {
        {"\xff", 1, "v\xc3", 2}, {"ok", 2, "caf\xc3\xa9", 5}, {"\xfe", 1, NULL, 0}};
    record_view_t rv = {"t", 0, 1, NULL, 0, "1", 1, -1, h, 3};
    char *s = encode(&rv);
    json_t *j = parse_strict(s);
    json_t *hs = json_object_get(j, "headers");
    cr_assert_eq(json_object_size(hs), 2, "%s", s);
    json_t *rep = json_object_get(hs, "\xef\xbf\xbd");
    cr_assert(json_is_array(rep) && json_array_size(rep) == 2, "%s", s);
    cr_assert_str_eq(json_string_value(json_array_get(rep, 0)), "v\xef\xbf\xbd");
    cr_assert(json_is_null(json_array_get(rep, 1)));
    cr_assert_str_eq(json_string_value(json_object_get(hs, "ok")), "caf\xc3\xa9");
    cr_assert(strstr(s, ",\"headers_base64\":[{\"name\":\"/w==\",\"value\":\"dsM=\"},"
                        "{\"name\":\"b2s=\",\"value\":\"Y2Fmw6k=\"},"
                        "{\"name\":\"/g==\",\"value\":null}]}"),
              "%s", s);
    json_decref(j);
    free(s);
}

Test(record, many_headers_group_in_linear_time)
{
    /* Past the inline table: 5,000 headers over 1,000 names, 5 values each. */
    enum { N = 5000, NAMES = 1000 };
    static record_header_t h[N];
    static char names[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "n%d", i % NAMES);
        h[i] = (record_header_t){names[i], strlen(names[i]), "v", 1};
    }
    record_view_t rv = {"t", 0, 1, NULL, 0, "1", 1, -1, h, N};
    char *s = encode(&rv);
    json_t *j = parse_strict(s);
    json_t *hs = json_object_get(j, "headers");
    cr_assert_eq(json_object_size(hs), NAMES);
    cr_assert_eq(json_array_size(json_object_get(hs, "n999")), N / NAMES);
    json_decref(j);
    free(s);
}

Test(record, webhook_id)
{
    char id[64];
    cr_assert_eq(record_webhook_id(id, sizeof(id), "orders", 3, 1234567890123LL), 0);
    cr_assert_str_eq(id, "orders-3-1234567890123");
}

Test(record, format_time_across_seconds)
{
    char buf[40];
    record_format_time(buf, sizeof(buf), 1795000000123LL);
    cr_assert_str_eq(buf, "2026-11-18T11:06:40.123Z");
    record_format_time(buf, sizeof(buf), 1795000000999LL);
    cr_assert_str_eq(buf, "2026-11-18T11:06:40.999Z");
    record_format_time(buf, sizeof(buf), 1795000001000LL);
    cr_assert_str_eq(buf, "2026-11-18T11:06:41.000Z");
    record_format_time(buf, sizeof(buf), 1795000000005LL);
    cr_assert_str_eq(buf, "2026-11-18T11:06:40.005Z");
    record_format_time(buf, sizeof(buf), -1);
    cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
    record_format_time(buf, 10, 1795000000123LL);
    cr_assert_str_eq(buf, "2026-11-1");
}

Test(record, fmt_i64_and_long_webhook_id)
{
    char b[24];
    static const struct {
        int64_t v;
        const char *s;
    } cases[] = {{0, "0"},
                 {7, "7"},
                 {-1, "-1"},
                 {1234567890123LL, "1234567890123"},
                 {INT64_MAX, "9223372036854775807"},
                 {INT64_MIN, "-9223372036854775808"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = kgw_fmt_i64(b, cases[i].v);
        b[n] = '\0';
        cr_assert_str_eq(b, cases[i].s);
    }
    char id[64];
    cr_assert_eq(record_webhook_id(id, sizeof(id), "t", -5, INT64_MIN), 0);
    cr_assert_str_eq(id, "t--5--9223372036854775808");
    /* Too long for the buffer: an error, as before. */
    cr_assert_eq(record_webhook_id(id, 10, "orders", 3, 1234567890123LL), -1);
    char big[400];
    memset(big, 'x', 299);
    big[299] = '\0';
    char out[320];
    cr_assert_eq(record_webhook_id(out, sizeof(out), big, 31, 99), 0);
    cr_assert_eq(strlen(out), 299 + 6);
}

Test(record, name_grouped_under_a_literal_replacement_character_is_kept)
{
    /* A valid name holding U+FFFD prints like the invalid byte 0xff: the
     * second header is grouped under the first, its exact name only in
     * headers_base64. */
    record_header_t h[] = {{"\xef\xbf\xbd", 3, "a", 1}, {"\xff", 1, "b", 1}};
    record_view_t rv = {"t", 0, 1, NULL, 0, "1", 1, -1, h, 2};
    char *s = encode(&rv);
    cr_assert(
        strstr(s, "\"headers\":{\"\xef\xbf\xbd\":[\"a\",\"b\"]},\"headers_base64\":["
                  "{\"name\":\"77+9\",\"value\":\"YQ==\"},{\"name\":\"/w==\",\"value\":\"Yg==\"}]"),
        "%s", s);
    json_decref(parse_strict(s));
    free(s);
}
