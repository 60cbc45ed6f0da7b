/*
 * request: see request.h. Runs on the event-loop thread of the request it
 * answers; the per-route counters are created once and cached atomically.
 */
#include "producer/request.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/envelope.h"
#include "producer/httpd.h"
#include "producer/reaper.h"
#include "producer/replay.h"

static const int known_statuses[REQUEST_NSTATUS] = {200, 207, 400, 401, 403, 404, 405, 413,
                                                    415, 422, 431, 500, 503, 504, 204};

static void count_request(request_shared_t *sh, route_t route, int status)
{
    char labels[96];
    for (size_t i = 0; i < REQUEST_NSTATUS; i++) {
        if (known_statuses[i] != status)
            continue;
        kgw_series_t *ser = atomic_load(&sh->req_series[route][i]);
        if (!ser) {
            snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"", route_name(route),
                     status);
            ser = kgw_metric_series(sh->m_requests, labels);
            atomic_store(&sh->req_series[route][i], ser);
        }
        kgw_series_add(ser, 1);
        return;
    }
    snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"", route_name(route), status);
    kgw_series_add(kgw_metric_series(sh->m_requests, labels), 1);
}

static void free_cb(void *p)
{
    free(p);
}

enum MHD_Result request_respond_response(request_t *req, int status, struct MHD_Response *resp)
{
    if (status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (req->www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, req->www_auth);
    if (req->origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", req->origin);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
    }
    if (req->close || atomic_load(&req->sh->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    req->state = REQ_ANSWERED;
    reaper_request_in(req->rconn);
    count_request(req->sh, req->route, status);
    if (req->caller) {
        /* Only with tokens: the caller's name (never the token) as a label. */
        char labels[128];
        snprintf(labels, sizeof(labels), "caller=\"%s\",status=\"%d\"", req->caller, status);
        kgw_series_add(kgw_metric_series(req->sh->m_callers, labels), 1);
    }
    return ret;
}

enum MHD_Result request_respond(request_t *req, int status, const char *ctype, char *body,
                                size_t len, int is_static, const char *allow)
{
    struct MHD_Response *resp;
    if (req->idem_entry)
        replay_answered(req, status, ctype, body, len);
    if (is_static)
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    else
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free_cb);
    if (!resp) {
        if (!is_static)
            free(body);
        return MHD_NO;
    }
    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    return request_respond_response(req, status, resp);
}

enum MHD_Result request_respond_sbuf(request_t *req, int status, const char *ctype, sbuf_t *sb,
                                     const char *allow)
{
    if (sb->oom) {
        sbuf_term(sb);
        return MHD_NO;
    }
    size_t len;
    char *body = sbuf_steal(sb, &len);
    return request_respond(req, status, ctype, body, len, 0, allow);
}

enum MHD_Result request_respond_error(request_t *req, int status, int rest_code, const char *msg,
                                      const char *allow)
{
    sbuf_t sb;
    sbuf_init(&sb);
    if (req->route == ROUTE_TOPICS || req->route == ROUTE_TOPIC_LIST) {
        restproxy_render_error(&sb, rest_code ? rest_code : status * 100 + (status >= 500 ? 1 : 0),
                               msg);
        return request_respond_sbuf(req, status, RESTPROXY_CONTENT_TYPE, &sb, allow);
    }
    if (req->route == ROUTE_V3) {
        /* v3 answers {"error_code": <HTTP status>, "message": ...}. */
        sbuf_addf(&sb, "{\"error_code\":%d,\"message\":", status);
        sbuf_add_json_str(&sb, msg, strlen(msg));
        sbuf_adds(&sb, "}");
        return request_respond_sbuf(req, status, JSON_TYPE, &sb, allow);
    }
    if (req->route == ROUTE_PRODUCE) {
        envelope_render_error(&sb, msg);
    } else {
        sbuf_adds(&sb, "{\"error\":");
        sbuf_add_json_str(&sb, msg, strlen(msg));
        sbuf_adds(&sb, "}");
    }
    return request_respond_sbuf(req, status, JSON_TYPE, &sb, allow);
}

enum MHD_Result request_respond_not_allowed(request_t *req, const char *topic)
{
    char msg[320];
    snprintf(msg, sizeof(msg), "topic '%s' is not allowed", topic);
    return request_respond_error(req, 403, 40301, msg, NULL);
}

void request_jscan_free_cb(void *p)
{
    jscan_term(p);
    free(p);
}

jscan_t *request_jscan(request_t *req)
{
    request_shared_t *sh = req->sh;
    jscan_t *js = pthread_getspecific(sh->js_key);
    if (!js) {
        js = malloc(sizeof(*js));
        if (!js)
            return NULL;
        jscan_init(js, JSCAN_DEFAULT_MAX_DEPTH);
        if (pthread_setspecific(sh->js_key, js) != 0) {
            free(js);
            return NULL;
        }
    }
    return js;
}

/* Runs on the producer's poller thread (or inside producer_submit). */
static void produce_done_cb(batch_t *b, void *opaque)
{
    (void)b;
    request_t *req = opaque;
    request_resume(req);
}

void request_resume(request_t *req)
{
    /* Once resumed, req may be answered and freed on its loop: nothing of it
     * is read after MHD_resume_connection() (httpd_resume takes the loop first). */
    httpd_resume(req->loop, req->conn);
}

enum MHD_Result request_submit(request_t *req)
{
    request_shared_t *sh = req->sh;
    if (producer_inflight(sh->producer) >= sh->max_inflight)
        return request_respond_error(
            req, 503, 50003, "too many requests in flight: retry after the Retry-After delay",
            NULL);
    /* Suspend before enqueueing: a delivery report may arrive on the poller
     * thread before producer_submit() returns, and must find the connection
     * suspended to resume it. */
    req->state = REQ_WAITING;
    MHD_suspend_connection(req->conn);
    if (producer_submit(sh->producer, &req->batch, produce_done_cb, req) != 0) {
        /* Nothing was enqueued and no callback will run: answer now. */
        request_resume(req);
    }
    return MHD_YES;
}

int request_may_write(const request_t *req, const char *topic)
{
    return access_may_write(req->acc, req->who, topic);
}

int request_cors(request_t *req, const char *method, enum MHD_Result *ret)
{
    const char *origin = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Origin");
    int allowed = cors_allowed(req->sh->cors, origin);
    const char *want =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Access-Control-Request-Method");
    if (allowed)
        req->origin = origin;
    if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) != 0 || !want)
        return 0;
    if (!allowed) {
        *ret = request_respond_error(req, 403, 40302, "CORS: origin not allowed (--cors-origins)",
                                     NULL);
        return 1;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        *ret = MHD_NO;
        return 1;
    }
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", CORS_ALLOW_METHODS);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    MHD_add_response_header(resp, "Access-Control-Max-Age", CORS_MAX_AGE);
    *ret = request_respond_response(req, 204, resp);
    return 1;
}
