/* Unit tests for kgw_json: the buffer, the escaper (word-at-a-time against a
 * byte-wise reference), the validator and its lexers, UTF-8 cuts. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_json.h"

Test(kgw_json, validator_table)
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
        cr_assert_eq(kgw_json_valid(cases[i].text, strlen(cases[i].text)), cases[i].valid,
                     "case %zu: '%s'", i, cases[i].text);
}

Test(kgw_json, deep_nesting_is_not_json_but_safe)
{
    char deep[4001];
    memset(deep, '[', 4000);
    deep[4000] = '\0';
    cr_assert_eq(kgw_json_valid(deep, 4000), 0);
}

Test(kgw_json, control_characters_escaped)
{
    kgw_buf_t b;
    kgw_buf_init(&b);
    cr_assert_eq(kgw_json_add_str(&b, "\x01\x1f\\/\t", 5, NULL), 0);
    cr_assert_str_eq(b.data, "\"\\u0001\\u001f\\\\/\\t\"");
    kgw_buf_term(&b);
}

Test(kgw_json, base64_padding)
{
    static const char *in[] = {"", "f", "fo", "foo", "foob"};
    static const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg=="};
    for (int i = 0; i < 5; i++) {
        kgw_buf_t b;
        kgw_buf_init(&b);
        cr_assert_eq(kgw_buf_add_base64(&b, in[i], strlen(in[i])), 0);
        cr_assert_str_eq(b.data ? b.data : "", out[i]);
        kgw_buf_term(&b);
    }
}

/* The byte-at-a-time escaper the word-at-a-time path must agree with. */
static void reference_string(kgw_buf_t *out, const unsigned char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[8];
    kgw_buf_add(out, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = kgw_json_utf8_seq(p + i, len - i);
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            kgw_buf_add(out, tmp, 2);
        } else if (c < 0x20) {
            const char *esc = c == '\n'   ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                              : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f"
                                          : NULL;
            if (esc) {
                kgw_buf_add(out, esc, 2);
            } else {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                kgw_buf_add(out, u, 6);
            }
        } else if (n == 0) {
            kgw_buf_add(out, "\xef\xbf\xbd", 3);
            n = 1;
        } else {
            kgw_buf_add(out, p + i, n);
        }
        i += n ? n : 1;
    }
    kgw_buf_add(out, "\"", 1);
}

Test(kgw_json, word_at_a_time_agrees_with_bytes)
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
                kgw_buf_t got, want;
                kgw_buf_init(&got);
                kgw_buf_init(&want);
                int lossy = 0;
                cr_assert_eq(kgw_json_add_str(&got, buf, len, &lossy), 0);
                reference_string(&want, buf, len);
                cr_assert_eq(got.len, want.len, "len=%zu pos=%zu byte=0x%02x", len, pos,
                             specials[k]);
                cr_assert_eq(memcmp(got.data, want.data, got.len), 0, "len=%zu pos=%zu", len, pos);
                /* Our own output is valid JSON; the raw bytes in quotes are
                 * exactly when the special byte is allowed there. */
                cr_assert(kgw_json_valid(got.data, got.len));
                unsigned char q[48];
                q[0] = '"';
                memcpy(q + 1, buf, len);
                q[len + 1] = '"';
                unsigned char c = pos < len ? specials[k] : 'a';
                int ok = c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
                cr_assert_eq(kgw_json_valid(q, len + 2), ok, "len=%zu pos=%zu byte=0x%02x", len,
                             pos, c);
                kgw_buf_term(&got);
                kgw_buf_term(&want);
            }
        }
    }
}

