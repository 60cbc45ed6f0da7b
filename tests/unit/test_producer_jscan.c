/*
 * Unit tests for producer/jscan: validation, exact number text, compaction,
 * unescaping, integers and base64.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "producer/jscan.h"

static int parse(jscan_t *js, const char *s)
{
    return jscan_parse(js, s, strlen(s));
}

Test(jscan, accepts_valid_documents)
{
    static const char *const ok[] = {
        "{}",
        "[]",
        "0",
        "-0",
        "1.5e10",
        "\"x\"",
        "true",
        "false",
        "null",
        " {\"a\" : [1, 2, {}]} ",
        "{\"a\":\"\\u00e9\\ud83d\\ude00\\n\"}",
        "\"h\xc3\xa9\"",
        "[1e-3,-2.5E+4]",
    };
    jscan_t js;
    jscan_init(&js, 0);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect_eq(parse(&js, ok[i]), 0, "should accept %s (err %s)", ok[i],
                     js.err ? js.err : "-");
    jscan_term(&js);
}

Test(jscan, rejects_invalid_documents)
{
    static const struct {
        const char *in;
        const char *err;
    } bad[] = {
        {"", "empty document"},
        {"   ", "empty document"},
        {"{", "unexpected end of input"},
        {"{\"a\":1,}", "expected a string key in object"},
        {"[1,]", "unexpected character"},
        {"[1 2]", "expected ',' or ']' in array"},
        {"01", "unexpected data after the JSON value"},
        {"1.", "invalid number"},
        {"-", "invalid number"},
        {"\"abc", "unterminated string"},
        {"\"a\tb\"", "control character in string"},
        {"\"\\x\"", "invalid escape in string"},
        {"\"\\u12g4\"", "invalid \\u escape"},
        {"\"\\ud800\"", "unpaired UTF-16 surrogate in \\u escape"},
        {"\"\\udc00\"", "unpaired UTF-16 surrogate in \\u escape"},
        {"\"\xff\"", "invalid UTF-8"},
        {"\"\xc0\xaf\"", "invalid UTF-8"},
        {"\"\xed\xa0\x80\"", "invalid UTF-8"},
        {"tru", "unexpected character"},
        {"{1:2}", "expected a string key in object"},
        {"{\"a\" 1}", "expected ':' after an object key"},
        {"[] []", "unexpected data after the JSON value"},
    };
    jscan_t js;
    jscan_init(&js, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(parse(&js, bad[i].in), -1, "should reject '%s'", bad[i].in);
        cr_expect_str_eq(js.err ? js.err : "(none)", bad[i].err, "error for '%s'", bad[i].in);
    }
    jscan_term(&js);
}

Test(jscan, limits_nesting_depth)
{
    char deep[300];
    jscan_t js;
    jscan_init(&js, 10);
    memset(deep, '[', 10);
    memset(deep + 10, ']', 10);
    cr_expect_eq(jscan_parse(&js, deep, 20), 0);
    memset(deep, '[', 11);
    memset(deep + 11, ']', 11);
    cr_expect_eq(jscan_parse(&js, deep, 22), -1);
    cr_expect_str_eq(js.err, "nesting too deep");
    jscan_term(&js);
}

Test(jscan, finds_members_and_skips_subtrees)
{
    const char *s = "{\"a\":{\"x\":[1,2,3]},\"b\\u0063\":\"v\",\"n\":5}";
    jscan_t js;
    jscan_init(&js, 0);
    cr_assert_eq(parse(&js, s), 0);
    int b = jscan_find(&js, s, 0, "bc");
    cr_assert_geq(b, 0);
    cr_expect_eq(js.toks[b].type, JSCAN_STRING);
    int n = jscan_find(&js, s, 0, "n");
    cr_assert_geq(n, 0);
    int64_t v;
    cr_expect_eq(jscan_int64(s, &js.toks[n], 0, 10, &v), 0);
    cr_expect_eq(v, 5);
    cr_expect_eq(jscan_find(&js, s, 0, "x"), -1, "x is nested, not a member of the root");
    cr_expect_eq(js.toks[0].size, 3);
    jscan_term(&js);
}

Test(jscan, compact_keeps_exact_number_and_string_text)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"{ \"n\" : 12345678901234567890 , \"d\" : 0.1000000000000000055511151231257827 }",
         "{\"n\":12345678901234567890,\"d\":0.1000000000000000055511151231257827}"},
        {"[ 1.0 , 1e400 , -0 ]", "[1.0,1e400,-0]"},
        {"{\"s\": \" keep  spaces \\\" and \\\\ \\u00e9 \"}",
         "{\"s\":\" keep  spaces \\\" and \\\\ \\u00e9 \"}"},
        {"\"x\"", "\"x\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[256];
        size_t n = jscan_compact(cases[i].in, strlen(cases[i].in), buf);
        buf[n] = '\0';
        cr_expect_str_eq(buf, cases[i].out);
    }
}

Test(jscan, unescape_in_place)
{
    char s[] = "\"a\\n\\u00e9\\ud83d\\ude00\\/\\\"\"";
    jscan_t js;
    jscan_init(&js, 0);
    cr_assert_eq(parse(&js, s), 0);
    size_t n = jscan_unescape(s, &js.toks[0], s);
    cr_expect_eq(n, strlen("a\n\xc3\xa9\xf0\x9f\x98\x80/\""));
    cr_expect_str_eq(s, "a\n\xc3\xa9\xf0\x9f\x98\x80/\"");
    jscan_term(&js);
}

Test(jscan, int64_ranges)
{
    static const struct {
        const char *in;
        int ok;
        int64_t v;
    } cases[] = {
        {"0", 1, 0},          {"2147483647", 1, 2147483647},
        {"2147483648", 0, 0}, {"-1", 0, 0},
        {"1.0", 0, 0},        {"1e2", 0, 0},
        {"\"1\"", 0, 0},      {"99999999999999999999999", 0, 0},
    };
    jscan_t js;
    jscan_init(&js, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = -42;
        cr_assert_eq(parse(&js, cases[i].in), 0);
        int rc = jscan_int64(cases[i].in, &js.toks[0], 0, INT32_MAX, &v);
        cr_expect_eq(rc == 0, cases[i].ok, "int64 of %s", cases[i].in);
        if (cases[i].ok)
            cr_expect_eq(v, cases[i].v);
    }
    jscan_term(&js);
}

Test(jscan, base64)
{
    static const struct {
        const char *in, *out;
        int ok;
    } cases[] = {
        {"aGVsbG8=", "hello", 1}, {"aGVsbG8", "hello", 1}, {"", "", 1},       {"eHl6", "xyz", 1},
        {"aGVsbG8*", NULL, 0},    {"a", NULL, 0},          {"a===", NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[64];
        size_t n = 0;
        strcpy(buf, cases[i].in);
        int rc = jscan_base64_decode(buf, strlen(buf), buf, &n);
        cr_expect_eq(rc == 0, cases[i].ok, "base64 '%s'", cases[i].in);
        if (cases[i].ok) {
            buf[n] = '\0';
            cr_expect_str_eq(buf, cases[i].out);
        }
    }
}

/* The byte-at-a-time compaction jscan_compact() replaced by a word-at-a-time
 * one: both must give the same bytes, in place or not. */
