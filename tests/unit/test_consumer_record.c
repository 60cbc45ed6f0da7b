/* Unit tests for consumer/record: the JSON body, byte for byte. */
#include <criterion/criterion.h>
#include <string.h>

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

Test(record, validator_table)
{
    static const struct {
        const char *text;
        int valid;
    } cases[] = {
        {"{}", 1},
        {"[]", 1},
        {" {\"a\":1} ", 1},
        {"\"str\"", 1},
        {"-0.5e-3", 1},
        {"123", 1},
        {"true", 1},
        {"null", 1},
        {"[1,[2,[3]]]", 1},
        {"{\"a\":\"\\u00e9\\n\"}", 1},
        {"\"caf\xc3\xa9\"", 1},
        {"", 0},
        {"   ", 0},
        {"{", 0},
        {"{\"a\":}", 0},
        {"[1,]", 0},
        {"{\"a\":1,}", 0},
        {"01", 0},
        {"1.", 0},
        {".5", 0},
        {"+1", 0},
        {"tru", 0},
        {"nul", 0},
        {"\"a\tb\"", 0},
        {"\"\\x\"", 0},
        {"\"\\u12\"", 0},
        {"\"\xff\"", 0},
        {"\"\xed\xa0\x80\"", 0}, /* encoded surrogate */
        {"\"\xc0\xaf\"", 0},     /* overlong */
        {"{} {}", 0},
        {"hello", 0},
        {"{'a':1}", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(record_is_json(cases[i].text, strlen(cases[i].text)), cases[i].valid,
                     "case %zu: '%s'", i, cases[i].text);
}

Test(record, deep_nesting_is_not_json_but_safe)
{
    char deep[4001];
    memset(deep, '[', 4000);
    deep[4000] = '\0';
    cr_assert_eq(record_is_json(deep, 4000), 0);
}

Test(record, control_characters_escaped)
{
    record_buf_t b;
    record_buf_init(&b);
    cr_assert_eq(record_json_string(&b, "\x01\x1f\\/\t", 5, NULL), 0);
    cr_assert_str_eq(b.data, "\"\\u0001\\u001f\\\\/\\t\"");
    record_buf_term(&b);
}

Test(record, base64_padding)
{
    static const char *in[] = {"", "f", "fo", "foo", "foob"};
    static const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg=="};
    for (int i = 0; i < 5; i++) {
        record_buf_t b;
        record_buf_init(&b);
        cr_assert_eq(record_base64(&b, in[i], strlen(in[i])), 0);
        cr_assert_str_eq(b.data ? b.data : "", out[i]);
        record_buf_term(&b);
    }
}

Test(record, webhook_id)
{
    char id[64];
    cr_assert_eq(record_webhook_id(id, sizeof(id), "orders", 3, 1234567890123LL), 0);
    cr_assert_str_eq(id, "orders-3-1234567890123");
}
