/*
 * server: see server.h. libmicrohttpd calls the access handler several times
 * per request: first with the headers (we route and check method, content
 * type and declared length, answering errors before any body is read), then
 * with body chunks (copied into the request, or counted and dropped once over
 * the limit), then once with no data (we parse, validate and enqueue, then
 * suspend the connection), and once more after the delivery report resumed
 * it (we queue the answer). Per-request state is allocated on the first call
 * and freed in the completed callback, nowhere else.
 */
#include "producer/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/kgw_log.h"
#include "producer/api.h"
#include "producer/envelope.h"
#include "producer/framing.h"
#include "producer/openapi.h"
#include "producer/httpd.h"
#include "producer/iplimit.h"
#include "producer/reaper.h"
#include "producer/replay.h"
#include "producer/restproxy.h"
#include "producer/request.h"
#include "producer/route.h"
#include "producer/v3stream.h"

/* Request line and header fields beyond this get our JSON 431. */
#define HEAD_MAX_BYTES (16 * 1024)
/* Per-connection memory (mmap'd by libmicrohttpd): room for a head twice
 * HEAD_MAX_BYTES, so that our JSON 431 rather than libmicrohttpd's own (an
 * HTML body, for heads beyond about 32 KiB) answers oversized heads up to
 * there, and for body chunks read between handler calls. Not more:
 * libmicrohttpd 0.9.75 zeroes the whole pool after every request, and at 64
 * connections 64 KiB pools (4 MiB, past the caches) cost 18% of /produce's
 * throughput against 32 KiB ones (bench/README.md, 2026-12-07). */
#define CONN_MEMORY_BYTES (32 * 1024)
/* A body over the limit is read and dropped up to this much more, so the
 * client, still sending, reads the 413 instead of a reset; past it (or with
 * Expect: 100-continue) the 413 goes out at once and the connection closes.
 * --connection-timeout bounds the time. */
/* How long a metadata snapshot serves the metadata routes. */
#define META_TTL_MS       2000
#define DRAIN_EXTRA_BYTES ((size_t)64 << 20)

struct server {
    request_shared_t sh;
    httpd_t *httpd;
    iplimit_t *iplimit; /* connections per client address, across the loops */
    producer_t *producer;
    simulator_t *sim;
    kgw_metrics_t *metrics;
    server_opts_t opts;
    int port;
    atomic_size_t active;
    kgw_series_t *s_active;
    kgw_series_t *s_framing;
    reaper_t *reaper;
    meta_t *meta;
};

/* Random state for the simulator, one per event-loop thread. */
static __thread uint64_t tls_rng;

