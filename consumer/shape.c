/*
 * shape: request shapes and their frames (see shape.h). shape_new()
 * compiles the -target-url and -H templates into segments once, so a
 * record costs one pass over them; shape_encode() writes the frame with
 * offsets only (the buffer may move while it grows) and the frame header
 * last. Any thread; the shape is read-only after shape_new().
 */
#include "consumer/shape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kgw_json.h"

#define FRAME_MAGIC 0x6b677766u /* "kgwf" */

typedef struct shape_frame {
    uint32_t magic;
    uint32_t url_off; /* 0: no URL */
    uint32_t lines_off;
    uint32_t nlines;
    uint32_t nodes_off;
    uint32_t body_off;
} shape_frame_t;

/* The size and alignment of a struct curl_slist, without including curl. */
typedef struct node_room {
    char *data;
    void *next;
} node_room_t;

typedef enum { FMT_ENVELOPE = 0, FMT_VALUE, FMT_CLOUDEVENTS } format_t;

typedef enum { SEG_LIT = 0, SEG_TOPIC, SEG_PARTITION, SEG_OFFSET, SEG_KEY, SEG_HEADER } seg_kind_t;

typedef struct seg {
    seg_kind_t kind;
    const char *text; /* literal bytes, or the header's name */
    size_t len;
} seg_t;

typedef struct tpl {
    seg_t *segs;
    size_t nsegs;
    const char *name; /* -H: the header's name (the text before the colon) */
    size_t name_len;
} tpl_t;

struct shape {
    const consumer_config_t *cfg;
    format_t format;
    int structured;
    int ndjson; /* -batch-max with -batch-format ndjson */
    int active;
    tpl_t url;   /* nsegs 0: the static -target-url */
    tpl_t *hdrs; /* the -H headers with a placeholder */
    size_t nhdrs;
};

/* --- templates ---------------------------------------------------------------- */

/* Parses "{topic}"-style placeholders out of s[0..len). 0, or -1 with errstr. */
static int tpl_parse(tpl_t *t, const char *s, size_t len, const char *flag, char *errstr,
                     size_t errstr_size)
{
    t->segs = calloc(len + 1, sizeof(*t->segs)); /* never more segments than bytes */
    if (!t->segs) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    size_t i = 0;
    while (i < len) {
        const char *open = memchr(s + i, '{', len - i);
        size_t lit = open ? (size_t)(open - (s + i)) : len - i;
        if (lit)
            t->segs[t->nsegs++] = (seg_t){SEG_LIT, s + i, lit};
        i += lit;
        if (!open)
            break;
        const char *close = memchr(open, '}', len - i);
        if (!close) {
            snprintf(errstr, errstr_size, "%s: '{' without '}'", flag);
            return -1;
        }
        const char *name = open + 1;
        size_t n = (size_t)(close - name);
        seg_t sg = {SEG_LIT, NULL, 0};
        if (n == 5 && !memcmp(name, "topic", 5))
            sg.kind = SEG_TOPIC;
        else if (n == 9 && !memcmp(name, "partition", 9))
            sg.kind = SEG_PARTITION;
        else if (n == 6 && !memcmp(name, "offset", 6))
            sg.kind = SEG_OFFSET;
        else if (n == 3 && !memcmp(name, "key", 3))
            sg.kind = SEG_KEY;
        else if (n > 7 && !memcmp(name, "header.", 7))
            sg = (seg_t){SEG_HEADER, name + 7, n - 7};
        else {
            snprintf(errstr, errstr_size,
                     "%s: '{%.*s}' is not {topic}, {partition}, {offset}, {key} or "
                     "{header.NAME}",
                     flag, (int)(n > 40 ? 40 : n), name);
            return -1;
        }
        t->segs[t->nsegs++] = sg;
        i = (size_t)(close + 1 - s);
    }
    return 0;
}

static void tpl_term(tpl_t *t)
{
    free(t->segs);
}

