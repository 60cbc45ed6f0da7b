/*
 * envelope: see envelope.h. Runs on the HTTP thread that owns the request.
 */
#include "producer/envelope.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/kgw_kafka.h"
#include "producer/errmap.h"

static int is_absent(const jscan_t *js, int i)
{
    return i < 0 || js->toks[i].type == JSCAN_NULL;
}

/* Decodes the string token i in place; returns a pointer to the bytes. */
static const char *decode_inplace(const jscan_t *js, char *body, int i, size_t *len)
{
    const jscan_tok_t *t = &js->toks[i];
    char *dst = body + t->start;
    *len = jscan_unescape(body, t, dst);
    return dst;
}

/*
 * The first member of object `obj` whose name is not in `known` (NULL-ended),
 * or -1. A typo such as "partiton" would otherwise be silently ignored and
 * the record land where the caller did not mean it to.
 */
static int unknown_member(const jscan_t *js, const char *body, size_t obj, const char *const *known)
{
    size_t i = obj + 1;
    for (uint32_t m = 0; m < js->toks[obj].size; m++) {
        const jscan_tok_t *k = &js->toks[i];
        const char *name = body + k->start + 1;
        size_t n = k->end - k->start - 2;
        int found = 0;
        for (const char *const *w = known; *w && !found; w++)
            found = !k->escaped && strlen(*w) == n && memcmp(*w, name, n) == 0;
        if (!found)
            return (int)i;
        i = js->toks[i + 1].skip;
    }
    return -1;
}

static int refuse_unknown(const jscan_t *js, const char *body, size_t obj, const char *const *known,
                          const char *where, parse_error_t *pe)
{
    int u = unknown_member(js, body, obj, known);
    if (u < 0)
        return 0;
    const jscan_tok_t *k = &js->toks[u];
    int n = (int)(k->end - k->start - 2);
    parse_error_set(pe, 400, 0, "%sunknown field '%.*s' (known: %s)", where, n > 64 ? 64 : n,
                    body + k->start + 1,
                    known[0][0] == 't' ? "topic, key, payload, headers, partition, messages"
                                       : "key, payload, headers, partition");
    return -1;
}

static const char *const top_fields[] = {"topic",     "key",      "payload", "headers",
                                         "partition", "messages", NULL};
static const char *const message_fields[] = {"key", "payload", "headers", "partition", NULL};

/* Parses one message object (the root for a single record). */
static int parse_message(const jscan_t *js, char *body, size_t obj, batch_t *b, batch_record_t *rec,
                         const char *where, parse_error_t *pe)
{
    int payload = jscan_find(js, body, obj, "payload");
    int key = jscan_find(js, body, obj, "key");
    int headers = jscan_find(js, body, obj, "headers");
    int partition = jscan_find(js, body, obj, "partition");

    if (payload < 0) {
        parse_error_set(pe, 400, 0, "%smissing field 'payload'", where);
        return -1;
    }
    if (!is_absent(js, key) && js->toks[key].type != JSCAN_STRING) {
        parse_error_set(pe, 400, 0, "%sfield 'key' must be a string", where);
        return -1;
    }
    if (!is_absent(js, headers) && js->toks[headers].type != JSCAN_OBJECT) {
        parse_error_set(pe, 400, 0, "%sfield 'headers' must be an object of strings", where);
        return -1;
    }
    if (!is_absent(js, partition)) {
        int64_t p;
        if (jscan_int64(body, &js->toks[partition], 0, INT32_MAX, &p)) {
            parse_error_set(pe, 400, 0, "%sfield 'partition' must be a non-negative integer",
                            where);
            return -1;
        }
        rec->partition = (int32_t)p;
    }
    if (!is_absent(js, headers)) {
        const jscan_tok_t *h = &js->toks[headers];
        size_t i = (size_t)headers + 1;
        rec->hdr_first = b->nheaders;
        for (uint32_t m = 0; m < h->size; m++) {
            size_t v = i + 1;
            if (js->toks[v].type != JSCAN_STRING) {
                parse_error_set(pe, 400, 0, "%sheader values must be strings", where);
                return -1;
            }
            batch_header_t *hd = &b->headers[b->nheaders++];
            hd->name = decode_inplace(js, body, (int)i, &hd->name_len);
            hd->value = decode_inplace(js, body, (int)v, &hd->value_len);
            i = js->toks[v].skip;
        }
        rec->hdr_count = h->size;
    }
    if (!is_absent(js, key))
        rec->key = decode_inplace(js, body, key, &rec->key_len);
    const jscan_tok_t *pt = &js->toks[payload];
    rec->value = body + pt->start;
    /* A compact body (no blank outside strings, as JSON.stringify and most clients send)
     * needs no second pass over its payloads. */
    rec->value_len = js->blanks
                         ? jscan_compact(body + pt->start, pt->end - pt->start, body + pt->start)
                         : pt->end - pt->start;
    return 0;
}

