/*
 * record: the JSON body of one record (see record.h). Pure byte work: a
 * strict JSON validator (so valid values are embedded verbatim, without a
 * parse tree or re-serialisation), a JSON string escaper with a deterministic
 * rule for invalid UTF-8, base64, and timestamp formatting. Any thread; owns
 * nothing but the buffers its caller hands in.
 */
#include "consumer/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kgw_fmt.h"

void record_buf_init(record_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void record_buf_reset(record_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void record_buf_term(record_buf_t *b)
{
    free(b->data);
    record_buf_init(b);
}

static int reserve(record_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int record_buf_append(record_buf_t *b, const void *p, size_t n)
{
    if (reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int append_str(record_buf_t *b, const char *s)
{
    return record_buf_append(b, s, strlen(s));
}

size_t record_utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && p[1] < 0xa0) /* overlong */
            return 0;
        if (c == 0xed && p[1] >= 0xa0) /* UTF-16 surrogate */
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90) /* overlong */
            return 0;
        if (c == 0xf4 && p[1] >= 0x90) /* above U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Non-zero when any of the 8 bytes of `v` needs the byte-wise path: a
 * control byte (< 0x20), '"', '\\' or a non-ASCII byte. The bit hacks'
 * hasless(x, n) = (x - ONES * n) & ~x & HIGHS: a byte's high bit ends up set
 * only if some byte (this one or, through a borrow, a lower one) is below
 * n, so the test never misses one; haszero(x) is hasless(x, 1). */
static inline uint64_t word_special(uint64_t v)
{
    uint64_t q = v ^ (ONES * '"');
    uint64_t b = v ^ (ONES * '\\');
    return (((v - ONES * 0x20) & ~v) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | v) & HIGHS;
}

int record_json_string(record_buf_t *out, const void *s, size_t len, int *lossy)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = s;
    /* Worst case per input byte is 6 output bytes (\u00XX); reserve once. */
    if (reserve(out, len * 6 + 2))
        return -1;
    char *w = out->data + out->len;
    *w++ = '"';
    size_t i = 0;
    while (i < len) {
        while (len - i >= 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            if (word_special(v))
                break;
            memcpy(w, &v, 8);
            w += 8;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *w++ = (char)c;
            i++;
            continue;
        }
        if (c < 0x80) {
            *w++ = '\\';
            switch (c) {
            case '"':
                *w++ = '"';
                break;
            case '\\':
                *w++ = '\\';
                break;
            case '\n':
                *w++ = 'n';
                break;
            case '\r':
                *w++ = 'r';
                break;
            case '\t':
                *w++ = 't';
                break;
            case '\b':
                *w++ = 'b';
                break;
            case '\f':
                *w++ = 'f';
                break;
            default:
                *w++ = 'u';
                *w++ = '0';
                *w++ = '0';
                *w++ = hex[c >> 4];
                *w++ = hex[c & 15];
            }
            i++;
            continue;
        }
        size_t n = record_utf8_seq(p + i, len - i);
        if (n == 0) {
            /* U+FFFD REPLACEMENT CHARACTER for this one byte (3 bytes <= 6). */
            *w++ = (char)0xef;
            *w++ = (char)0xbf;
            *w++ = (char)0xbd;
            if (lossy)
                *lossy = 1;
            i++;
            continue;
        }
        memcpy(w, p + i, n);
        w += n;
        i += n;
    }
    *w++ = '"';
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return 0;
}

int record_base64(record_buf_t *out, const void *s, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = s;
    if (reserve(out, (len + 2) / 3 * 4))
        return -1;
    char *w = out->data + out->len;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *w++ = tab[v >> 18];
        *w++ = tab[(v >> 12) & 63];
        *w++ = tab[(v >> 6) & 63];
        *w++ = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *w++ = tab[v >> 18];
        *w++ = tab[(v >> 12) & 63];
        *w++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* --- strict JSON validation (RFC 8259) ----------------------------------- */

typedef struct {
    const unsigned char *p, *end;
    int depth;
} scan_t;

#define MAX_DEPTH 256

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The value of the 4 hex digits at p, or -1 when they are not (all) there. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
    long v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        if (!is_hex(c))
            return -1;
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static int scan_string(scan_t *s)
{
    s->p++; /* opening quote */
    while (s->p < s->end) {
        /* Plain runs (printable ASCII) a word at a time: the bulk of most
         * payloads, and this scan was ~20% of a record's cost. */
        while (s->end - s->p >= 8) {
            uint64_t v;
            memcpy(&v, s->p, 8);
            if (word_special(v))
                break;
            s->p += 8;
        }
        if (s->p >= s->end)
            break;
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (s->end - s->p < 2)
                return -1;
            c = s->p[1];
            if (c == 'u') {
                /* A UTF-16 surrogate must come as a high-low pair: RFC 8259's
                 * grammar lets a lone one through but calls the result
                 * unpredictable, and strict receivers (and kgw-producer)
                 * refuse it, so such a value is wrapped, not embedded. */
                long u = hex4(s->p + 2, s->end);
                if (u < 0)
                    return -1;
                s->p += 6;
                if (u >= 0xdc00 && u <= 0xdfff)
                    return -1;
                if (u >= 0xd800 && u <= 0xdbff) {
                    long lo = (s->end - s->p >= 2 && s->p[0] == '\\' && s->p[1] == 'u')
                                  ? hex4(s->p + 2, s->end)
                                  : -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return -1;
                    s->p += 6;
                }
            } else if (c && strchr("\"\\/bfnrt", c)) {
                s->p += 2;
            } else {
                return -1;
            }
            continue;
        }
        size_t n = record_utf8_seq(s->p, (size_t)(s->end - s->p));
        if (n == 0)
            return -1;
        s->p += n;
    }
    return -1;
}

static int scan_digits(scan_t *s)
{
    const unsigned char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start ? 0 : -1;
}

static int scan_number(scan_t *s)
{
    if (*s->p == '-')
        s->p++;
    if (s->p >= s->end)
        return -1;
    if (*s->p == '0')
        s->p++;
    else if (scan_digits(s))
        return -1;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (scan_digits(s))
            return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (scan_digits(s))
            return -1;
    }
    return 0;
}

static int scan_literal(scan_t *s, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
        return -1;
    s->p += n;
    return 0;
}

static int scan_value(scan_t *s);

static int scan_container(scan_t *s, unsigned char close, int object)
{
    if (++s->depth > MAX_DEPTH)
        return -1;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        return 0;
    }
    for (;;) {
        skip_ws(s);
        if (object) {
            if (s->p >= s->end || *s->p != '"' || scan_string(s))
                return -1;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return -1;
            s->p++;
        }
        if (scan_value(s))
            return -1;
        skip_ws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p == close) {
            s->p++;
            s->depth--;
            return 0;
        }
        return -1;
    }
}

