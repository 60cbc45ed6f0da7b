/*
 * record: the JSON body of one record (see record.h). The byte work
 * (validation, escaping, base64, the buffer) is common/kgw_json's; this
 * module decides the shape: a valid JSON value embedded verbatim, anything
 * else wrapped, exact base64 copies where escaping replaced bytes, repeated
 * header names grouped into arrays. Any thread; owns nothing but the
 * buffers its caller hands in (and, for records with many headers, a
 * scratch array freed before returning).
 */
#include "consumer/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kgw_fmt.h"

/* A literal's length is known at compile time: no strlen per piece. */
#define append_str(b, lit) kgw_buf_add((b), (lit), sizeof(lit) - 1)

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
    if (kgw_json_valid(rv->value, rv->value_len))
        return kgw_buf_add(out, rv->value, rv->value_len);
    int lossy = 0;
    if (append_str(out, "{\"raw_message\":") ||
        kgw_json_add_str(out, rv->value, rv->value_len, &lossy))
        return -1;
    if (lossy && (append_str(out, ",\"raw_message_base64\":\"") ||
                  kgw_buf_add_base64(out, rv->value, rv->value_len) || append_str(out, "\"")))
        return -1;
    return append_str(out, "}");
}

/* --- headers ---------------------------------------------------------------- */

/* The next unit of a name as it appears in the JSON: a valid sequence, or
 * U+FFFD for an invalid byte. Returns its bytes and length; *i moves on. */
static const unsigned char *name_unit(const unsigned char *p, size_t len, size_t *i, size_t *n)
{
    size_t l = kgw_json_utf8_seq(p + *i, len - *i);
    if (l == 0) {
        *i += 1;
        *n = 3;
        return (const unsigned char *)"\xef\xbf\xbd";
    }
    const unsigned char *u = p + *i;
    *i += l;
    *n = l;
    return u;
}

/* True when two names print as the same JSON key. Valid UTF-8 prints as
 * itself, so two valid names compare as bytes; only a name with invalid
 * bytes needs the walk (U+FFFD in place of each). */
static int names_equal(const record_header_t *a, int a_valid, const record_header_t *b, int b_valid)
{
    if (a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0)
        return 1;
    if (a_valid && b_valid)
        return 0;
    const unsigned char *pa = (const unsigned char *)a->name, *pb = (const unsigned char *)b->name;
    size_t ia = 0, ib = 0;
    while (ia < a->name_len && ib < b->name_len) {
        size_t na, nb;
        const unsigned char *ua = name_unit(pa, a->name_len, &ia, &na);
        const unsigned char *ub = name_unit(pb, b->name_len, &ib, &nb);
        if (na != nb || memcmp(ua, ub, na))
            return 0;
    }
    return ia == a->name_len && ib == b->name_len;
}

/* FNV-1a of the name as it prints, so names_equal() names hash alike. */
static uint64_t name_hash(const record_header_t *h, int valid)
{
    const unsigned char *p = (const unsigned char *)h->name;
    uint64_t x = 0xcbf29ce484222325ull;
    size_t i = 0;
    while (i < h->name_len) {
        size_t n = 1;
        const unsigned char *u = valid ? p + i++ : name_unit(p, h->name_len, &i, &n);
        for (size_t k = 0; k < n; k++)
            x = (x ^ u[k]) * 0x100000001b3ull;
    }
    return x;
}

#define NONE           SIZE_MAX
#define INLINE_HEADERS 16

/* Most names are ASCII: an OR of their bytes settles that cheaply. */
static int has_high_byte(const char *s, size_t len)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        acc |= v;
    }
    for (; i < len; i++)
        acc |= (unsigned char)s[i];
    return (acc & 0x8080808080808080ull) != 0;
}

/* Per-header scratch of encode_headers(). */
typedef struct hslot {
    size_t next;         /* the next header with this name, or NONE */
    size_t tail;         /* at a name's first header: its last one */
    unsigned char first; /* the first header with its name */
    unsigned char valid; /* the name is valid UTF-8 */
} hslot_t;

/* Links header i to the group of `lead` when their names match. */
static int join(const record_header_t *h, hslot_t *hs, size_t lead, size_t i)
{
    if (!names_equal(&h[lead], hs[lead].valid, &h[i], hs[i].valid))
        return 0;
    hs[hs[lead].tail].next = i;
    hs[lead].tail = i;
    hs[i].first = 0;
    return 1;
}

/*
 * Links the headers that share a name, in record order. Few headers (the
 * usual case) are compared pairwise; more go through an open-addressing
 * table keyed by name_hash() (tsize slots, a power of two >= 2 * count), so
 * thousands of headers stay linear.
 */