/* "messages[K]: ", the prefix of a record's error messages, into buf (48 bytes). Built
 * for every record of a batch, so without snprintf (two calls per record were a fifth of
 * kgw's own instructions for a 100-record body). */
static void where_of(char *buf, size_t k)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + k % 10);
        k /= 10;
    } while (k);
    memcpy(buf, "messages[", 9);
    size_t o = 9;
    while (n)
        buf[o++] = digits[--n];
    memcpy(buf + o, "]: ", 4);
}

static size_t count_headers(const jscan_t *js, const char *body, size_t obj)
{
    int h = jscan_find(js, body, obj, "headers");
    return (h >= 0 && js->toks[h].type == JSCAN_OBJECT) ? js->toks[h].size : 0;
}

int envelope_parse(jscan_t *js, char *body, size_t len, batch_t *b, parse_error_t *pe)
{
    if (len == 0) {
        parse_error_set(pe, 400, 0, "empty body: send a JSON object");
        return -1;
    }
    if (jscan_parse(js, body, len)) {
        parse_error_set(pe, 400, 0, "malformed JSON at byte %zu: %s", js->err_pos, js->err);
        return -1;
    }
    if (js->toks[0].type != JSCAN_OBJECT) {
        parse_error_set(pe, 400, 0, "the body must be a JSON object");
        return -1;
    }
    int topic = jscan_find(js, body, 0, "topic");
    int messages = jscan_find(js, body, 0, "messages");
    if (topic < 0 || js->toks[topic].type == JSCAN_NULL) {
        parse_error_set(pe, 400, 0, "missing field 'topic'");
        return -1;
    }
    if (js->toks[topic].type != JSCAN_STRING) {
        parse_error_set(pe, 400, 0, "field 'topic' must be a string");
        return -1;
    }
    if (refuse_unknown(js, body, 0, top_fields, "", pe))
        return -1;

    if (!is_absent(js, messages)) {
        const jscan_tok_t *mt = &js->toks[messages];
        if (mt->type != JSCAN_ARRAY) {
            parse_error_set(pe, 400, 0, "field 'messages' must be an array of objects");
            return -1;
        }
        if (mt->size == 0) {
            parse_error_set(pe, 400, 0, "field 'messages' is empty");
            return -1;
        }
        size_t nh = 0;
        for (size_t i = (size_t)messages + 1, k = 0; k < mt->size; k++, i = js->toks[i].skip) {
            if (js->toks[i].type != JSCAN_OBJECT) {
                parse_error_set(pe, 400, 0, "messages[%zu]: must be an object", k);
                return -1;
            }
            char where[48];
            where_of(where, k);
            if (refuse_unknown(js, body, i, message_fields, where, pe))
                return -1;
            nh += count_headers(js, body, i);
        }
        if (batch_alloc(b, mt->size, nh)) {
            parse_error_set(pe, 500, 0, "out of memory");
            return -1;
        }
        b->multi = 1;
        for (size_t i = (size_t)messages + 1, k = 0; k < mt->size; k++, i = js->toks[i].skip) {
            char where[48];
            where_of(where, k);
            if (parse_message(js, body, i, b, &b->records[k], where, pe))
                return -1;
        }
    } else {
        if (batch_alloc(b, 1, count_headers(js, body, 0))) {
            parse_error_set(pe, 500, 0, "out of memory");
            return -1;
        }
        if (parse_message(js, body, 0, b, &b->records[0], "", pe))
            return -1;
    }

    size_t tlen;
    const char *t = decode_inplace(js, body, topic, &tlen);
    if (!kgw_kafka_topic_valid(t, tlen) || strlen(t) != tlen) {
        parse_error_set(pe, 400, 0,
                        "illegal topic name: use 1-249 characters of [a-zA-Z0-9._-], "
                        "not '.' or '..'");
        return -1;
    }
    b->topic = t;
    return 0;
}