Test(kgw_json, nesting_limit_is_exact)
{
    char doc[2 * KGW_JSON_MAX_DEPTH + 4];
    for (size_t depth = KGW_JSON_MAX_DEPTH - 1; depth <= KGW_JSON_MAX_DEPTH + 1; depth++) {
        memset(doc, '[', depth);
        memset(doc + depth, ']', depth);
        cr_assert_eq(kgw_json_valid(doc, 2 * depth), depth <= KGW_JSON_MAX_DEPTH, "depth %zu",
                     depth);
    }
    cr_assert_eq(kgw_json_valid("{\"a\":[{\"b\":{}}],\"c\":[]}", 23), 1);
    cr_assert_eq(kgw_json_valid("{\"a\":[}", 7), 0);
    cr_assert_eq(kgw_json_valid("[1,]", 4), 0);
    cr_assert_eq(kgw_json_valid("{\"a\":1,}", 8), 0);
    cr_assert_eq(kgw_json_valid(" 1 ", 3), 1);
    cr_assert_eq(kgw_json_valid("", 0), 0);
    cr_assert_eq(kgw_json_valid(NULL, 0), 0);
}

Test(kgw_json, utf8_cut_keeps_whole_code_points)
{
    static const struct {
        const char *s;
        size_t max, want;
    } cases[] = {
        {"abc", 10, 3},
        {"abc", 2, 2},
        {"a\xc3\xa9", 2, 1},                /* inside a 2-byte sequence */
        {"a\xc3\xa9", 3, 3},                /* after it */
        {"\xe2\x82\xac\xe2\x82\xac", 4, 3}, /* inside the second euro sign */
        {"\xe2\x82\xac\xe2\x82\xac", 5, 3},
        {"\xf0\x9f\x98\x80x", 3, 0}, /* inside a 4-byte sequence */
        {"\xf0\x9f\x98\x80x", 4, 4},
        {"a\x80\x80\x80\x80\x80", 5, 5}, /* stray continuation bytes: no sequence to keep */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(kgw_json_utf8_cut(cases[i].s, strlen(cases[i].s), cases[i].max), cases[i].want,
                     "case %zu", i);
}

Test(kgw_json, put_str_cuts_on_boundaries_and_always_closes)
{
    /* Every output size of a string with escapes, multibyte and invalid
     * bytes: the result is a complete JSON string of a prefix of the input. */
    static const char in[] = "a\"\xc3\xa9\\\x01\xe2\x82\xac\xff\xf0\x9f\x98\x80z";
    kgw_buf_t full;
    kgw_buf_init(&full);
    cr_assert_eq(kgw_json_add_str(&full, in, sizeof(in) - 1, NULL), 0);
    for (size_t size = 0; size <= full.len + 2; size++) {
        char out[64];
        size_t used = 99;
        size_t n = kgw_json_put_str(out, size, in, sizeof(in) - 1, &used);
        if (size < 2) {
            cr_assert_eq(n, 0);
            continue;
        }
        cr_assert(n <= size && n >= 2, "size %zu n %zu", size, n);
        cr_assert(kgw_json_valid(out, n), "size %zu: %.*s", size, (int)n, out);
        kgw_buf_t want;
        kgw_buf_init(&want);
        kgw_json_add_str(&want, in, used, NULL);
        cr_assert_eq(n, want.len, "size %zu", size);
        cr_assert_eq(memcmp(out, want.data, n), 0, "size %zu", size);
        kgw_buf_term(&want);
        if (size > full.len)
            cr_assert_eq(used, sizeof(in) - 1);
    }
    kgw_buf_term(&full);
}

Test(kgw_json, escaper_output_parses_with_jansson)
{
    /* Invalid UTF-8 of every kind becomes U+FFFD, and lossy says so. */
    static const char *in[] = {"plain",
                               "caf\xc3\xa9",
                               "\xff",
                               "\xc3",
                               "\xed\xa0\x80",
                               "\xc0\xaf",
                               "\xf4\x90\x80\x80",
                               "\xf0\x9f\x98\x80",
                               "\x01\x7f\"\\"};
    static const int lossy_want[] = {0, 0, 1, 1, 1, 1, 1, 0, 0};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        kgw_buf_t b;
        kgw_buf_init(&b);
        int lossy = 0;
        cr_assert_eq(kgw_json_add_str(&b, in[i], strlen(in[i]), &lossy), 0);
        cr_assert_eq(lossy, lossy_want[i], "case %zu", i);
        cr_assert_eq(kgw_json_utf8_valid(in[i], strlen(in[i])), !lossy_want[i], "case %zu", i);
        json_error_t jerr;
        json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY, &jerr);
        cr_assert_not_null(j, "case %zu: %s (%s)", i, b.data, jerr.text);
        json_decref(j);
        kgw_buf_term(&b);
    }
}