static const record_header_t *header_find(const record_view_t *rv, const char *name, size_t len)
{
    for (size_t i = 0; i < rv->header_count; i++)
        if (rv->headers[i].name_len == len && !strncasecmp(rv->headers[i].name, name, len))
            return &rv->headers[i];
    return NULL;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int add_pct(record_buf_t *out, const void *s, size_t len, int (*keep)(unsigned char))
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = s;
    for (size_t i = 0; i < len; i++) {
        if (keep(p[i])) {
            record_buf_append(out, &p[i], 1);
        } else {
            char e[3] = {'%', hex[p[i] >> 4], hex[p[i] & 15]};
            record_buf_append(out, e, 3);
        }
    }
    return out->oom ? -1 : 0;
}

/* Appends the template's text for rv; url: substituted values percent-encoded. */
static void tpl_expand(const tpl_t *t, const record_view_t *rv, int url, record_buf_t *out)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        const seg_t *sg = &t->segs[i];
        const void *v = NULL;
        size_t vlen = 0;
        switch (sg->kind) {
        case SEG_LIT:
            record_buf_append(out, sg->text, sg->len);
            continue;
        case SEG_PARTITION:
            kgw_buf_add_i64(out, rv->partition);
            continue;
        case SEG_OFFSET:
            kgw_buf_add_i64(out, rv->offset);
            continue;
        case SEG_TOPIC:
            v = rv->topic;
            vlen = strlen(rv->topic);
            break;
        case SEG_KEY:
            v = rv->key;
            vlen = rv->key_len;
            break;
        case SEG_HEADER: {
            const record_header_t *h = header_find(rv, sg->text, sg->len);
            if (h && h->value) {
                v = h->value;
                vlen = h->value_len;
            }
            break;
        }
        }
        if (url)
            add_pct(out, v, vlen, is_unreserved);
        else if (vlen)
            record_buf_append(out, v, vlen);
    }
}

/* --- field text ------------------------------------------------------------------- */

