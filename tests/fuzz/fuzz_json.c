/*
 * libFuzzer target: common/kgw_json (validator, escaper, cut) and the JSON
 * lines of common/kgw_log, against jansson as an independent strict oracle.
 *
 * Input: byte 0 picks a size for the bounded escaper and the log line; the
 * rest is the text. Oracles:
 *  - kgw_json_valid() agrees with jansson (JSON_DECODE_ANY, NUL allowed):
 *    both accept or both refuse, except numbers jansson cannot hold
 *    (it refuses 1e999; RFC 8259 allows it) and nesting past our limit.
 *  - kgw_json_add_str() output is valid for both; when the text is valid
 *    UTF-8 it decodes back to the exact bytes and `lossy` stays 0; when it
 *    is not, `lossy` is 1.
 *  - kgw_json_put_str() output fits, is valid, and is the literal of a
 *    prefix that kgw_json_utf8_cut() leaves whole.
 *  - a JSON log line of the text, at the chosen size, is one JSON object
 *    with no repeated key (JSON_REJECT_DUPLICATES) and one newline.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_json.h"
#include "common/kgw_log.h"

static int jansson_valid(const char *s, size_t n, json_error_t *jerr)
{
    json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, jerr);
    if (!j)
        return 0;
    json_decref(j);
    return 1;
}

/* Nesting deeper than KGW_JSON_MAX_DEPTH anywhere in s (outside strings,
 * counted roughly: a bracket inside a string can only add depth). */
static int too_deep(const char *s, size_t n)
{
    size_t depth = 0, max = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    return max > KGW_JSON_MAX_DEPTH;
}

static void check_validator(const char *s, size_t n)
{
    json_error_t jerr;
    int ours = kgw_json_valid(s, n);
    if (memchr(s, '\0', n)) {
        /* A raw NUL is never JSON (a control byte in a string, junk
         * outside); jansson stops reading at one, so it is no oracle here. */
        if (ours)
            abort();
        return;
    }
    int theirs = jansson_valid(s, n, &jerr);
    if (ours == theirs)
        return;
    if (ours && strstr(jerr.text, "overflow"))
        return; /* a number too large for a double: valid JSON all the same */
    if (!ours && theirs && too_deep(s, n))
        return;
    abort();
}

static void check_escaper(const char *s, size_t n)
{
    kgw_buf_t b;
    int lossy = 0;
    kgw_buf_init(&b);
    if (kgw_json_add_str(&b, s, n, &lossy))
        abort();
    if (!kgw_json_valid(b.data, b.len))
        abort();
    json_error_t jerr;
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j || !json_is_string(j))
        abort();
    int valid = kgw_json_utf8_valid(s, n);
    if (lossy == valid)
        abort(); /* lossy exactly when some byte was not UTF-8 */
    if (valid && (json_string_length(j) != n || memcmp(json_string_value(j), s, n)))
        abort(); /* valid text must come back byte for byte */
    json_decref(j);
    kgw_buf_term(&b);
}

static void check_bounded(const char *s, size_t n, size_t size)
{
    char out[512];
    size_t used;
    size_t w = kgw_json_put_str(out, size, s, n, &used);
    if (size < 2) {
        if (w != 0)
            abort();
        return;
    }
    if (w > size || used > n || !kgw_json_valid(out, w))
        abort();
    kgw_buf_t b;
    kgw_buf_init(&b);
    kgw_json_add_str(&b, s, used, NULL);
    if (b.len != w || memcmp(b.data, out, w))
        abort(); /* not the literal of the prefix it consumed */
    kgw_buf_term(&b);
    size_t cut = kgw_json_utf8_cut(s, n, size);
    if (cut > n || cut > size || (size < n && size - cut > 3))
        abort();
}

static void check_log_line(const char *s, size_t n, size_t size)
{
    char msg[4096], line[4096 + 256];
    if (n >= sizeof(msg))
        n = sizeof(msg) - 1;
    memcpy(msg, s, n);
    msg[n] = '\0'; /* messages are C strings: a NUL ends it */
    size_t len = kgw_log_format_line(line, size, KGW_LOG_JSON, KGW_LOG_WARN, "kgw-fuzz",
                                     1795255200123LL, msg);
    if (size < 4)
        return;
    if (len == 0 || len >= size || line[len - 1] != '\n' ||
        memchr(line, '\n', len) != line + len - 1)
        abort();
    json_error_t jerr;
    json_t *j = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j))
        abort();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    size_t small = data[0]; /* 0-255: the bounded escaper's room */
    check_validator(s, n);
    check_escaper(s, n);
    check_bounded(s, n, small);
    check_log_line(s, n, 64 + (size_t)data[0] * 16); /* 64-4144 bytes */
    return 0;
}