static size_t compact_reference(const char *src, size_t len, char *dst)
{
    size_t o = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (in_str) {
            dst[o++] = c;
            if (c == '\\')
                dst[o++] = src[++i];
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '"')
            in_str = 1;
        dst[o++] = c;
    }
    return o;
}

Test(jscan, compact_matches_reference_on_long_strings)
{
    static const char *const pieces[] = {
        "abcdefgh", "\\\"", "\\\\", "\\n", "\xc3\xa9", " ", "x", "\\u00e9", "0123456789abcdefXYZ"};
    unsigned long rng = 12345;
    char src[4096], ref[4096], out[4096], inplace[4096];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0;
        int nstr = 1 + round % 4;
        for (int k = 0; k < nstr; k++) {
            rng = rng * 6364136223846793005UL + 1442695040888963407UL;
            for (unsigned b = (unsigned)(rng >> 60) % 3; b > 0; b--)
                src[len++] = b == 1 ? ' ' : '\n';
            src[len++] = '"';
            int npieces = (int)((rng >> 33) % 40);
            for (int p = 0; p < npieces; p++) {
                rng = rng * 6364136223846793005UL + 1442695040888963407UL;
                const char *piece = pieces[(rng >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
                memcpy(src + len, piece, strlen(piece));
                len += strlen(piece);
            }
            src[len++] = '"';
            src[len++] = k + 1 < nstr ? ',' : ' ';
        }
        size_t nref = compact_reference(src, len, ref);
        size_t nout = jscan_compact(src, len, out);
        cr_assert_eq(nout, nref, "round %d", round);
        cr_assert(memcmp(out, ref, nref) == 0, "round %d", round);
        memcpy(inplace, src, len);
        nout = jscan_compact(inplace, len, inplace);
        cr_assert_eq(nout, nref, "round %d in place", round);
        cr_assert(memcmp(inplace, ref, nref) == 0, "round %d in place", round);
    }
}

Test(jscan, counts_blanks_outside_strings_only)
{
    jscan_t js;
    jscan_init(&js, 0);
    cr_assert_eq(parse(&js, "{\"a\":\"x y\",\"b\":[1,2]}"), 0);
    cr_assert_eq(js.blanks, 0, "blanks inside a string do not count");
    cr_assert_eq(parse(&js, "{\"a\": \"x\",\n \"b\":[1, 2] }"), 0);
    cr_assert_eq(js.blanks, 5);
    cr_assert_eq(parse(&js, "{\"a\":1}"), 0);
    cr_assert_eq(js.blanks, 0, "reset by each parse");
    jscan_term(&js);
}
