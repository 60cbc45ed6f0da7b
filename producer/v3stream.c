/*
 * v3stream: see v3stream.h. Runs on the request's event-loop thread; the
 * window's done callback (the producer's poller thread) only resumes the
 * connection, and the results are read after the resume, which orders them.
 */
#include "producer/v3stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "producer/v3rec.h"

/* Results are kept in blocks, so a long stream never copies them to grow. */
#define RESULTS_PER_BLOCK 4096
/* Refused records whose own message is kept; later ones get a general one. */
#define MAX_MESSAGES 1000
/* Answers up to this many records are sent as one buffer (Content-Length). */
#define SMALL_ANSWER 100
/* Rendered ahead of libmicrohttpd's reads, at most about this much. */
#define STAGE_BYTES (16 * 1024)

static const char many_refused[] =
    "\"record refused (more than 1000 in this stream; the first ones say why)\"";

struct v3stream {
    size_t max_record_bytes;
    int oom;
    /* The record being split off the body. */
    v3rec_split_t sp;
    int in_rec;
    int dropping; /* over the limit: counted, not kept */
    size_t rec_start, rec_bytes;
    char fatal[300]; /* why the rest of the body was not read as records ("": none) */
    /* The window: the text of its records, the complete ones not produced yet,
     * and the batch in flight. */
    char *text;
    size_t len, cap;
    v3rec_span_t *spans; /* these three hold span_cap entries, grown up to a window */
    v3rec_info_t *info;
    uint32_t *pos;
    size_t nspans, span_cap;
    batch_t batch;
    int inflight;
    size_t win_first;
    /* Every record's result, by its index in the stream. */
    v3rec_result_t **blocks;
    size_t nblocks;
    size_t count;
    char **msgs; /* JSON strings of the refusals */
    size_t nmsgs;
    /* The answer. */
    sbuf_t prefix, stage;
    size_t next, stage_off;
    int fatal_sent;
};

v3stream_t *v3stream_new(size_t max_record_bytes)
{
    v3stream_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->max_record_bytes = max_record_bytes;
    sbuf_init(&s->prefix);
    sbuf_init(&s->stage);
    return s;
}

void v3stream_destroy(v3stream_t *s)
{
    if (!s)
        return;
    batch_term(&s->batch);
    for (size_t i = 0; i < s->nblocks; i++)
        free(s->blocks[i]);
    free(s->blocks);
    for (size_t i = 0; i < s->nmsgs; i++)
        free(s->msgs[i]);
    free(s->msgs);
    free(s->text);
    free(s->spans);
    free(s->info);
    free(s->pos);
    sbuf_term(&s->prefix);
    sbuf_term(&s->stage);
    free(s);
}

static v3rec_result_t *result_at(v3stream_t *s, size_t seq)
{
    return &s->blocks[seq / RESULTS_PER_BLOCK][seq % RESULTS_PER_BLOCK];
}

/* Slots for records [0, n). */
static int results_reserve(v3stream_t *s, size_t n)
{
    size_t need = (n + RESULTS_PER_BLOCK - 1) / RESULTS_PER_BLOCK;
    if (need <= s->nblocks)
        return 0;
    v3rec_result_t **b = realloc(s->blocks, need * sizeof(*b));
    if (!b)
        return -1;
    s->blocks = b;
    while (s->nblocks < need) {
        b[s->nblocks] = calloc(RESULTS_PER_BLOCK, sizeof(**b));
        if (!b[s->nblocks])
            return -1;
        s->nblocks++;
    }
    return 0;
}

static void set_fatal(v3stream_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_fatal(v3stream_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->fatal, sizeof(s->fatal), fmt, ap);
    va_end(ap);
}

static void refused_cb(void *opaque, size_t seq, const parse_error_t *pe)
{
    v3stream_t *s = opaque;
    v3rec_result_t *r = result_at(s, seq);
    memset(r, 0, sizeof(*r));
    r->status = (uint16_t)pe->status;
    r->partition = -1;
    if (s->nmsgs >= MAX_MESSAGES)
        return;
    if (s->nmsgs % 64 == 0) {
        char **m = realloc(s->msgs, (s->nmsgs + 64) * sizeof(*m));
        if (!m)
            return;
        s->msgs = m;
    }
    sbuf_t sb;
    sbuf_init(&sb);
    sbuf_add_json_str(&sb, pe->msg, strlen(pe->msg));
    size_t n;
    char *msg = sb.oom ? NULL : sbuf_steal(&sb, &n);
    sbuf_term(&sb);
    if (!msg)
        return;
    s->msgs[s->nmsgs] = msg;
    r->partition = (int32_t)s->nmsgs++;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int window_full(const v3stream_t *s)
{
    return s->nspans >= V3STREAM_WINDOW || s->len >= V3STREAM_WINDOW_BYTES;
}

/* Room for one more complete record (a request of one record allocates little). */
static int spans_grow(v3stream_t *s)
{
    if (s->nspans < s->span_cap)
        return 0;
    size_t cap = s->span_cap ? s->span_cap * 4 : 4;
    if (cap > V3STREAM_WINDOW)
        cap = V3STREAM_WINDOW;
    v3rec_span_t *sp = realloc(s->spans, cap * sizeof(*sp));
    if (sp)
        s->spans = sp;
    v3rec_info_t *in = sp ? realloc(s->info, cap * sizeof(*in)) : NULL;
    if (in)
        s->info = in;
    uint32_t *po = in ? realloc(s->pos, cap * sizeof(*po)) : NULL;
    if (!po)
        return -1;
    s->pos = po;
    s->span_cap = cap;
    return 0;
}

static int append(v3stream_t *s, const char *p, size_t n)
{
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        char *t = realloc(s->text, cap);
        if (!t)
            return -1;
        s->text = t;
        s->cap = cap;
    }
    memcpy(s->text + s->len, p, n);
    s->len += n;
    return 0;
}