static void add_kafka_error(kgw_buf_t *sb, int err)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "delivery failed: %s", rd_kafka_err2str((rd_kafka_resp_err_t)err));
    kgw_buf_adds(sb, "\"error\":");
    kgw_json_add_str(sb, msg, strlen(msg), NULL);
    kgw_buf_addf(sb, ",\"kafka_error\":\"%s\"", rd_kafka_err2name((rd_kafka_resp_err_t)err));
}

/* librdkafka reports no offset (-1001) when the broker acknowledged a retry
 * as a duplicate: the record is in Kafka, its offset unknown. */
static void add_offset(kgw_buf_t *sb, int64_t offset)
{
    if (offset < 0)
        kgw_buf_adds(sb, "null");
    else
        kgw_buf_add_i64(sb, offset);
}

int envelope_render(const batch_t *b, kgw_buf_t *sb)
{
    size_t failed = batch_failed(b);
    int status = 200;
    if (failed) {
        int first = 0;
        for (size_t i = 0; i < b->count && !first; i++)
            first = b->records[i].err;
        status = failed < b->count ? 207 : errmap_http_status((rd_kafka_resp_err_t)first);
    }
    kgw_buf_addf(sb, "{\"success\":%s,\"topic\":\"%s\"", failed ? "false" : "true", b->topic);
    if (!b->multi) {
        const batch_record_t *r = &b->records[0];
        if (r->err) {
            kgw_buf_adds(sb, ",");
            add_kafka_error(sb, r->err);
        } else {
            kgw_buf_adds(sb, ",\"partition\":");
            kgw_buf_add_i64(sb, r->out_partition);
            kgw_buf_adds(sb, ",\"offset\":");
            add_offset(sb, r->out_offset);
            kgw_buf_adds(sb, ",\"message\":\"delivered\"");
        }
        kgw_buf_adds(sb, "}");
        return status;
    }
    kgw_buf_adds(sb, ",\"results\":[");
    for (size_t i = 0; i < b->count; i++) {
        const batch_record_t *r = &b->records[i];
        if (i)
            kgw_buf_adds(sb, ",");
        if (r->err) {
            kgw_buf_adds(sb, "{");
            add_kafka_error(sb, r->err);
            kgw_buf_adds(sb, "}");
        } else {
            kgw_buf_adds(sb, "{\"partition\":");
            kgw_buf_add_i64(sb, r->out_partition);
            kgw_buf_adds(sb, ",\"offset\":");
            add_offset(sb, r->out_offset);
            kgw_buf_adds(sb, "}");
        }
    }
    kgw_buf_addf(sb, "],\"delivered\":%zu,\"failed\":%zu}", b->count - failed, failed);
    return status;
}

void envelope_render_error(kgw_buf_t *sb, const char *msg)
{
    kgw_buf_adds(sb, "{\"success\":false,\"error\":");
    kgw_json_add_str(sb, msg, strlen(msg), NULL);
    kgw_buf_adds(sb, "}");
}
