/*
 * v3rec: see v3rec.h. Runs on the HTTP thread that owns the request. The body
 * is split into top-level objects first (strings and nesting tracked), then
 * each object is scanned with jscan twice: once to count records and
 * headers, once to fill the batch.
 */
#include "producer/v3rec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kgw_kafka.h"
#include "producer/errmap.h"

enum { T_NONE, T_JSON, T_BINARY, T_STRING };
static const char *const type_names[] = {"", "JSON", "BINARY", "STRING"};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The end of the object starting at body[start] (after blanks), or the end
 * of the input when it is unbalanced (jscan then says what is wrong).
 */
static size_t object_end(const char *body, size_t len, size_t start)
{
    int depth = 0, in_str = 0;
    for (size_t i = start; i < len; i++) {
        char c = body[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return i + 1;
        else if (depth == 0 && !is_blank(c))
            return len; /* not an object: let jscan report it */
    }
    return len;
}

static int is_absent(const jscan_t *js, int i)
{
    return i < 0 || js->toks[i].type == JSCAN_NULL;
}

static int str_is(const char *base, const jscan_tok_t *t, const char *want)
{
    size_t n = t->end - t->start - 2;
    return t->type == JSCAN_STRING && !t->escaped && n == strlen(want) &&
           memcmp(base + t->start + 1, want, n) == 0;
}

/* key or value: {"type": ..., "data": ...}. */
static int parse_data(const jscan_t *js, char *base, int i, const char *what, size_t k,
                      const char **out, size_t *outlen, unsigned char *type, parse_error_t *pe)
{
    *out = NULL;
    *outlen = 0;
    *type = T_NONE;
    if (is_absent(js, i))
        return 0;
    if (js->toks[i].type != JSCAN_OBJECT) {
        parse_error_set(pe, 400, 400, "records[%zu]: %s must be {\"type\", \"data\"}", k, what);
        return -1;
    }
    int ti = jscan_find(js, base, (size_t)i, "type");
    int di = jscan_find(js, base, (size_t)i, "data");
    *type = T_JSON;
    if (!is_absent(js, ti)) {
        const jscan_tok_t *tt = &js->toks[ti];
        if (str_is(base, tt, "JSON"))
            *type = T_JSON;
        else if (str_is(base, tt, "BINARY"))
            *type = T_BINARY;
        else if (str_is(base, tt, "STRING"))
            *type = T_STRING;
        else {
            parse_error_set(pe, 400, 400,
                            "records[%zu]: %s.type must be JSON, BINARY or STRING (schemas are "
                            "not supported)",
                            k, what);
            return -1;
        }
    }
    if (is_absent(js, di))
        return 0;
    const jscan_tok_t *d = &js->toks[di];
    char *dst = base + d->start;
    if (*type == T_JSON) {
        *out = dst;
        *outlen = jscan_compact(dst, d->end - d->start, dst);
        return 0;
    }
    if (d->type != JSCAN_STRING) {
        parse_error_set(pe, 400, 400, "records[%zu]: %s.data must be a string for type %s", k, what,
                        type_names[*type]);
        return -1;
    }
    size_t n = jscan_unescape(base, d, dst);
    if (*type == T_BINARY && jscan_base64_decode(dst, n, dst, &n)) {
        parse_error_set(pe, 400, 400, "records[%zu]: %s.data is not base64", k, what);
        return -1;
    }
    *out = dst;
    *outlen = n;
    return 0;
}

static int parse_record(const jscan_t *js, char *base, batch_t *b, batch_record_t *rec,
                        v3rec_info_t *info, size_t k, parse_error_t *pe)
{
    int partition = jscan_find(js, base, 0, "partition_id");
    int headers = jscan_find(js, base, 0, "headers");
    int timestamp = jscan_find(js, base, 0, "timestamp");

    if (!is_absent(js, partition)) {
        int64_t p;
        if (jscan_int64(base, &js->toks[partition], 0, INT32_MAX, &p)) {
            parse_error_set(pe, 400, 400,
                            "records[%zu]: partition_id must be a non-negative integer", k);
            return -1;
        }
        rec->partition = (int32_t)p;
    }
    if (!is_absent(js, timestamp)) {
        const jscan_tok_t *t = &js->toks[timestamp];
        int64_t ts;
        int bad = t->type == JSCAN_STRING
                      ? v3rec_parse_time(base + t->start + 1, t->end - t->start - 2, &ts)
                      : jscan_int64(base, t, 0, INT64_MAX, &ts);
        if (bad) {
            parse_error_set(pe, 400, 400,
                            "records[%zu]: timestamp must be an RFC 3339 date-time "
                            "(\"2024-05-01T10:00:00Z\")",
                            k);
            return -1;
        }
        rec->timestamp_ms = ts;
    }
    if (!is_absent(js, headers)) {
        const jscan_tok_t *h = &js->toks[headers];
        rec->hdr_first = b->nheaders;
        for (size_t i = (size_t)headers + 1, n = 0; n < h->size; n++, i = js->toks[i].skip) {
            int hn = jscan_find(js, base, i, "name");
            int hv = jscan_find(js, base, i, "value");
            batch_header_t *hd = &b->headers[b->nheaders++];
            if (hn < 0 || js->toks[hn].type != JSCAN_STRING ||
                (!is_absent(js, hv) && js->toks[hv].type != JSCAN_STRING)) {
                parse_error_set(pe, 400, 400,
                                "records[%zu]: headers[%zu] must be {\"name\": string, \"value\": "
                                "base64 string}",
                                k, n);
                return -1;
            }
            if (!is_absent(js, hv)) {
                const jscan_tok_t *vt = &js->toks[hv];
                char *dst = base + vt->start;
                size_t vn = jscan_unescape(base, vt, dst);
                if (jscan_base64_decode(dst, vn, dst, &hd->value_len)) {
                    parse_error_set(pe, 400, 400, "records[%zu]: headers[%zu].value is not base64",
                                    k, n);
                    return -1;
                }
                hd->value = dst;
            }
            const jscan_tok_t *nt = &js->toks[hn];
            hd->name = base + nt->start;
            hd->name_len = jscan_unescape(base, nt, base + nt->start);
        }
        rec->hdr_count = h->size;
    }
    if (parse_data(js, base, jscan_find(js, base, 0, "key"), "key", k, &rec->key, &rec->key_len,
                   &info->key_type, pe))
        return -1;
    return parse_data(js, base, jscan_find(js, base, 0, "value"), "value", k, &rec->value,
                      &rec->value_len, &info->value_type, pe);
}

/* One top-level object: scanned, checked to be an object with an array of headers. */
static int scan_one(jscan_t *js, char *base, size_t n, size_t k, size_t *nheaders,
                    parse_error_t *pe)
{
    if (jscan_parse(js, base, n)) {
        parse_error_set(pe, 400, 400, "records[%zu]: malformed JSON at byte %zu: %s", k,
                        js->err_pos, js->err);
        return -1;
    }
    if (js->toks[0].type != JSCAN_OBJECT) {
        parse_error_set(pe, 400, 400, "records[%zu]: a record must be a JSON object", k);
        return -1;
    }
    int h = jscan_find(js, base, 0, "headers");
    if (!is_absent(js, h) && js->toks[h].type != JSCAN_ARRAY) {
        parse_error_set(pe, 400, 400, "records[%zu]: headers must be an array", k);
        return -1;
    }
    *nheaders = is_absent(js, h) ? 0 : js->toks[h].size;
    return 0;
}

int v3rec_parse(jscan_t *js, char *body, size_t len, const char *topic, batch_t *b,
                v3rec_info_t **info, parse_error_t *pe)
{
    size_t count = 0, nh = 0, pos = 0, hn;
    *info = NULL;
    if (!kgw_kafka_topic_valid(topic, strlen(topic))) {
        parse_error_set(pe, 404, 404, "Topic not found (illegal topic name)");
        return -1;
    }
    for (;;) {
        while (pos < len && is_blank(body[pos]))
            pos++;
        if (pos == len)
            break;
        size_t end = object_end(body, len, pos);
        if (scan_one(js, body + pos, end - pos, count, &hn, pe))
            return -1;
        nh += hn;
        count++;
        pos = end;
    }
    if (count == 0) {
        parse_error_set(pe, 400, 400, "empty body: send a record {\"value\": {...}}");
        return -1;
    }
    *info = calloc(count, sizeof(**info));
    if (!*info || batch_alloc(b, count, nh)) {
        parse_error_set(pe, 500, 500, "out of memory");
        return -1;
    }
    b->multi = count > 1;
    pos = 0;
    for (size_t k = 0; k < count; k++) {
        while (is_blank(body[pos]))
            pos++;
        size_t end = object_end(body, len, pos);
        if (scan_one(js, body + pos, end - pos, k, &hn, pe) ||
            parse_record(js, body + pos, b, &b->records[k], &(*info)[k], k, pe))
            return -1;
        pos = end;
    }
    b->topic = topic;
    return 0;
}

void v3rec_format_time(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
}

int v3rec_parse_time(const char *s, size_t len, int64_t *ms)
{
    char buf[40];
    int y, mo, d, h, mi, sec, used = 0;
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = buf + used;
    int frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
            return -1;
        off = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t < 0)
        return -1;
    *ms = ((int64_t)t - off) * 1000 + frac;
    return 0;
}