static int scan_value(scan_t *s)
{
    skip_ws(s);
    if (s->p >= s->end)
        return -1;
    switch (*s->p) {
    case '{':
        return scan_container(s, '}', 1);
    case '[':
        return scan_container(s, ']', 0);
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return -1;
    }
}

int record_is_json(const void *p, size_t len)
{
    scan_t s = {p, (const unsigned char *)p + len, 0};
    if (!p || len == 0 || scan_value(&s))
        return 0;
    skip_ws(&s);
    return s.p == s.end;
}

/* --- the body -------------------------------------------------------------- */

void record_format_time(char *buf, size_t size, int64_t ts_ms)
{
    /* Consecutive records mostly share their second: gmtime_r and the
     * formatting of the date are done once per second (per thread). */
    static _Thread_local time_t cached_secs = -1;
    static _Thread_local char cached[48];
    static _Thread_local size_t cached_len;
    time_t secs = (time_t)(ts_ms / 1000);
    int ms = (int)(ts_ms % 1000);
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    if (secs != cached_secs) {
        struct tm tm;
        gmtime_r(&secs, &tm);
        int n = snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (n < 0 || (size_t)n >= sizeof(cached) - 6) {
            snprintf(buf, size, "%s.%03dZ", n < 0 ? "" : cached, ms);
            return;
        }
        cached_len = (size_t)n;
        cached_secs = secs;
    }
    if (size < cached_len + 6) {
        snprintf(buf, size, "%s.%03dZ", cached, ms);
        return;
    }
    memcpy(buf, cached, cached_len);
    char *w = buf + cached_len;
    *w++ = '.';
    *w++ = (char)('0' + ms / 100);
    *w++ = (char)('0' + ms / 10 % 10);
    *w++ = (char)('0' + ms % 10);
    *w++ = 'Z';
    *w = '\0';
}