static int is_get(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* Probes stay open; /metrics as configured; everything else (unknown paths
 * included, so they reveal nothing) needs a token when tokens are set. */
static int needs_token(const server_t *s, route_t route)
{
    if (route == ROUTE_HEALTH || route == ROUTE_READY || route == ROUTE_OPENAPI)
        return 0;
    if (route == ROUTE_METRICS)
        return s->opts.auth_metrics;
    return 1;
}

/* First call: the headers are in, no body read yet. Returns MHD_YES to go
 * on reading, or the verdict of an early error answer. */
static enum MHD_Result on_headers(request_t *req, const char *url, const char *method)
{
    server_t *s = req->srv;
    struct MHD_Connection *conn = req->conn;
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    enum MHD_Result ret;

    if (s->sh.cors && request_cors(req, method, &ret))
        return ret;

    if (needs_token(s, req->route)) {
        const char *authz =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        access_verdict_t v = access_check_caller(req->acc, authz, &req->who);
        req->caller = req->who ? req->who->name : NULL;
        if (v == ACCESS_MISSING) {
            req->www_auth = "Bearer realm=\"kgw\"";
            return request_respond_error(
                req, 401, 40101, "authentication required: send 'Authorization: Bearer <token>'",
                NULL);
        }
        if (v == ACCESS_INVALID) {
            req->www_auth = "Bearer realm=\"kgw\", error=\"invalid_token\"";
            return request_respond_error(req, 401, 40101, "invalid bearer token", NULL);
        }
    }

    switch (req->route) {
    case ROUTE_HEALTH:
    case ROUTE_READY:
    case ROUTE_METRICS:
    case ROUTE_OPENAPI:
        if (!is_get(method))
            return request_respond_error(req, 405, 0, "method not allowed: use GET", "GET, HEAD");
        break;
    case ROUTE_TOPIC_LIST:
    case ROUTE_V3:
    case ROUTE_TOPICS: {
        int rc = api_on_headers(req, method, &ret);
        if (rc > 0)
            return ret;
        if (rc == 0)
            break;
        if (!post)
            return request_respond_error(req, 405, 40501, "method not allowed: use POST", "POST");
        break;
    }
    case ROUTE_PRODUCE:
    case ROUTE_SIMULATOR:
        if (!post)
            return request_respond_error(req, 405, 40501, "method not allowed: use POST", "POST");
        break;
    case ROUTE_OTHER:
    default: {
        /* The path is echoed cut on a code point (bytes >= 0x80 arrive raw;
         * the escaper replaces any that are not UTF-8). */
        char msg[160];
        snprintf(msg, sizeof(msg), "not found: %.*s (see GET /health, POST /produce)",
                 (int)kgw_json_utf8_cut(url, strlen(url), 100), url);
        return request_respond_error(req, 404, 0, msg, NULL);
    }
    }

    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (req->route == ROUTE_PRODUCE && !route_json_type(ct))
        return request_respond_error(req, 415, 0,
                                     "unsupported Content-Type: send application/json "
                                     "(curl -H 'Content-Type: application/json')",
                                     NULL);
    if (req->route == ROUTE_TOPICS && !req->api) {
        const char *topic;
        size_t tlen;
        int rc = restproxy_route(url, &topic, &tlen, &req->path_partition);
        if (rc == -1) {
            req->route = ROUTE_OTHER;
            return request_respond_error(req, 404, 0, "not found: use /topics/{topic}", NULL);
        }
        if (rc == -2)
            return request_respond_error(req, 404, 40402, "Partition not found", NULL);
        if (tlen >= sizeof(req->topic))
            return request_respond_error(req, 404, 40401, "Topic not found (illegal topic name)",
                                         NULL);
        memcpy(req->topic, topic, tlen);
        req->topic[tlen] = '\0';
        if (!request_may_write(req, req->topic))
            return request_respond_not_allowed(req, req->topic);
        req->fmt = restproxy_format(ct);
        if (req->fmt == RESTPROXY_NONE)
            return request_respond_error(
                req, 415, 41501,
                "unsupported Content-Type: use application/vnd.kafka.json.v2+json, "
                "application/vnd.kafka.binary.v2+json, application/json, or "
                "application/octet-stream or text/plain for a raw value",
                NULL);
    }
    if (req->v3s)
        return MHD_YES; /* read record by record, each within the limit (v3stream.h) */
    if (req->route == ROUTE_PRODUCE || (req->route == ROUTE_TOPICS && !req->api)) {
        if (atomic_load(&s->sh.draining))
            return request_respond_error(req, 503, 50301,
                                         "shutting down: retry on another instance", NULL);
    }

    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || *end) {
            return request_respond_error(req, 400, 40001, "invalid Content-Length", NULL);
        }
        const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
        if (n > s->opts.max_body_bytes && !expect &&
            n <= s->opts.max_body_bytes + DRAIN_EXTRA_BYTES) {
            req->too_large = 1;
            req->close = 1;
            return MHD_YES;
        }
        if (n > s->opts.max_body_bytes) {
            char msg[128];
            snprintf(msg, sizeof(msg), "body too large: %llu bytes, the limit is %zu", n,
                     s->opts.max_body_bytes);
            return request_respond_error(req, 413, 41301, msg, NULL);
        }
        if (req->route != ROUTE_SIMULATOR && n > 0) {
            req->body = malloc((size_t)n + 1);
            if (!req->body)
                return MHD_NO;
            req->cap = (size_t)n + 1;
        }
    }
    return MHD_YES;
}