static void add_error(sbuf_t *sb, int status, int err)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "delivery failed: %s (%s)",
             rd_kafka_err2str((rd_kafka_resp_err_t)err),
             rd_kafka_err2name((rd_kafka_resp_err_t)err));
    sbuf_addf(sb, "{\"error_code\":%d,\"message\":", status);
    sbuf_add_json_str(sb, msg, strlen(msg));
    sbuf_adds(sb, "}");
}

static void add_part(sbuf_t *sb, const char *name, unsigned char type, size_t size)
{
    if (type == T_NONE)
        sbuf_addf(sb, ",\"%s\":null", name);
    else
        sbuf_addf(sb, ",\"%s\":{\"type\":\"%s\",\"size\":%zu}", name, type_names[type], size);
}

int v3rec_prefix(const char *cluster_id, const char *topic, sbuf_t *sb)
{
    sbuf_adds(sb, "{\"error_code\":200,\"cluster_id\":");
    sbuf_add_json_str(sb, cluster_id, strlen(cluster_id));
    sbuf_adds(sb, ",\"topic_name\":");
    sbuf_add_json_str(sb, topic, strlen(topic));
    sbuf_adds(sb, ",\"partition_id\":");
    return sb->oom ? -1 : 0;
}

/* Sizes are kept in 30 bits; a record is far below 1 GiB (message.max.bytes). */
static uint32_t size30(size_t n)
{
    return n < (1u << 30) ? (uint32_t)n : (1u << 30) - 1;
}