int record_webhook_id(char *buf, size_t size, const char *topic, int32_t partition, int64_t offset)
{
    size_t tlen = strlen(topic);
    if (size < tlen + 44) { /* '-', 11 digits, '-', 20 digits, NUL */
        int n = snprintf(buf, size, "%s-%" PRId32 "-%" PRId64, topic, partition, offset);
        return n < 0 || (size_t)n >= size ? -1 : 0;
    }
    char *w = buf;
    memcpy(w, topic, tlen);
    w += tlen;
    *w++ = '-';
    w += kgw_fmt_i64(w, partition);
    *w++ = '-';
    w += kgw_fmt_i64(w, offset);
    *w = '\0';
    return 0;
}

static int encode_value(const record_view_t *rv, record_buf_t *out)
{
    if (!rv->value)
        return append_str(out, "null");
    if (record_is_json(rv->value, rv->value_len))
        return record_buf_append(out, rv->value, rv->value_len);
    int lossy = 0;
    if (append_str(out, "{\"raw_message\":") ||
        record_json_string(out, rv->value, rv->value_len, &lossy))
        return -1;
    if (lossy && (append_str(out, ",\"raw_message_base64\":\"") ||
                  record_base64(out, rv->value, rv->value_len) || append_str(out, "\"")))
        return -1;
    return append_str(out, "}");
}

int record_encode(const record_view_t *rv, record_buf_t *out)
{
    char num[96];
    int lossy = 0;

    if (append_str(out, "{\"topic\":") ||
        record_json_string(out, rv->topic, strlen(rv->topic), NULL))
        return -1;
    static const char part[] = ",\"partition\":", off[] = ",\"offset\":", key[] = ",\"key\":";
    char *w = num;
    memcpy(w, part, sizeof(part) - 1);
    w += sizeof(part) - 1;
    w += kgw_fmt_i64(w, rv->partition);
    memcpy(w, off, sizeof(off) - 1);
    w += sizeof(off) - 1;
    w += kgw_fmt_i64(w, rv->offset);
    memcpy(w, key, sizeof(key) - 1);
    w += sizeof(key) - 1;
    if (record_buf_append(out, num, (size_t)(w - num)))
        return -1;
    if (!rv->key ? append_str(out, "null") : record_json_string(out, rv->key, rv->key_len, &lossy))
        return -1;
    if (lossy && (append_str(out, ",\"key_base64\":\"") ||
                  record_base64(out, rv->key, rv->key_len) || append_str(out, "\"")))
        return -1;
    if (append_str(out, ",\"value\":") || encode_value(rv, out) ||
        append_str(out, ",\"timestamp\":"))
        return -1;
    if (rv->timestamp_ms >= 0) {
        char ts[40];
        ts[0] = '"';
        record_format_time(ts + 1, sizeof(ts) - 2, rv->timestamp_ms);
        size_t n = strlen(ts);
        ts[n] = '"';
        if (record_buf_append(out, ts, n + 1))
            return -1;
    } else if (append_str(out, "null")) {
        return -1;
    }
    if (append_str(out, ",\"headers\":{"))
        return -1;
    for (size_t i = 0; i < rv->header_count; i++) {
        const record_header_t *h = &rv->headers[i];
        if ((i && append_str(out, ",")) || record_json_string(out, h->name, h->name_len, NULL) ||
            append_str(out, ":") ||
            (!h->value ? append_str(out, "null")
                       : record_json_string(out, h->value, h->value_len, NULL)))
            return -1;
    }
    return append_str(out, "}}");
}