static int on_body(request_t *req, const char *data, size_t size)
{
    server_t *s = req->srv;
    req->received += size;
    if (req->too_large || req->received > s->opts.max_body_bytes) {
        /* A body over the limit: drop it as it comes (never buffered), answer
         * 413 at its end, and cut off a client that keeps going. */
        req->too_large = 1;
        req->close = 1;
        return req->received <= s->opts.max_body_bytes + DRAIN_EXTRA_BYTES ? 0 : -1;
    }
    if (req->route == ROUTE_SIMULATOR || req->route == ROUTE_HEALTH || req->route == ROUTE_READY ||
        req->route == ROUTE_METRICS)
        return 0;
    if (req->len + size + 1 > req->cap) {
        size_t cap = req->cap ? req->cap : 4096;
        while (cap < req->len + size + 1)
            cap *= 2;
        if (cap > s->opts.max_body_bytes + 1)
            cap = s->opts.max_body_bytes + 1;
        char *b = realloc(req->body, cap);
        if (!b)
            return -1;
        req->body = b;
        req->cap = cap;
    }
    memcpy(req->body + req->len, data, size);
    req->len += size;
    return 0;
}

static enum MHD_Result answer_batch(request_t *req)
{
    sbuf_t sb;
    sbuf_init(&sb);
    if (req->route == ROUTE_TOPICS) {
        int status = restproxy_render(&req->batch, &sb);
        return request_respond_sbuf(req, status, RESTPROXY_CONTENT_TYPE, &sb, NULL);
    }
    int status = envelope_render(&req->batch, &sb);
    return request_respond_sbuf(req, status, JSON_TYPE, &sb, NULL);
}

static enum MHD_Result handle_produce(request_t *req)
{
    parse_error_t pe = {0};
    jscan_t *js = request_jscan(req);
    int rc;

    if (!js)
        return request_respond_error(req, 500, 50001, "out of memory", NULL);
    req->batch_used = 1;
    if (req->route == ROUTE_TOPICS && req->fmt == RESTPROXY_RAW)
        rc = restproxy_raw(
            req->body, req->len, req->topic,
            MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "key"),
            MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "partition"),
            req->path_partition, &req->batch, &pe);
    else if (req->route == ROUTE_TOPICS)
        rc = restproxy_parse(js, req->body, req->len, req->fmt, req->topic, req->path_partition,
                             &req->batch, &pe);
    else
        rc = envelope_parse(js, req->body, req->len, &req->batch, &pe);
    if (rc)
        return request_respond_error(req, pe.status, pe.code, pe.msg, NULL);
    if (req->route == ROUTE_PRODUCE && !request_may_write(req, req->batch.topic))
        return request_respond_not_allowed(req, req->batch.topic);

    return request_submit(req);
}

typedef struct sim_args {
    sim_params_t params;
    char errstr[160];
    int bad;
} sim_args_t;

static enum MHD_Result sim_arg_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    sim_args_t *a = cls;
    if (simulator_params_set(&a->params, key, value, a->errstr, sizeof(a->errstr)) < 0) {
        a->bad = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Runs on the simulator's timer thread. */
static void sim_fire_cb(void *opaque)
{
    request_t *req = opaque;
    request_resume(req);
}

static enum MHD_Result answer_simulator(request_t *req)
{
    sbuf_t sb;
    /* One line per simulated delivery, so `make run` shows a record arriving. This is a test
     * endpoint, never the produce path, so the log line costs nothing that matters. */
    const char *id = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "webhook-id");
    KGW_INFO("webhook-simulator received webhook_id=%s status=%d delay_ms=%ld bytes=%zu",
             id ? id : "-", req->sim_status, req->sim_delay_ms, req->received);
    sbuf_init(&sb);
    if (req->sim_status >= 200 && req->sim_status < 300)
        sbuf_addf(&sb, "{\"status\":\"ok\",\"code\":%d,\"delay_ms\":%ld,\"received_bytes\":%zu}",
                  req->sim_status, req->sim_delay_ms, req->received);
    else
        sbuf_addf(&sb, "{\"error\":\"simulated failure\",\"code\":%d,\"delay_ms\":%ld}",
                  req->sim_status, req->sim_delay_ms);
    return request_respond_sbuf(req, req->sim_status, JSON_TYPE, &sb, NULL);
}