/*
 * Splits complete records off p[0..len) into the window, up to a full one;
 * returns the bytes consumed. After a fatal error everything is consumed and
 * dropped, so that the client gets to the answer.
 */
static size_t consume(v3stream_t *s, const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s->fatal[0])
            return len;
        if (!s->in_rec) {
            while (i < len && is_blank(p[i]))
                i++;
            if (i == len || window_full(s))
                break;
            if (p[i] != '{') {
                set_fatal(s,
                          "records[%zu]: malformed JSON: a record must be a JSON object, found "
                          "'%c' (0x%02x); the rest of the body was not read",
                          s->count + s->nspans, p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?',
                          (unsigned char)p[i]);
                return len;
            }
            memset(&s->sp, 0, sizeof(s->sp));
            s->in_rec = 1;
            s->dropping = 0;
            s->rec_start = s->len;
            s->rec_bytes = 0;
        }
        int done;
        size_t n = v3rec_split(&s->sp, p + i, len - i, &done);
        s->rec_bytes += n;
        if (!s->dropping && s->rec_bytes > s->max_record_bytes) {
            s->dropping = 1;
            s->len = s->rec_start;
        }
        if (!s->dropping && append(s, p + i, n)) {
            s->oom = 1;
            return i;
        }
        i += n;
        if (done && spans_grow(s)) {
            s->oom = 1;
            return i;
        }
        if (done) {
            v3rec_span_t *sp = &s->spans[s->nspans++];
            sp->start = s->dropping ? 0 : s->rec_start;
            sp->len = s->dropping ? 0 : s->rec_bytes;
            sp->too_large = s->dropping ? s->rec_bytes : 0;
            s->in_rec = 0;
        }
    }
    return i;
}

static int is_suspended(request_t *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_SUSPENDED);
    return ci && ci->suspended == MHD_YES;
}

/* More of the body already waits in the socket: libmicrohttpd calls again at once. */
static int more_waiting(request_t *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int n = 0;
    return ci && ioctl(ci->connect_fd, FIONREAD, &n) == 0 && n > 0;
}

/* The window's reports are in (its connection resumed): keep its results,
 * and move the record being received to the front of the buffer. */
static void harvest(v3stream_t *s)
{
    for (size_t j = 0; j < s->batch.count; j++)
        v3rec_result_set(result_at(s, s->win_first + s->pos[j]), &s->batch.records[j], &s->info[j]);
    s->inflight = 0;
    if (s->in_rec && !s->dropping) {
        memmove(s->text, s->text + s->rec_start, s->len - s->rec_start);
        s->len -= s->rec_start;
        s->rec_start = 0;
    } else {
        s->len = 0;
    }
}

/* Runs on the producer's poller thread (or inside producer_submit). */
static void window_done_cb(batch_t *b, void *opaque)
{
    request_t *req = opaque;
    kgw_series_add(req->sh->s_v3_inflight, -(double)b->count);
    request_resume(req);
}

/*
 * Produces the complete records of the window. Returns 1 when they are in
 * flight (the connection suspended until their reports are in), 0 when none
 * was (every one refused: results kept at once), -1 when out of memory.
 */
static int submit(request_t *req)
{
    v3stream_t *s = req->v3s;
    jscan_t *js = request_jscan(req);
    size_t first = s->count;
    if (!js || results_reserve(s, first + s->nspans))
        return -1;
    s->count += s->nspans;
    s->win_first = first;
    if (v3rec_parse_spans(js, s->text, s->spans, s->nspans, first, s->max_record_bytes,
                          req->parts.topic, &s->batch, s->info, s->pos, refused_cb, s))
        return -1;
    s->nspans = 0;
    if (s->batch.count == 0) {
        harvest(s);
        return 0;
    }
    s->inflight = 1;
    /* Waiting for Kafka is not the client being slow. */
    reaper_request_in(req->rconn);
    /* Suspend first: the reports may all arrive before producer_submit() returns. */
    MHD_suspend_connection(req->conn);
    kgw_series_observe(req->sh->s_v3_window, (double)s->batch.count);
    kgw_series_add(req->sh->s_v3_inflight, (double)s->batch.count);
    if (producer_submit(req->sh->producer, &s->batch, window_done_cb, req) != 0) {
        /* None enqueued, no callback: each record says why. */
        kgw_series_add(req->sh->s_v3_inflight, -(double)s->batch.count);
        request_resume(req);
    }
    return 1;
}