static void group_headers(const record_header_t *h, size_t count, hslot_t *hs, size_t *table,
                          size_t tsize)
{
    for (size_t i = 0; i < count; i++) {
        hs[i].next = NONE;
        hs[i].tail = i;
        hs[i].first = 1;
        hs[i].valid = !has_high_byte(h[i].name, h[i].name_len) ||
                      kgw_json_utf8_valid(h[i].name, h[i].name_len);
    }
    if (!table) {
        for (size_t i = 1; i < count; i++)
            for (size_t j = 0; j < i; j++)
                if (hs[j].first && join(h, hs, j, i))
                    break;
        return;
    }
    for (size_t t = 0; t < tsize; t++)
        table[t] = NONE;
    for (size_t i = 0; i < count; i++) {
        size_t t = (size_t)name_hash(&h[i], hs[i].valid) & (tsize - 1);
        for (; table[t] != NONE; t = (t + 1) & (tsize - 1))
            if (join(h, hs, table[t], i))
                break;
        if (hs[i].first)
            table[t] = i;
    }
}

static int encode_header_value(const record_header_t *h, record_buf_t *out, int *lossy)
{
    if (!h->value)
        return append_str(out, "null");
    return kgw_json_add_str(out, h->value, h->value_len, lossy);
}

/* "headers_base64": every header, in order, as exact base64. */
static int encode_headers_base64(const record_view_t *rv, record_buf_t *out)
{
    if (append_str(out, ",\"headers_base64\":["))
        return -1;
    for (size_t i = 0; i < rv->header_count; i++) {
        const record_header_t *h = &rv->headers[i];
        if ((i && append_str(out, ",")) || append_str(out, "{\"name\":\"") ||
            kgw_buf_add_base64(out, h->name, h->name_len) || append_str(out, "\",\"value\":"))
            return -1;
        if (!h->value ? append_str(out, "null")
                      : (append_str(out, "\"") || kgw_buf_add_base64(out, h->value, h->value_len) ||
                         append_str(out, "\"")))
            return -1;
        if (append_str(out, "}"))
            return -1;
    }
    return append_str(out, "]");
}

static int encode_headers(const record_view_t *rv, record_buf_t *out)
{
    size_t count = rv->header_count;
    hslot_t inline_hs[INLINE_HEADERS], *hs = inline_hs;
    size_t *table = NULL, tsize = 0;
    void *heap = NULL;
    int lossy = 0, rc = -1;

    if (count > INLINE_HEADERS) {
        tsize = 1;
        while (tsize < 2 * count)
            tsize *= 2;
        heap = malloc(count * sizeof(hslot_t) + tsize * sizeof(size_t));
        if (!heap)
            return -1;
        hs = heap;
        table = (size_t *)(hs + count);
    }
    group_headers(rv->headers, count, hs, table, tsize);
    /* A name grouped under an equal-printing one is not printed itself: its
     * bytes survive only in headers_base64. */
    for (size_t i = 0; i < count && !lossy; i++)
        lossy = !hs[i].valid;

    if (append_str(out, ",\"headers\":{"))
        goto out;
    int comma = 0;
    for (size_t i = 0; i < count; i++) {
        const record_header_t *h = &rv->headers[i];
        if (!hs[i].first)
            continue;
        if ((comma && append_str(out, ",")) ||
            kgw_json_add_str(out, h->name, h->name_len, &lossy) || append_str(out, ":"))
            goto out;
        comma = 1;
        if (hs[i].next == NONE) {
            if (encode_header_value(h, out, &lossy))
                goto out;
            continue;
        }
        if (append_str(out, "["))
            goto out;
        for (size_t k = i; k != NONE; k = hs[k].next)
            if ((k != i && append_str(out, ",")) ||
                encode_header_value(&rv->headers[k], out, &lossy))
                goto out;
        if (append_str(out, "]"))
            goto out;
    }
    if (append_str(out, "}") || (lossy && encode_headers_base64(rv, out)))
        goto out;
    rc = 0;
out:
    free(heap);
    return rc;
}

int record_encode(const record_view_t *rv, record_buf_t *out)
{
    char num[96];
    int lossy = 0;

    if (append_str(out, "{\"topic\":") || kgw_json_add_str(out, rv->topic, strlen(rv->topic), NULL))
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
    if (kgw_buf_add(out, num, (size_t)(w - num)))
        return -1;
    if (!rv->key ? append_str(out, "null") : kgw_json_add_str(out, rv->key, rv->key_len, &lossy))
        return -1;
    if (lossy && (append_str(out, ",\"key_base64\":\"") ||
                  kgw_buf_add_base64(out, rv->key, rv->key_len) || append_str(out, "\"")))
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
        if (kgw_buf_add(out, ts, n + 1))
            return -1;
    } else if (append_str(out, "null")) {
        return -1;
    }
    if (encode_headers(rv, out))
        return -1;
    return append_str(out, "}");
}
