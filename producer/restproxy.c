/*
 * restproxy: see restproxy.h. Runs on the HTTP thread that owns the request.
 */
#include "producer/restproxy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kgw_kafka.h"
#include "producer/errmap.h"

/* Compares the media type (before any ';') case-insensitively. */
static int media_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    if (strncasecmp(ct, type, n) != 0)
        return 0;
    const char *rest = ct + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

restproxy_format_t restproxy_format(const char *ct)
{
    if (!ct)
        return RESTPROXY_NONE;
    while (*ct == ' ')
        ct++;
    if (media_is(ct, "application/vnd.kafka.json.v2+json") || media_is(ct, "application/json"))
        return RESTPROXY_JSON;
    if (media_is(ct, "application/vnd.kafka.binary.v2+json") ||
        media_is(ct, "application/vnd.kafka.v2+json"))
        return RESTPROXY_BINARY;
    if (media_is(ct, "application/octet-stream") || media_is(ct, "text/plain"))
        return RESTPROXY_RAW;
    return RESTPROXY_NONE;
}

int restproxy_raw(const char *body, size_t len, const char *topic, const char *key,
                  const char *partition, int32_t path_partition, batch_t *b, parse_error_t *pe)
{
    if (!kgw_kafka_topic_valid(topic, strlen(topic))) {
        parse_error_set(pe, 404, 40401, "Topic not found (illegal topic name)");
        return -1;
    }
    int32_t part = path_partition;
    if (part < 0 && partition) {
        char *end;
        errno = 0;
        long v = strtol(partition, &end, 10);
        if (errno || end == partition || *end || v < 0 || v > INT32_MAX) {
            parse_error_set(pe, 422, 42201, "?partition= must be a non-negative integer");
            return -1;
        }
        part = (int32_t)v;
    }
    if (batch_alloc(b, 1, 0)) {
        parse_error_set(pe, 500, 50001, "out of memory");
        return -1;
    }
    batch_record_t *rec = &b->records[0];
    rec->value = body ? body : "";
    rec->value_len = len;
    if (key) {
        rec->key = key;
        rec->key_len = strlen(key);
    }
    if (part >= 0)
        rec->partition = part;
    b->topic = topic;
    return 0;
}

int restproxy_route(const char *path, const char **topic, size_t *topic_len, int32_t *partition)
{
    static const char prefix[] = "/topics/";
    if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
        return -1;
    const char *t = path + sizeof(prefix) - 1;
    const char *slash = strchr(t, '/');
    *topic = t;
    *partition = -1;
    if (!slash) {
        *topic_len = strlen(t);
        return *topic_len ? 0 : -1;
    }
    *topic_len = (size_t)(slash - t);
    if (*topic_len == 0)
        return -1;
    static const char parts[] = "/partitions/";
    if (strncmp(slash, parts, sizeof(parts) - 1) != 0)
        return -1;
    const char *p = slash + sizeof(parts) - 1;
    char *end;
    if (*p < '0' || *p > '9')
        return -2;
    long v = strtol(p, &end, 10);
    if (*end != '\0' || v < 0 || v > INT32_MAX)
        return -2;
    *partition = (int32_t)v;
    return 0;
}

static int is_absent(const jscan_t *js, int i)
{
    return i < 0 || js->toks[i].type == JSCAN_NULL;
}

/* Decodes a base64 string token in place. */
static int b64_inplace(const jscan_t *js, char *body, int i, const char **out, size_t *outlen)
{
    const jscan_tok_t *t = &js->toks[i];
    if (t->type != JSCAN_STRING)
        return -1;
    char *dst = body + t->start;
    size_t n = jscan_unescape(body, t, dst);
    if (jscan_base64_decode(dst, n, dst, outlen))
        return -1;
    *out = dst;
    return 0;
}