static enum MHD_Result handle_simulator(request_t *req)
{
    server_t *s = req->srv;
    sim_args_t a = {0};
    simulator_params_default(&a.params);
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, sim_arg_cb, &a);
    if (a.bad || simulator_params_check(&a.params, a.errstr, sizeof(a.errstr)))
        return request_respond_error(req, 400, 0, a.errstr, NULL);
    if (!tls_rng)
        tls_rng = (uint64_t)(uintptr_t)&tls_rng ^ 0x9E3779B97F4A7C15ULL ^ (uint64_t)time(NULL);
    req->sim_status = simulator_decide(&a.params, &tls_rng, &req->sim_delay_ms);
    if (req->sim_delay_ms == 0)
        return answer_simulator(req);
    req->state = REQ_WAITING;
    MHD_suspend_connection(req->conn);
    if (simulator_schedule(s->sim, req->sim_delay_ms, sim_fire_cb, req) != 0) {
        req->sim_delay_ms = 0; /* shutting down: answer without the delay */
        request_resume(req);
    }
    return MHD_YES;
}

static enum MHD_Result handle_get(request_t *req)
{
    server_t *s = req->srv;
    if (req->route == ROUTE_HEALTH) {
        static char healthy[] = "{\"status\":\"healthy\"}";
        return request_respond(req, 200, JSON_TYPE, healthy, sizeof(healthy) - 1, 1, NULL);
    }
    if (req->route == ROUTE_OPENAPI) {
        size_t n;
        const char *doc = openapi_json(&n);
        return request_respond(req, 200, JSON_TYPE, (char *)doc, n, 1, NULL);
    }
    if (req->route == ROUTE_READY) {
        char reason[256];
        if (atomic_load(&s->sh.draining))
            return request_respond_error(req, 503, 0, "shutting down", NULL);
        if (!producer_ready(s->producer, reason, sizeof(reason))) {
            sbuf_t sb;
            sbuf_init(&sb);
            sbuf_adds(&sb, "{\"status\":\"not ready\",\"error\":");
            sbuf_add_json_str(&sb, reason, strlen(reason));
            sbuf_adds(&sb, "}");
            return request_respond_sbuf(req, 503, JSON_TYPE, &sb, NULL);
        }
        static char ready[] = "{\"status\":\"ready\"}";
        return request_respond(req, 200, JSON_TYPE, ready, sizeof(ready) - 1, 1, NULL);
    }
    size_t len;
    replay_collect(&s->sh);
    char *text = kgw_metrics_render(s->metrics, &len);
    if (!text)
        return request_respond_error(req, 500, 0, "out of memory", NULL);
    return request_respond(req, 200, "text/plain; version=0.0.4", text, len, 0, NULL);
}

static enum MHD_Result framing_field_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                        size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    framing_add(cls, key, key_size, value ? value : "", value ? value_size : 0);
    return MHD_YES;
}

/* Before anything else: a request whose length is ambiguous is refused and
 * its connection closed, so whatever follows it is never read as a request. */