void v3rec_result_set(v3rec_result_t *r, const batch_record_t *rec, const v3rec_info_t *info)
{
    memset(r, 0, sizeof(*r));
    r->offset = rec->out_offset;
    r->timestamp_ms = rec->out_timestamp_ms;
    r->partition = rec->out_partition;
    r->err = (int16_t)rec->err;
    r->key_type = info->key_type;
    r->key_size = size30(rec->key_len);
    r->value_type = info->value_type;
    r->value_size = size30(rec->value_len);
}

int v3rec_result_status(const v3rec_result_t *r)
{
    if (r->status)
        return r->status;
    return r->err ? errmap_http_status((rd_kafka_resp_err_t)r->err) : 200;
}

int v3rec_result_render(const v3rec_result_t *r, const char *prefix, const char *msg, sbuf_t *sb)
{
    if (r->status) {
        sbuf_addf(sb, "{\"error_code\":%d,\"message\":%s}", r->status, msg);
    } else if (r->err) {
        add_error(sb, errmap_http_status((rd_kafka_resp_err_t)r->err), r->err);
    } else {
        sbuf_adds(sb, prefix);
        sbuf_addf(sb, "%d,\"offset\":", (int)r->partition);
        if (r->offset < 0)
            sbuf_adds(sb, "null");
        else
            sbuf_add_i64(sb, r->offset);
        if (r->timestamp_ms > 0) {
            char ts[48];
            v3rec_format_time(r->timestamp_ms, ts, sizeof(ts));
            sbuf_addf(sb, ",\"timestamp\":\"%s\"", ts);
        } else {
            sbuf_adds(sb, ",\"timestamp\":null");
        }
        add_part(sb, "key", (unsigned char)r->key_type, r->key_size);
        add_part(sb, "value", (unsigned char)r->value_type, r->value_size);
        sbuf_adds(sb, "}");
    }
    return sb->oom ? -1 : 0;
}