int shape_field_safe(const void *s, size_t len)
{
    const unsigned char *p = s;
    if (len && (p[0] == ' ' || p[0] == '\t' || p[len - 1] == ' ' || p[len - 1] == '\t'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
            return 0;
    return kgw_json_utf8_valid(s, len);
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    return is_unreserved(c) || (c && strchr("!#$%&'*+^`|", c));
}

/* Appends one "Name: value" line and its NUL; an empty value as "Name;",
 * which is how curl sends a header with nothing after the colon. */
static void add_line(record_buf_t *out, uint32_t *nlines, const char *name, size_t name_len,
                     const void *value, size_t value_len)
{
    record_buf_append(out, name, name_len);
    if (value_len) {
        record_buf_append(out, ": ", 2);
        record_buf_append(out, value, value_len);
    } else {
        record_buf_append(out, ";", 1);
    }
    record_buf_append(out, "", 1);
    (*nlines)++;
}

static void add_line_str(record_buf_t *out, uint32_t *nlines, const char *name, const char *value)
{
    add_line(out, nlines, name, strlen(name), value, strlen(value));
}

/* Headers kgw sets itself, or that would change the message's framing:
 * never taken from a record. */
static int reserved(const char *name, size_t len)
{
    static const char *const exact[] = {
        "content-length", "content-type", "host",    "transfer-encoding", "connection",
        "expect",         "te",           "upgrade", "trailer",           "keep-alive",
        "authorization",  "user-agent"};
    static const char *const prefix[] = {"webhook-", "ce-", "kafka-", "proxy-"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strlen(exact[i]) == len && !strncasecmp(exact[i], name, len))
            return 1;
    for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
        if (len >= strlen(prefix[i]) && !strncasecmp(prefix[i], name, strlen(prefix[i])))
            return 1;
    return 0;
}

static int forwarded(const consumer_config_t *cfg, const record_header_t *h)
{
    for (size_t i = 0; i < cfg->forward_headers.count; i++) {
        const char *want = cfg->forward_headers.items[i];
        size_t wl = strlen(want);
        if (wl && want[wl - 1] == '*') {
            if (h->name_len >= wl - 1 && !strncasecmp(h->name, want, wl - 1))
                return 1;
        } else if (wl == h->name_len && !strncasecmp(h->name, want, wl)) {
            return 1;
        }
    }
    return 0;
}

static void skip(shape_skips_t *skips, const char *name)
{
    if (!skips->headers++)
        skips->first = name;
}

/* The -H headers with placeholders, expanded for rv. */
static void template_lines(const shape_t *sh, const record_view_t *rv, record_buf_t *out,
                           uint32_t *nlines, shape_skips_t *skips)
{
    for (size_t i = 0; i < sh->nhdrs; i++) {
        const tpl_t *t = &sh->hdrs[i];
        size_t start = out->len;
        record_buf_append(out, t->name, t->name_len);
        record_buf_append(out, ": ", 2);
        size_t vstart = out->len;
        tpl_expand(t, rv, 0, out);
        if (out->oom)
            break;
        if (!shape_field_safe(out->data + vstart, out->len - vstart)) {
            out->len = start; /* never CR, LF or NUL on the wire */
            skip(skips, t->name);
            continue;
        }
        record_buf_append(out, "", 1);
        (*nlines)++;
    }
}

/* Room for the sink's curl_slist nodes, pointer-aligned; then the body starts. */
static void frame_nodes(record_buf_t *out, shape_frame_t *f)
{
    while (out->len % (sizeof(node_room_t)))
        record_buf_append(out, "", 1);
    f->nodes_off = (uint32_t)out->len;
    if (!out->oom && !kgw_buf_grow(out, f->nlines * sizeof(node_room_t))) {
        memset(out->data + out->len, 0, f->nlines * sizeof(node_room_t));
        out->len += f->nlines * sizeof(node_room_t);
    }
    f->body_off = (uint32_t)out->len;
}

/* --- the shapes ---------------------------------------------------------------------- */

static const char *value_type(const record_view_t *rv)
{
    if (rv->value && kgw_json_valid(rv->value, rv->value_len))
        return "application/json";
    return "application/octet-stream";
}

/* The Content-Type of -format value and CloudEvents' data: a content-type
 * record header when it is field text, else by the value. */
static void content_type(const record_view_t *rv, const void **ct, size_t *ct_len)
{
    const record_header_t *h = header_find(rv, "content-type", 12);
    if (h && h->value && h->value_len && shape_field_safe(h->value, h->value_len)) {
        *ct = h->value;
        *ct_len = h->value_len;
        return;
    }
    *ct = value_type(rv);
    *ct_len = strlen(*ct);
}

/* CloudEvents HTTP binding 3.1.3.2: ce-* values percent-encode space, '"',
 * '%' and everything outside printable ASCII. */
static int ce_keep(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '%';
}

static void add_ce_line(record_buf_t *out, uint32_t *nlines, const char *name, const void *v,
                        size_t vlen)
{
    record_buf_append(out, name, strlen(name));
    record_buf_append(out, ": ", 2);
    add_pct(out, v, vlen, ce_keep);
    record_buf_append(out, "", 1);
    (*nlines)++;
}

static void ce_type(const shape_t *sh, const record_view_t *rv, const void **t, size_t *tlen)
{
    const record_header_t *h = header_find(rv, "ce-type", 7);
    if (h && h->value && h->value_len && kgw_json_utf8_valid(h->value, h->value_len)) {
        *t = h->value;
        *tlen = h->value_len;
        return;
    }
    *t = sh->cfg->ce_type;
    *tlen = strlen(sh->cfg->ce_type);
}

static void ce_binary_lines(const shape_t *sh, const record_view_t *rv, const char *id,
                            const char *source, record_buf_t *out, uint32_t *nlines)
{
    const void *t;
    size_t tlen;
    add_line_str(out, nlines, "ce-specversion", "1.0");
    add_ce_line(out, nlines, "ce-id", id, strlen(id));
    add_ce_line(out, nlines, "ce-source", source, strlen(source));
    ce_type(sh, rv, &t, &tlen);
    add_ce_line(out, nlines, "ce-type", t, tlen);
    if (rv->timestamp_ms >= 0) {
        char ts[32];
        record_format_time(ts, sizeof(ts), rv->timestamp_ms);
        add_line_str(out, nlines, "ce-time", ts);
    }
    /* A subject is a string: a key that is not UTF-8 has none. */
    if (rv->key && kgw_json_utf8_valid(rv->key, rv->key_len))
        add_ce_line(out, nlines, "ce-subject", rv->key, rv->key_len);
}

static void ce_structured_body(const shape_t *sh, const record_view_t *rv, const char *id,
                               const char *source, record_buf_t *out)
{
    const void *t, *ct;
    size_t tlen, ct_len;
    ce_type(sh, rv, &t, &tlen);
    content_type(rv, &ct, &ct_len);
    record_buf_append(out, "{\"specversion\":\"1.0\",\"id\":", 26);
    kgw_json_add_str(out, id, strlen(id), NULL);
    record_buf_append(out, ",\"source\":", 10);
    kgw_json_add_str(out, source, strlen(source), NULL);
    record_buf_append(out, ",\"type\":", 8);
    kgw_json_add_str(out, t, tlen, NULL);
    if (rv->timestamp_ms >= 0) {
        char ts[32];
        record_format_time(ts, sizeof(ts), rv->timestamp_ms);
        kgw_buf_addf(out, ",\"time\":\"%s\"", ts);
    }
    if (rv->key && kgw_json_utf8_valid(rv->key, rv->key_len)) {
        record_buf_append(out, ",\"subject\":", 11);
        kgw_json_add_str(out, rv->key, rv->key_len, NULL);
    }
    record_buf_append(out, ",\"datacontenttype\":", 19);
    kgw_json_add_str(out, ct, ct_len, NULL);
    if (rv->value && kgw_json_valid(rv->value, rv->value_len)) {
        record_buf_append(out, ",\"data\":", 8);
        record_buf_append(out, rv->value, rv->value_len);
    } else if (rv->value) {
        record_buf_append(out, ",\"data_base64\":\"", 16);
        kgw_buf_add_base64(out, rv->value, rv->value_len);
        record_buf_append(out, "\"", 1);
    }
    record_buf_append(out, "}", 1);
}

static void value_lines(const record_view_t *rv, record_buf_t *out, uint32_t *nlines)
{
    char num[24];
    add_line_str(out, nlines, "kafka-topic", rv->topic);
    snprintf(num, sizeof(num), "%d", (int)rv->partition);
    add_line_str(out, nlines, "kafka-partition", num);
    snprintf(num, sizeof(num), "%lld", (long long)rv->offset);
    add_line_str(out, nlines, "kafka-offset", num);
    if (rv->key && shape_field_safe(rv->key, rv->key_len)) {
        add_line(out, nlines, "kafka-key", 9, rv->key, rv->key_len);
    } else if (rv->key) {
        /* A key that is not field text (not UTF-8, or with control bytes)
         * travels exactly, in base64. */
        record_buf_append(out, "kafka-key-base64: ", 18);
        kgw_buf_add_base64(out, rv->key, rv->key_len);
        record_buf_append(out, "", 1);
        (*nlines)++;
    }
    if (rv->timestamp_ms >= 0) {
        char ts[32];
        record_format_time(ts, sizeof(ts), rv->timestamp_ms);
        add_line_str(out, nlines, "kafka-timestamp", ts);
    }
}

int shape_encode(const shape_t *sh, const record_view_t *rv, record_buf_t *out,
                 shape_skips_t *skips)
{
    shape_frame_t f = {FRAME_MAGIC, 0, 0, 0, 0, 0};
    shape_skips_t ignored;
    if (!skips)
        skips = &ignored;
    char id[320], source[300];
    const void *ct = "application/json";
    size_t ct_len = 16;
    skips->headers = 0;
    skips->first = NULL;
    record_webhook_id(id, sizeof(id), rv->topic, rv->partition, rv->offset);
    snprintf(source, sizeof(source), "kafka://%s/%d", rv->topic, (int)rv->partition);

    kgw_buf_grow(out, sizeof(f) + 512);
    record_buf_append(out, &f, sizeof(f)); /* rewritten at the end */
    if (sh->url.nsegs) {
        f.url_off = (uint32_t)out->len;
        tpl_expand(&sh->url, rv, 1, out);
        record_buf_append(out, "", 1);
    }
    f.lines_off = (uint32_t)out->len;
    if (sh->format == FMT_VALUE || (sh->format == FMT_CLOUDEVENTS && !sh->structured))
        content_type(rv, &ct, &ct_len);
    else if (sh->format == FMT_CLOUDEVENTS)
        ct = "application/cloudevents+json", ct_len = 28;
    add_line(out, &f.nlines, "Content-Type", 12, ct, ct_len);
    if (sh->format == FMT_VALUE)
        value_lines(rv, out, &f.nlines);
    else if (sh->format == FMT_CLOUDEVENTS && !sh->structured)
        ce_binary_lines(sh, rv, id, source, out, &f.nlines);
    template_lines(sh, rv, out, &f.nlines, skips);
    for (size_t i = 0; i < rv->header_count && sh->cfg->forward_headers.count; i++) {
        const record_header_t *h = &rv->headers[i];
        if (!forwarded(sh->cfg, h))
            continue;
        if (!h->name_len || reserved(h->name, h->name_len) || !h->value ||
            !shape_field_safe(h->value, h->value_len)) {
            skip(skips, h->name);
            continue;
        }
        size_t start = out->len;
        record_buf_append(out, h->name, h->name_len);
        if (out->oom)
            break;
        for (size_t j = start; j < out->len; j++)
            if (!is_tchar((unsigned char)out->data[j]))
                out->data[j] = '_';
        size_t name_len = out->len - start;
        out->len = start;
        /* The sanitised name is copied out of the buffer before it grows. */
        char name[256];
        if (name_len >= sizeof(name)) {
            skip(skips, h->name);
            continue;
        }
        memcpy(name, out->data + start, name_len);
        add_line(out, &f.nlines, name, name_len, h->value, h->value_len);
    }
    frame_nodes(out, &f);
    if (sh->format == FMT_ENVELOPE)
        record_encode(rv, out);
    else if (sh->format == FMT_CLOUDEVENTS && sh->structured)
        ce_structured_body(sh, rv, id, source, out);
    else if (rv->value_len)
        record_buf_append(out, rv->value, rv->value_len);
    if (out->oom || out->len > UINT32_MAX)
        return -1;
    memcpy(out->data, &f, sizeof(f));
    return 0;
}

/* --- batches ----------------------------------------------------------------------------- */

/* A batch's frame: its URL and -H lines come from its first record (only
 * {topic} and {partition} are allowed, which every record of a batch shares). */
static void batch_frame(const shape_t *sh, const record_view_t *rv, record_buf_t *out)
{
    shape_frame_t f = {FRAME_MAGIC, 0, 0, 0, 0, 0};
    shape_skips_t skips = {0, NULL};
    const char *ct = sh->format == FMT_CLOUDEVENTS ? "application/cloudevents-batch+json"
                     : sh->ndjson                  ? "application/x-ndjson"
                                                   : "application/json";
    kgw_buf_grow(out, sizeof(f) + 512);
    record_buf_append(out, &f, sizeof(f));
    if (sh->url.nsegs) {
        f.url_off = (uint32_t)out->len;
        tpl_expand(&sh->url, rv, 1, out);
        record_buf_append(out, "", 1);
    }
    f.lines_off = (uint32_t)out->len;
    add_line_str(out, &f.nlines, "Content-Type", ct);
    template_lines(sh, rv, out, &f.nlines, &skips);
    frame_nodes(out, &f);
    if (!out->oom)
        memcpy(out->data, &f, sizeof(f));
}

int shape_batch_add(const shape_t *sh, const record_view_t *rv, record_buf_t *out)
{
    int ndjson = sh && sh->ndjson;
    if (out->len == 0) {
        if (sh && sh->active)
            batch_frame(sh, rv, out);
        if (!ndjson)
            record_buf_append(out, "[", 1);
    } else if (!ndjson) {
        record_buf_append(out, ",", 1);
    }
    if (sh && sh->format == FMT_CLOUDEVENTS) {
        char id[320], source[300];
        record_webhook_id(id, sizeof(id), rv->topic, rv->partition, rv->offset);
        snprintf(source, sizeof(source), "kafka://%s/%d", rv->topic, (int)rv->partition);
        ce_structured_body(sh, rv, id, source, out);
    } else {
        record_encode(rv, out);
    }
    if (ndjson)
        record_buf_append(out, "\n", 1);
    return out->oom || out->len > UINT32_MAX ? -1 : 0;
}

int shape_batch_end(const shape_t *sh, record_buf_t *out)
{
    if (!(sh && sh->ndjson))
        record_buf_append(out, "]", 1);
    return out->oom ? -1 : 0;
}

int shape_frame_get(record_buf_t *buf, shape_frame_view_t *fv)
{
    shape_frame_t f;
    if (buf->len < sizeof(f))
        return -1;
    memcpy(&f, buf->data, sizeof(f));
    if (f.magic != FRAME_MAGIC || f.body_off > buf->len)
        return -1;
    fv->url = f.url_off ? buf->data + f.url_off : NULL;
    fv->lines = buf->data + f.lines_off;
    fv->nlines = f.nlines;
    fv->nodes = buf->data + f.nodes_off;
    fv->body = buf->data + f.body_off;
    fv->body_len = buf->len - f.body_off;
    return 0;
}

/* --- lifecycle ------------------------------------------------------------------------- */

int shape_validate(const consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    shape_t *sh = shape_new(cfg, errstr, errstr_size);
    shape_destroy(sh);
    return sh ? 0 : -1;
}

/* A placeholder every record of a batch shares: {topic}, {partition}. */
static int tpl_batchable(const tpl_t *t)
{
    for (size_t i = 0; i < t->nsegs; i++)
        if (t->segs[i].kind != SEG_LIT && t->segs[i].kind != SEG_TOPIC &&
            t->segs[i].kind != SEG_PARTITION)
            return 0;
    return 1;
}

/* What -batch-max combines with (see shape.h). */
static int batch_validate(shape_t *sh, const consumer_config_t *cfg, char *errstr,
                          size_t errstr_size)
{
    const char *bf = cfg->batch_format_name ? cfg->batch_format_name : "json";
    if (!strcmp(bf, "ndjson")) {
        sh->ndjson = cfg->batch_max > 0;
    } else if (strcmp(bf, "json")) {
        snprintf(errstr, errstr_size, "--batch-format: '%s' is not json or ndjson", bf);
        return -1;
    }
    if (cfg->batch_max <= 0)
        return 0;
    if (sh->format == FMT_VALUE) {
        snprintf(errstr, errstr_size,
                 "--format: value cannot be batched (-batch-max): a batch holds envelopes or "
                 "CloudEvents");
        return -1;
    }
    if (sh->format == FMT_CLOUDEVENTS && sh->ndjson) {
        snprintf(errstr, errstr_size,
                 "--batch-format: ndjson cannot carry CloudEvents (their batch is a JSON array)");
        return -1;
    }
    if (cfg->forward_headers.count) {
        snprintf(errstr, errstr_size,
                 "--forward-headers: a batch (-batch-max) has no per-record HTTP headers");
        return -1;
    }
    if (!tpl_batchable(&sh->url)) {
        snprintf(errstr, errstr_size,
                 "--target-url: with -batch-max only {topic} and {partition} (every record of a "
                 "batch shares them)");
        return -1;
    }
    for (size_t i = 0; i < sh->nhdrs; i++) {
        if (!tpl_batchable(&sh->hdrs[i])) {
            snprintf(errstr, errstr_size,
                     "-H: with -batch-max only {topic} and {partition} (every record of a batch "
                     "shares them)");
            return -1;
        }
    }
    return 0;
}

shape_t *shape_new(const consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    shape_t *sh = calloc(1, sizeof(*sh));
    if (!sh || !(sh->hdrs = calloc(cfg->headers.count + 1, sizeof(*sh->hdrs)))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    sh->cfg = cfg;
    const char *fmt = cfg->format_name ? cfg->format_name : "envelope";
    if (!strcmp(fmt, "envelope")) {
        sh->format = FMT_ENVELOPE;
    } else if (!strcmp(fmt, "value")) {
        sh->format = FMT_VALUE;
    } else if (!strcmp(fmt, "cloudevents")) {
        sh->format = FMT_CLOUDEVENTS;
    } else {
        snprintf(errstr, errstr_size, "--format: '%s' is not envelope, value or cloudevents", fmt);
        goto fail;
    }
    const char *mode = cfg->ce_mode ? cfg->ce_mode : "binary";
    if (!strcmp(mode, "structured")) {
        sh->structured = 1;
    } else if (strcmp(mode, "binary")) {
        snprintf(errstr, errstr_size, "--ce-mode: '%s' is not binary or structured", mode);
        goto fail;
    }
    if (!cfg->ce_type || !*cfg->ce_type) {
        snprintf(errstr, errstr_size, "--ce-type: must not be empty");
        goto fail;
    }
    for (size_t i = 0; i < cfg->forward_headers.count; i++) {
        const char *n = cfg->forward_headers.items[i];
        if (!*n) {
            snprintf(errstr, errstr_size, "--forward-headers: an empty name");
            goto fail;
        }
    }
    if (cfg->target_url && strchr(cfg->target_url, '{') &&
        tpl_parse(&sh->url, cfg->target_url, strlen(cfg->target_url), "--target-url", errstr,
                  errstr_size))
        goto fail;
    for (size_t i = 0; i < cfg->headers.count; i++) {
        const char *h = cfg->headers.items[i];
        const char *colon = strchr(h, ':');
        if (!colon || !strchr(colon, '{'))
            continue;
        tpl_t *t = &sh->hdrs[sh->nhdrs++];
        t->name = h;
        t->name_len = (size_t)(colon - h);
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (tpl_parse(t, v, strlen(v), "-H", errstr, errstr_size))
            goto fail;
    }
    if (batch_validate(sh, cfg, errstr, errstr_size))
        goto fail;
    sh->active = sh->format != FMT_ENVELOPE || sh->url.nsegs || sh->nhdrs ||
                 cfg->forward_headers.count || sh->ndjson;
    return sh;
fail:
    shape_destroy(sh);
    return NULL;
}

void shape_destroy(shape_t *sh)
{
    if (!sh)
        return;
    tpl_term(&sh->url);
    for (size_t i = 0; sh->hdrs && i < sh->nhdrs; i++)
        tpl_term(&sh->hdrs[i]);
    free(sh->hdrs);
    free(sh);
}

int shape_active(const shape_t *sh)
{
    return sh && sh->active;
}