/* Key or value of one record. */
static int parse_data(const jscan_t *js, char *body, int i, restproxy_format_t fmt,
                      const char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (is_absent(js, i))
        return 0;
    if (fmt == RESTPROXY_BINARY)
        return b64_inplace(js, body, i, out, outlen);
    const jscan_tok_t *t = &js->toks[i];
    *out = body + t->start;
    /* No blank outside strings in the body: the value is already compact. */
    *outlen = js->blanks ? jscan_compact(body + t->start, t->end - t->start, body + t->start)
                         : t->end - t->start;
    return 0;
}

static int parse_record(const jscan_t *js, char *body, size_t obj, restproxy_format_t fmt,
                        int32_t path_partition, batch_t *b, batch_record_t *rec, size_t k,
                        parse_error_t *pe)
{
    int key = jscan_find(js, body, obj, "key");
    int value = jscan_find(js, body, obj, "value");
    int partition = jscan_find(js, body, obj, "partition");
    int headers = jscan_find(js, body, obj, "headers");
    int timestamp = jscan_find(js, body, obj, "timestamp");

    if (path_partition >= 0) {
        rec->partition = path_partition;
    } else if (!is_absent(js, partition)) {
        int64_t p;
        if (jscan_int64(body, &js->toks[partition], 0, INT32_MAX, &p)) {
            parse_error_set(pe, 422, 42201,
                            "records[%zu]: partition must be a non-negative integer", k);
            return -1;
        }
        rec->partition = (int32_t)p;
    }
    if (!is_absent(js, timestamp)) {
        int64_t ts;
        if (jscan_int64(body, &js->toks[timestamp], 0, INT64_MAX, &ts)) {
            parse_error_set(pe, 422, 42201,
                            "records[%zu]: timestamp must be epoch milliseconds (an integer)", k);
            return -1;
        }
        rec->timestamp_ms = ts;
    }
    if (!is_absent(js, headers)) {
        const jscan_tok_t *h = &js->toks[headers];
        if (h->type != JSCAN_ARRAY) {
            parse_error_set(pe, 422, 42201,
                            "records[%zu]: headers must be an array of {\"key\", \"value\"}", k);
            return -1;
        }
        rec->hdr_first = b->nheaders;
        for (size_t i = (size_t)headers + 1, n = 0; n < h->size; n++, i = js->toks[i].skip) {
            int hk = jscan_find(js, body, i, "key");
            int hv = jscan_find(js, body, i, "value");
            if (js->toks[i].type != JSCAN_OBJECT || hk < 0 || js->toks[hk].type != JSCAN_STRING) {
                parse_error_set(pe, 422, 42201,
                                "records[%zu]: headers[%zu] must be {\"key\": string, \"value\": "
                                "base64 string}",
                                k, n);
                return -1;
            }
            batch_header_t *hd = &b->headers[b->nheaders++];
            if (!is_absent(js, hv) && b64_inplace(js, body, hv, &hd->value, &hd->value_len)) {
                parse_error_set(pe, 422, 42201, "records[%zu]: headers[%zu].value is not base64", k,
                                n);
                return -1;
            }
            const jscan_tok_t *kt = &js->toks[hk];
            hd->name = body + kt->start;
            hd->name_len = jscan_unescape(body, kt, body + kt->start);
        }
        rec->hdr_count = h->size;
    }
    if (parse_data(js, body, key, fmt, &rec->key, &rec->key_len)) {
        parse_error_set(pe, 422, 42201, "records[%zu]: key is not a base64 string", k);
        return -1;
    }
    if (parse_data(js, body, value, fmt, &rec->value, &rec->value_len)) {
        parse_error_set(pe, 422, 42202, "records[%zu]: value is not a base64 string", k);
        return -1;
    }
    return 0;
}