int v3rec_render(const batch_t *b, const v3rec_info_t *info, const char *cluster_id, sbuf_t *sb)
{
    int status = 200;
    sbuf_t prefix;
    sbuf_init(&prefix);
    if (v3rec_prefix(cluster_id, b->topic, &prefix)) {
        sb->oom = 1;
        return 500;
    }
    for (size_t i = 0; i < b->count; i++) {
        v3rec_result_t r;
        v3rec_result_set(&r, &b->records[i], &info[i]);
        if (i)
            sbuf_adds(sb, "\n");
        if (b->count == 1)
            status = v3rec_result_status(&r);
        v3rec_result_render(&r, prefix.data, NULL, sb);
    }
    sbuf_term(&prefix);
    return status;
}

size_t v3rec_split(v3rec_split_t *sp, const char *p, size_t len, int *done)
{
    *done = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (sp->in_str) {
            if (sp->esc)
                sp->esc = 0;
            else if (c == '\\')
                sp->esc = 1;
            else if (c == '"')
                sp->in_str = 0;
            continue;
        }
        if (c == '"') {
            sp->in_str = 1;
        } else if (c == '{' || c == '[') {
            sp->depth++;
        } else if ((c == '}' || c == ']') && sp->depth > 0 && --sp->depth == 0) {
            *done = 1;
            return i + 1;
        }
    }
    return len;
}

static void record_reset(batch_t *b, batch_record_t *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->partition = BATCH_PARTITION_ANY;
    rec->out_partition = -1;
    rec->out_offset = -1;
    rec->batch = b;
}

int v3rec_parse_spans(jscan_t *js, char *text, const v3rec_span_t *spans, size_t n,
                      size_t first_seq, size_t max_bytes, const char *topic, batch_t *b,
                      v3rec_info_t *info, uint32_t *pos, v3rec_refused_cb *refused, void *opaque)
{
    size_t good = 0, nh = 0, hn, j = 0;
    parse_error_t pe;
    for (size_t i = 0; i < n; i++) {
        if (!spans[i].too_large &&
            scan_one(js, text + spans[i].start, spans[i].len, first_seq + i, &hn, &pe) == 0) {
            good++;
            nh += hn;
        }
    }
    if (batch_alloc(b, good, nh))
        return -1;
    b->topic = topic;
    b->multi = 1;
    for (size_t i = 0; i < n; i++) {
        const v3rec_span_t *sp = &spans[i];
        char *base = text + sp->start;
        size_t seq = first_seq + i, nheaders = b->nheaders;
        if (sp->too_large) {
            parse_error_set(&pe, 413, 413,
                            "records[%zu]: record too large: %zu bytes, the limit is %zu", seq,
                            sp->too_large, max_bytes);
            refused(opaque, seq, &pe);
            continue;
        }
        if (scan_one(js, base, sp->len, seq, &hn, &pe)) {
            refused(opaque, seq, &pe);
            continue;
        }
        record_reset(b, &b->records[j]);
        memset(&info[j], 0, sizeof(info[j]));
        if (parse_record(js, base, b, &b->records[j], &info[j], seq, &pe)) {
            b->nheaders = nheaders; /* the slot and its headers go to the next record */
            refused(opaque, seq, &pe);
            continue;
        }
        pos[j++] = (uint32_t)i;
    }
    b->count = j;
    return 0;
}