Test(kgw_json, lexer_errors_name_the_byte)
{
    static const struct {
        const char *s;
        size_t pos;
        const char *err;
    } cases[] = {
        {"\"abc", 0, "unterminated string"},
        {"\"a\x01\"", 2, "control character in string"},
        {"\"ab\\q\"", 3, "invalid escape in string"},
        {"\"\\u12x4\"", 1, "invalid \\u escape"},
        {"\"x\\udc00\"", 2, "unpaired UTF-16 surrogate in \\u escape"},
        {"\"xy\xff\"", 3, "invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t pos = 0;
        int escaped;
        const char *err = kgw_json_scan_string(cases[i].s, strlen(cases[i].s), &pos, &escaped);
        cr_assert_not_null(err, "case %zu", i);
        cr_assert_str_eq(err, cases[i].err, "case %zu", i);
        cr_assert_eq(pos, cases[i].pos, "case %zu", i);
    }
    size_t pos = 0;
    int integer;
    cr_assert_null(kgw_json_scan_number("-12.5e+3,", 9, &pos, &integer));
    cr_assert_eq(pos, 8);
    cr_assert_eq(integer, 0);
    pos = 0;
    cr_assert_not_null(kgw_json_scan_number("-", 1, &pos, &integer));
    cr_assert_eq(pos, 0);
}

Test(kgw_json, buffer_steal_reset_and_numbers)
{
    kgw_buf_t b;
    kgw_buf_init(&b);
    size_t len = 7;
    cr_assert_null(kgw_buf_steal(&b, &len));
    cr_assert_eq(len, 0);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(kgw_buf_add_i64(&b, i - 500), 0);
    cr_assert_eq(kgw_buf_addf(&b, "%0300d", 1), 0); /* past the 256-byte fast path */
    cr_assert(strstr(b.data, "-500-499") == b.data);
    cr_assert_eq(b.len, strlen(b.data));
    kgw_buf_reset(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(b.data, "");
    kgw_buf_term(&b);
    cr_assert_null(b.data);
}

/* Long strings take the 16-byte path: a special byte at every offset of a 40-byte run
 * is found exactly where it is. */
Test(kgw_json, scan_string_finds_specials_at_every_offset)
{
    static const struct {
        const char *ins;
        const char *err; /* NULL: valid */
        int escaped;
    } specials[] = {
        {"\\n", NULL, 1},
        {"\xc3\xa9", NULL, 0},
        {"\x01", "control character in string", 0},
        {"\xff", "invalid UTF-8", 0},
        {"\\q", "invalid escape in string", 0},
    };
    char s[64];
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (size_t at = 1; at < 41; at++) {
            size_t ilen = strlen(specials[k].ins);
            memset(s, 'a', sizeof(s));
            s[0] = '"';
            memcpy(s + at, specials[k].ins, ilen);
            s[48] = '"';
            size_t pos = 0;
            int escaped = 0;
            const char *err = kgw_json_scan_string(s, 56, &pos, &escaped);
            if (specials[k].err) {
                cr_assert_not_null(err, "case %zu at %zu", k, at);
                cr_assert_str_eq(err, specials[k].err, "case %zu at %zu", k, at);
                cr_assert_eq(pos, at, "case %zu at %zu", k, at);
            } else {
                cr_assert_null(err, "case %zu at %zu: %s", k, at, err);
                cr_assert_eq(pos, 49, "case %zu at %zu", k, at);
                cr_assert_eq(escaped, specials[k].escaped, "case %zu at %zu", k, at);
            }
        }
    }
    size_t pos = 0;
    int escaped;
    memset(s, 'a', sizeof(s));
    s[0] = '"';
    cr_assert_str_eq(kgw_json_scan_string(s, sizeof(s), &pos, &escaped), "unterminated string");
}