static enum MHD_Result refuse_framing(request_t *req, const char *why)
{
    KGW_WARN("http framing refused route=%s reason=\"%s\"", route_name(req->route), why);
    kgw_series_add(req->srv->s_framing, 1);
    req->close = 1;
    return request_respond_error(req, 400, 40001, why, NULL);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    server_t *s = cls;
    request_t *req = *con_cls;

    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        req->srv = s;
        req->sh = &s->sh;
        req->conn = conn;
        req->loop = httpd_current();
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        req->rconn = ci ? ci->socket_context : NULL;
        url = framing_origin_form(url);
        req->route = route_of(url);
        req->url = url;
        req->acc = access_hold(s->opts.access);
        req->path_partition = -1;
        *con_cls = req;
        atomic_fetch_add(&s->active, 1);
        kgw_series_add(s->s_active, 1);
        framing_t fr;
        framing_init(&fr);
        MHD_get_connection_values_n(conn, MHD_HEADER_KIND, framing_field_cb, &fr);
        const char *why = framing_verdict(&fr);
        if (why)
            return refuse_framing(req, why);
        if (fr.head_bytes + strlen(url) > HEAD_MAX_BYTES) {
            req->close = 1;
            return request_respond_error(req, 431, 43101,
                                         "request headers too large: the limit is 16 KiB", NULL);
        }
        return on_headers(req, url, method);
    }
    if (req->state == REQ_ANSWERED)
        return MHD_YES;
    if (req->state == REQ_BODY && *upload_data_size && req->v3s)
        return v3stream_body(req, upload_data, upload_data_size);
    if (req->state == REQ_BODY && *upload_data_size) {
        int rc = on_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return rc ? MHD_NO : MHD_YES;
    }
    if (req->state == REQ_WAITING && !req->idem_waiting) {
        /* Resumed by a delivery report, the metadata cache or the simulator's timer. */
        if (req->api)
            return api_resume(req);
        if (req->route == ROUTE_SIMULATOR)
            return answer_simulator(req);
        return answer_batch(req);
    }

    if (req->state == REQ_WAITING) {
        /* Resumed because the first request with its Idempotency-Key was answered. */
        req->state = REQ_BODY;
    } else {
        /* The whole body is in. */
        reaper_request_in(req->rconn);
        if (req->too_large) {
            char msg[128];
            snprintf(msg, sizeof(msg), "body too large: the limit is %zu bytes",
                     s->opts.max_body_bytes);
            return request_respond_error(req, 413, 41301, msg, NULL);
        }
    }
    enum MHD_Result ret;
    int produces = req->api ? req->shape == ROUTE_SHAPE_V3_RECORDS
                            : req->route == ROUTE_PRODUCE || req->route == ROUTE_TOPICS;
    if (produces && replay_check(req, &ret))
        return ret;
    if (req->api)
        return api_handle(req);
    switch (req->route) {
    case ROUTE_PRODUCE:
    case ROUTE_TOPICS:
        return handle_produce(req);
    case ROUTE_SIMULATOR:
        return handle_simulator(req);
    default:
        return handle_get(req);
    }
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    server_t *s = cls;
    request_t *req = *con_cls;
    if (!req)
        return;
    /* A keep-alive connection: the next request's clock starts now. */
    reaper_request_done(req->rconn);
    replay_release(req);
    access_drop(s->opts.access, req->acc);
    if (req->batch_used)
        batch_term(&req->batch);
    free(req->v3info);
    v3stream_destroy(req->v3s);
    free(req->body);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&s->active, 1);
    kgw_series_add(s->s_active, -1);
}

/* libmicrohttpd's accept policy, on an event-loop thread right after accept(),
 * before any byte is read: --max-connections-per-ip across every loop. The
 * count is given back at MHD_CONNECTION_NOTIFY_CLOSED. (A socket admitted here
 * that libmicrohttpd then fails to set up, out of memory, stays counted.) */
static enum MHD_Result accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    server_t *s = cls;
    return iplimit_acquire(s->iplimit, addr) ? MHD_YES : MHD_NO;
}

/* MHD_CONNECTION_NOTIFY_STARTED and _CLOSED, on an event-loop thread. The
 * closed notification comes before MHD closes the socket, so the reaper never
 * shuts down a descriptor that was closed and reused. */
static void conn_notify_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                           enum MHD_ConnectionNotificationCode toe)
{
    server_t *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        iplimit_release(s->iplimit, ai ? ai->client_addr : NULL);
    }
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        /* NULL on OOM: then only the idle timeout applies to it. */
        *socket_context = reaper_add(s->reaper, ci ? ci->connect_fd : -1);
        return;
    }
    reaper_remove(s->reaper, *socket_context);
    *socket_context = NULL;
}

