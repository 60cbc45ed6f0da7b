/* Unit tests for consumer/record: the JSON body, byte for byte. */
#include <criterion/criterion.h>
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
        {"\"\xed\xa0\x80\"", 0},    /* encoded surrogate */
        {"\"\\ud83d\\ude00\"", 1},  /* an escaped surrogate pair */
        {"\"\\udfff\"", 0},         /* a lone low surrogate (found by fuzzing) */
        {"\"\\ud83d\"", 0},         /* a high surrogate without its pair */
        {"\"\\ud83dx\\ude00\"", 0}, /* a high surrogate not followed by \u */
        {"\"\\ud83d\\u0041\"", 0},  /* a high surrogate followed by a non-surrogate */
        {"\"\xc0\xaf\"", 0},        /* overlong */
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

/* The byte-at-a-time escaper the word-at-a-time path must agree with. */
static void reference_string(record_buf_t *out, const unsigned char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[8];
    record_buf_append(out, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = record_utf8_seq(p + i, len - i);
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            record_buf_append(out, tmp, 2);
        } else if (c < 0x20) {
            const char *esc = c == '\n'   ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                              : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f"
                                          : NULL;
            if (esc) {
                record_buf_append(out, esc, 2);
            } else {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                record_buf_append(out, u, 6);
            }
        } else if (n == 0) {
            record_buf_append(out, "\xef\xbf\xbd", 3);
            n = 1;
        } else {
            record_buf_append(out, p + i, n);
        }
        i += n ? n : 1;
    }
    record_buf_append(out, "\"", 1);
}

Test(record, word_at_a_time_agrees_with_bytes)
{
    /* One special byte at every position of plain runs of every length
     * around the 8-byte word, as a JSON string and through the escaper. */
    static const unsigned char specials[] = {'"',  '\\', '\n', 0x01, 0x1f,
                                             0x7f, 0x80, 0xc3, 0xff, ' '};
    unsigned char buf[40];
    for (size_t len = 0; len <= 24; len++) {
        for (size_t pos = 0; pos <= len; pos++) {
            for (size_t k = 0; k < sizeof(specials); k++) {
                memset(buf, 'a', sizeof(buf));
                if (pos < len)
                    buf[pos] = specials[k];
                record_buf_t got, want;
                record_buf_init(&got);
                record_buf_init(&want);
                int lossy = 0;
                cr_assert_eq(record_json_string(&got, buf, len, &lossy), 0);
                reference_string(&want, buf, len);
                cr_assert_eq(got.len, want.len, "len=%zu pos=%zu byte=0x%02x", len, pos,
                             specials[k]);
                cr_assert_eq(memcmp(got.data, want.data, got.len), 0, "len=%zu pos=%zu", len, pos);
                /* Our own output is valid JSON; the raw bytes in quotes are
                 * exactly when the special byte is allowed there. */
                cr_assert(record_is_json(got.data, got.len));
                unsigned char q[48];
                q[0] = '"';
                memcpy(q + 1, buf, len);
                q[len + 1] = '"';
                unsigned char c = pos < len ? specials[k] : 'a';
                int ok = c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
                cr_assert_eq(record_is_json(q, len + 2), ok, "len=%zu pos=%zu byte=0x%02x", len,
                             pos, c);
                record_buf_term(&got);
                record_buf_term(&want);
            }
        }
    }
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