enum MHD_Result v3stream_body(request_t *req, const char *data, size_t *size)
{
    v3stream_t *s = req->v3s;
    if (s->inflight) {
        /* Offered again within the pass that suspended: keep it for after the resume. */
        if (is_suspended(req))
            return MHD_YES;
        harvest(s);
        reaper_request_done(req->rconn);
    }
    while (*size) {
        size_t used = consume(s, data, *size);
        data += used;
        *size -= used;
        if (s->oom)
            return MHD_NO;
        if (!s->nspans || (!*size && !window_full(s) && more_waiting(req)))
            break;
        int rc = submit(req);
        if (rc < 0)
            return MHD_NO;
        if (rc > 0)
            break;
    }
    return MHD_YES;
}

static int render_line(v3stream_t *s, size_t seq, sbuf_t *sb)
{
    const v3rec_result_t *r = result_at(s, seq);
    const char *msg = r->status && r->partition >= 0 ? s->msgs[r->partition] : many_refused;
    if (seq)
        sbuf_adds(sb, "\n");
    return v3rec_result_render(r, s->prefix.data, msg, sb);
}

/* Renders the next lines into s->stage (empty at the end). */
static int fill_stage(v3stream_t *s)
{
    kgw_buf_reset(&s->stage);
    s->stage_off = 0;
    while (s->next < s->count && s->stage.len < STAGE_BYTES)
        if (render_line(s, s->next++, &s->stage))
            return -1;
    if (s->next == s->count && s->fatal[0] && !s->fatal_sent) {
        s->fatal_sent = 1;
        sbuf_adds(&s->stage, s->count ? "\n{\"error_code\":400,\"message\":"
                                      : "{\"error_code\":400,\"message\":");
        sbuf_add_json_str(&s->stage, s->fatal, strlen(s->fatal));
        sbuf_adds(&s->stage, "}");
    }
    return s->stage.oom ? -1 : 0;
}

/* libmicrohttpd's reader of the answer; the response owns the stream. */
static ssize_t answer_read_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    v3stream_t *s = cls;
    size_t n = 0;
    while (n < max) {
        if (s->stage_off == s->stage.len) {
            if (fill_stage(s))
                return MHD_CONTENT_READER_END_WITH_ERROR;
            if (s->stage.len == 0)
                break;
        }
        size_t k = s->stage.len - s->stage_off;
        if (k > max - n)
            k = max - n;
        memcpy(buf + n, s->stage.data + s->stage_off, k);
        s->stage_off += k;
        n += k;
    }
    return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void answer_free_cb(void *cls)
{
    v3stream_destroy(cls);
}

static enum MHD_Result answer(request_t *req)
{
    v3stream_t *s = req->v3s;
    char id[128] = "";
    if (s->count == 0)
        return request_respond_error(
            req, 400, 400, s->fatal[0] ? s->fatal : "empty body: send a record {\"value\": {...}}",
            NULL);
    if (!req->sh->meta || !meta_cluster_id(req->sh->meta, id, sizeof(id)))
        snprintf(id, sizeof(id), "%s", req->parts.cluster);
    if (v3rec_prefix(id, req->parts.topic, &s->prefix))
        return MHD_NO;
    if (s->count <= SMALL_ANSWER) {
        sbuf_t sb;
        sbuf_init(&sb);
        int status = s->count == 1 && !s->fatal[0] ? v3rec_result_status(result_at(s, 0)) : 200;
        for (size_t seq = 0; seq < s->count; seq++)
            render_line(s, seq, &sb);
        s->next = s->count;
        if (fill_stage(s) == 0)
            kgw_buf_add(&sb, s->stage.data, s->stage.len);
        return request_respond_sbuf(req, status, JSON_TYPE, &sb, NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 32 * 1024, answer_read_cb, s, answer_free_cb);
    if (!resp)
        return MHD_NO;
    req->v3s = NULL; /* the response owns the stream now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE);
    return request_respond_response(req, 200, resp);
}

enum MHD_Result v3stream_end(request_t *req)
{
    v3stream_t *s = req->v3s;
    if (s->inflight) {
        if (is_suspended(req)) {
            req->state = REQ_WAITING;
            return MHD_YES;
        }
        harvest(s);
    }
    if (s->in_rec) {
        if (!s->fatal[0])
            set_fatal(s, "records[%zu]: malformed JSON: the body ends inside a record",
                      s->count + s->nspans);
        s->in_rec = 0;
    }
    if (s->nspans) {
        req->state = REQ_WAITING;
        int rc = submit(req);
        if (rc < 0)
            return request_respond_error(req, 500, 500, "out of memory", NULL);
        if (rc > 0)
            return MHD_YES;
    }
    return answer(req);
}

enum MHD_Result v3stream_resume(request_t *req)
{
    return v3stream_end(req);
}