static void mhd_log_cb(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    KGW_WARN("http msg=\"%s\"", msg);
}

server_t *server_new(const server_opts_t *opts, producer_t *p, simulator_t *sim,
                     kgw_metrics_t *metrics, char *errstr, size_t errstr_size)
{
    server_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->opts = *opts;
    s->producer = p;
    s->sh.producer = p;
    s->sh.access = opts->access;
    s->sh.max_body_bytes = opts->max_body_bytes;
    s->sh.max_inflight = opts->max_inflight;
    s->sh.scheme = opts->tls_cert_pem ? "https" : "http";
    s->sh.cors = opts->cors;
    s->meta = meta_new(producer_handle(p), META_TTL_MS);
    s->sh.meta = s->meta;
    if (opts->idempotency_window_ms > 0) {
        idem_opts_t io = {.window_ms = opts->idempotency_window_ms,
                          .max_entries = opts->idempotency_max_keys,
                          .max_bytes = opts->idempotency_max_bytes};
        s->sh.idem = idem_new(&io);
        if (!s->sh.idem || replay_metrics_init(&s->sh, metrics) != 0) {
            snprintf(errstr, errstr_size, "cannot create the Idempotency-Key store");
            server_destroy(s);
            return NULL;
        }
    }
    s->sim = sim;
    s->metrics = metrics;
    s->sh.m_requests =
        kgw_metrics_add(metrics, KGW_METRIC_COUNTER, "kgw_producer_http_requests_total",
                        "HTTP requests answered, by route and status.", NULL, 0);
    kgw_metric_t *f =
        kgw_metrics_add(metrics, KGW_METRIC_GAUGE, "kgw_producer_http_active_requests",
                        "HTTP requests being received or answered.", NULL, 0);
    s->s_active = f ? kgw_metric_series(f, NULL) : NULL;
    f = kgw_metrics_add(metrics, KGW_METRIC_COUNTER, "kgw_producer_http_slow_closed_total",
                        "Connections closed for not sending a whole request within "
                        "--connection-timeout.",
                        NULL, 0);
    kgw_series_t *s_slow_closed = f ? kgw_metric_series(f, NULL) : NULL;
    f = kgw_metrics_add(metrics, KGW_METRIC_GAUGE, "kgw_producer_http_connections",
                        "Open HTTP connections.", NULL, 0);
    kgw_series_t *s_conns = f ? kgw_metric_series(f, NULL) : NULL;
    f = kgw_metrics_add(metrics, KGW_METRIC_COUNTER, "kgw_producer_http_framing_refused_total",
                        "Requests refused for ambiguous framing (400, connection closed).", NULL,
                        0);
    s->s_framing = f ? kgw_metric_series(f, NULL) : NULL;
    s->sh.m_callers =
        kgw_metrics_add(metrics, KGW_METRIC_COUNTER, "kgw_producer_caller_requests_total",
                        "HTTP requests answered, by caller (name= of the token "
                        "in --auth-token-file) and status; only with tokens.",
                        NULL, 0);
    static const double window_buckets[] = {1, 10, 100, 1000};
    f = kgw_metrics_add(metrics, KGW_METRIC_HISTOGRAM, "kgw_producer_v3_stream_window_records",
                        "Records per window a v3 stream produced (at most 1000 in flight).",
                        window_buckets, 4);
    s->sh.s_v3_window = f ? kgw_metric_series(f, NULL) : NULL;
    f = kgw_metrics_add(metrics, KGW_METRIC_GAUGE, "kgw_producer_v3_stream_inflight_records",
                        "Records of v3 streams produced and not yet acknowledged.", NULL, 0);
    s->sh.s_v3_inflight = f ? kgw_metric_series(f, NULL) : NULL;
    if (!s->sh.s_v3_window || !s->sh.s_v3_inflight || !s->sh.m_callers || !s->sh.m_requests ||
        !s->s_active || !s_slow_closed || !s_conns || !s->s_framing) {
        snprintf(errstr, errstr_size, "cannot register metrics");
        server_destroy(s);
        return NULL;
    }
    s->reaper = reaper_new(opts->connection_timeout_s, s_slow_closed, s_conns);
    s->iplimit = iplimit_new((unsigned)opts->max_connections_per_ip);
    if (!s->reaper || !s->iplimit) {
        snprintf(errstr, errstr_size, "out of memory");
        server_destroy(s);
        return NULL;
    }
    if (pthread_key_create(&s->sh.js_key, request_jscan_free_cb) != 0) {
        snprintf(errstr, errstr_size, "cannot create a thread-specific key");
        server_destroy(s);
        return NULL;
    }
    s->sh.js_key_created = 1;

    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_ERROR_LOG;
    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, opts->listen, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)opts->port);
        sa = (struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, opts->listen, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)opts->port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errstr, errstr_size, "--listen: '%s' is not an IP address", opts->listen);
        server_destroy(s);
        return NULL;
    }

    /* Function pointers go in an option item's value (libmicrohttpd's MHD_OPTION_ARRAY). */
    struct MHD_OptionItem o[12];
    size_t n = 0;
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log_cb, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                     (intptr_t)opts->connection_timeout_s, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, s};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)conn_notify_cb, s};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                     (intptr_t)CONN_MEMORY_BYTES, NULL};
    if (opts->tls_cert_pem && opts->tls_key_pem) {
        flags |= MHD_USE_TLS;
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opts->tls_cert_pem};
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opts->tls_key_pem};
    }
    o[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    httpd_opts_t ho = {.threads = (unsigned)(opts->threads > 0 ? opts->threads : 1),
                       .flags = flags,
                       .addr = sa,
                       .connection_limit = (unsigned)opts->max_connections,
                       .options = o,
                       .access_cb = access_cb,
                       .access_cls = s,
                       .accept_cb = accept_cb,
                       .accept_cls = s};
    char why[256];
    s->httpd = httpd_start(&ho, why, sizeof(why));
    if (!s->httpd) {
        if (flags & MHD_USE_TLS)
            snprintf(errstr, errstr_size,
                     "cannot serve HTTPS on %s port %d: check that --tls-cert and --tls-key "
                     "are a matching PEM certificate and key (%s)",
                     opts->listen, opts->port, why);
        else
            snprintf(errstr, errstr_size, "cannot listen on %s port %d: %s", opts->listen,
                     opts->port, why);
        server_destroy(s);
        return NULL;
    }
    if (!s->meta || meta_start(s->meta) != 0) {
        snprintf(errstr, errstr_size, "cannot start the metadata thread");
        server_destroy(s);
        return NULL;
    }
    if (reaper_start(s->reaper) != 0) {
        snprintf(errstr, errstr_size, "cannot start the slow-connection reaper thread");
        server_destroy(s);
        return NULL;
    }
    s->port = httpd_port(s->httpd);
    return s;
}

int server_port(server_t *s)
{
    return s->port;
}

void server_quiesce(server_t *s)
{
    atomic_store(&s->sh.draining, 1);
    httpd_quiesce(s->httpd);
    /* After the listener closed: with a stalled broker the fetch thread may
     * be in a metadata request for up to 5 s, and this waits for it. */
    meta_stop(s->meta);
}

size_t server_active(server_t *s)
{
    return atomic_load(&s->active);
}

void server_destroy(server_t *s)
{
    if (!s)
        return;
    reaper_stop(s->reaper); /* httpd_stop's MHD_stop_daemon still removes connections */
    httpd_stop(s->httpd);
    iplimit_destroy(s->iplimit);
    reaper_destroy(s->reaper);
    meta_destroy(s->meta);
    idem_destroy(s->sh.idem);
    free(s->sh.idem_metrics);
    if (s->sh.js_key_created)
        pthread_key_delete(s->sh.js_key);
    free(s);
}