int restproxy_parse(jscan_t *js, char *body, size_t len, restproxy_format_t fmt, const char *topic,
                    int32_t path_partition, batch_t *b, parse_error_t *pe)
{
    if (!kgw_kafka_topic_valid(topic, strlen(topic))) {
        parse_error_set(pe, 404, 40401, "Topic not found (illegal topic name)");
        return -1;
    }
    if (len == 0) {
        parse_error_set(pe, 400, 400, "empty body: send {\"records\": [...]}");
        return -1;
    }
    if (jscan_parse(js, body, len)) {
        parse_error_set(pe, 400, 400, "malformed JSON at byte %zu: %s", js->err_pos, js->err);
        return -1;
    }
    int records = js->toks[0].type == JSCAN_OBJECT ? jscan_find(js, body, 0, "records") : -1;
    if (records < 0 || js->toks[records].type != JSCAN_ARRAY || js->toks[records].size == 0) {
        parse_error_set(pe, 422, 42201, "the body must be {\"records\": [...]} with records");
        return -1;
    }
    const jscan_tok_t *rt = &js->toks[records];
    size_t nh = 0;
    for (size_t i = (size_t)records + 1, k = 0; k < rt->size; k++, i = js->toks[i].skip) {
        if (js->toks[i].type != JSCAN_OBJECT) {
            parse_error_set(pe, 422, 42201, "records[%zu]: must be an object", k);
            return -1;
        }
        int h = jscan_find(js, body, i, "headers");
        if (h >= 0 && js->toks[h].type == JSCAN_ARRAY)
            nh += js->toks[h].size;
    }
    if (batch_alloc(b, rt->size, nh)) {
        parse_error_set(pe, 500, 50001, "out of memory");
        return -1;
    }
    b->multi = 1;
    for (size_t i = (size_t)records + 1, k = 0; k < rt->size; k++, i = js->toks[i].skip)
        if (parse_record(js, body, i, fmt, path_partition, b, &b->records[k], k, pe))
            return -1;
    b->topic = topic;
    return 0;
}

int restproxy_render(const batch_t *b, kgw_buf_t *sb)
{
    size_t failed = batch_failed(b);
    if (failed == b->count) {
        int code = errmap_rest_code((rd_kafka_resp_err_t)b->records[0].err);
        if (code == 40401 || code == 40402) {
            restproxy_render_error(sb, code,
                                   code == 40401 ? "Topic not found" : "Partition not found");
            return 404;
        }
    }
    kgw_buf_adds(sb, "{\"key_schema_id\":null,\"value_schema_id\":null,\"offsets\":[");
    for (size_t i = 0; i < b->count; i++) {
        const batch_record_t *r = &b->records[i];
        if (i)
            kgw_buf_adds(sb, ",");
        if (!r->err) {
            /* librdkafka reports no offset (-1001) when the broker
             * acknowledged a retry as a duplicate: delivered, offset unknown. */
            kgw_buf_adds(sb, "{\"partition\":");
            kgw_buf_add_i64(sb, r->out_partition);
            kgw_buf_adds(sb, ",\"offset\":");
            if (r->out_offset < 0)
                kgw_buf_adds(sb, "null");
            else
                kgw_buf_add_i64(sb, r->out_offset);
            kgw_buf_adds(sb, ",\"error_code\":null,\"error\":null}");
            continue;
        }
        const char *msg = rd_kafka_err2str((rd_kafka_resp_err_t)r->err);
        kgw_buf_addf(sb, "{\"partition\":null,\"offset\":null,\"error_code\":%d,\"error\":",
                     errmap_rest_code((rd_kafka_resp_err_t)r->err));
        kgw_json_add_str(sb, msg, strlen(msg), NULL);
        kgw_buf_adds(sb, "}");
    }
    kgw_buf_adds(sb, "]}");
    return 200;
}

void restproxy_render_error(kgw_buf_t *sb, int code, const char *msg)
{
    kgw_buf_addf(sb, "{\"error_code\":%d,\"message\":", code);
    kgw_json_add_str(sb, msg, strlen(msg), NULL);
    kgw_buf_adds(sb, ",\"error\":");
    kgw_json_add_str(sb, msg, strlen(msg), NULL);
    kgw_buf_adds(sb, "}");
}
