/*
 * api: see api.h. Runs on the request's event-loop thread. The topic filter
 * of the metadata views is the caller's write permission, so a caller sees
 * only the topics it may write.
 */
#include "producer/api.h"

#include <stdio.h>
#include <string.h>

#include "producer/metaview.h"
#include "producer/v3rec.h"
#include "producer/v3stream.h"

static int is_get(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static metaview_kind_t kind_of(route_shape_t shape)
{
    switch (shape) {
    case ROUTE_SHAPE_TOPICS:
        return METAVIEW_V2_TOPICS;
    case ROUTE_SHAPE_TOPIC:
        return METAVIEW_V2_TOPIC;
    case ROUTE_SHAPE_PARTITIONS:
        return METAVIEW_V2_PARTITIONS;
    case ROUTE_SHAPE_PARTITION:
        return METAVIEW_V2_PARTITION;
    case ROUTE_SHAPE_V3_CLUSTERS:
        return METAVIEW_V3_CLUSTERS;
    case ROUTE_SHAPE_V3_CLUSTER:
        return METAVIEW_V3_CLUSTER;
    case ROUTE_SHAPE_V3_TOPICS:
        return METAVIEW_V3_TOPICS;
    default:
        return METAVIEW_V3_TOPIC;
    }
}

/* --- v3 produce: POST /v3/clusters/{id}/topics/{t}/records. */

/*
 * Records are read as a stream (v3stream.h), except with an Idempotency-Key:
 * its answer must be stored before anything is produced again, so such a
 * request is read whole (up to --max-body-bytes) and produced after.
 */
static int use_stream(const request_t *req)
{
    return !req->sh->idem ||
           !MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Idempotency-Key");
}

static int v3_on_headers(request_t *req, const char *method, enum MHD_Result *ret)
{
    const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    char known[128];
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        *ret = request_respond_error(req, 405, 405, "method not allowed: use POST", "POST");
    else if (!route_json_type(ct))
        *ret = request_respond_error(req, 415, 415,
                                     "unsupported Content-Type: send application/json", NULL);
    else if (!request_may_write(req, req->parts.topic))
        *ret = request_respond_not_allowed(req, req->parts.topic);
    else if (req->sh->meta && meta_cluster_id(req->sh->meta, known, sizeof(known)) &&
             strcmp(known, req->parts.cluster) != 0)
        *ret =
            request_respond_error(req, 404, 404, "Cluster not found (see GET /v3/clusters)", NULL);
    else if (atomic_load(&req->sh->draining))
        *ret =
            request_respond_error(req, 503, 503, "shutting down: retry on another instance", NULL);
    else if (use_stream(req) && producer_inflight(req->sh->producer) >= req->sh->max_inflight)
        *ret = request_respond_error(req, 503, 503, "too many requests in flight: retry", NULL);
    else if (use_stream(req) && !(req->v3s = v3stream_new(req->sh->max_body_bytes)))
        *ret = request_respond_error(req, 500, 500, "out of memory", NULL);
    else
        return 0;
    return 1;
}

/* Records of one buffered v3 request (with an Idempotency-Key) in flight at
 * most: a long one is produced a window at a time, so it neither fills
 * librdkafka's queue (and fails with __QUEUE_FULL) nor holds more than this
 * many messages there. */
#define V3_WINDOW 10000

static void v3_window_done_cb(batch_t *b, void *opaque);

/*
 * Submits the next window of the stream; when none could be enqueued, the
 * one after (its records carry the error). Once every record is reported,
 * resumes the connection. After a successful producer_submit() req belongs
 * to the window's callback: nothing here touches it again.
 */
static void v3_next_window(request_t *req)
{
    batch_t *all = &req->batch, *w = &req->v3win;
    while (req->v3_next < all->count) {
        size_t first = req->v3_next;
        size_t n = all->count - first < V3_WINDOW ? all->count - first : V3_WINDOW;
        req->v3_next = first + n;
        w->topic = all->topic;
        w->records = all->records + first;
        w->count = n;
        w->headers = all->headers;
        w->nheaders = all->nheaders;
        w->multi = 1;
        for (size_t i = 0; i < n; i++)
            w->records[i].batch = w;
        if (producer_submit(req->sh->producer, w, v3_window_done_cb, req) == 0)
            return;
    }
    request_resume(req);
}

/* Runs on the producer's poller thread (or inside producer_submit). */
static void v3_window_done_cb(batch_t *b, void *opaque)
{
    (void)b;
    v3_next_window(opaque);
}

static enum MHD_Result v3_handle(request_t *req)
{
    if (req->v3s)
        return v3stream_end(req);
    parse_error_t pe = {0};
    jscan_t *js = request_jscan(req);
    if (!js)
        return request_respond_error(req, 500, 500, "out of memory", NULL);
    req->batch_used = 1;
    if (v3rec_parse(js, req->body, req->len, req->parts.topic, &req->batch, &req->v3info, &pe))
        return request_respond_error(req, pe.status, pe.code, pe.msg, NULL);
    if (req->batch.count <= V3_WINDOW)
        return request_submit(req);
    if (producer_inflight(req->sh->producer) >= req->sh->max_inflight)
        return request_respond_error(req, 503, 503, "too many requests in flight: retry", NULL);
    req->state = REQ_WAITING;
    MHD_suspend_connection(req->conn);
    v3_next_window(req);
    return MHD_YES;
}

static enum MHD_Result v3_resume(request_t *req)
{
    if (req->v3s)
        return v3stream_resume(req);
    sbuf_t sb;
    char id[128] = "";
    if (!req->sh->meta || !meta_cluster_id(req->sh->meta, id, sizeof(id)))
        snprintf(id, sizeof(id), "%s", req->parts.cluster);
    sbuf_init(&sb);
    int status = v3rec_render(&req->batch, req->v3info, id, &sb);
    return request_respond_sbuf(req, status, JSON_TYPE, &sb, NULL);
}

int api_on_headers(request_t *req, const char *method, enum MHD_Result *ret)
{
    const char *url = req->url;
    req->shape = route_split(url, &req->parts);
    if (req->shape == ROUTE_SHAPE_V3_RECORDS) {
        req->api = 1;
        return v3_on_headers(req, method, ret);
    }
    if (req->route == ROUTE_TOPICS && !is_get(method))
        return -1; /* v2 produce, whose path errors restproxy.c answers */
    if (req->shape == ROUTE_SHAPE_NONE) {
        char msg[200];
        snprintf(msg, sizeof(msg), "not found: %.100s (see GET /openapi.json)", url);
        *ret = request_respond_error(req, 404, 40400, msg, NULL);
        return 1;
    }
    if (!is_get(method)) {
        *ret = request_respond_error(req, 405, 40501, "method not allowed: use GET", "GET, HEAD");
        return 1;
    }
    req->api = 1;
    return 0;
}

static void metadata_in_cb(void *opaque)
{
    request_t *req = opaque;
    request_resume(req);
}

enum MHD_Result api_handle(request_t *req)
{
    if (req->shape == ROUTE_SHAPE_V3_RECORDS)
        return v3_handle(req);
    if (!req->sh->meta)
        return request_respond_error(req, 503, 50301, "metadata unavailable", NULL);
    req->state = REQ_WAITING;
    MHD_suspend_connection(req->conn);
    if (meta_want(req->sh->meta, &req->waiter, metadata_in_cb, req) != 0)
        request_resume(req); /* fresh, or stopping: answer now */
    return MHD_YES;
}

typedef struct render_args {
    request_t *req;
    sbuf_t *sb;
    char base_url[300];
    char err[160];
} render_args_t;

static int allow_cb(const void *ctx, const char *topic)
{
    const request_t *req = ctx;
    return request_may_write(req, topic);
}

static int render_cb(const struct rd_kafka_metadata *md, const char *cluster_id, const char *err,
                     void *arg)
{
    render_args_t *a = arg;
    if (!md) {
        snprintf(a->err, sizeof(a->err), "%s", err);
        return 1;
    }
    metaview_t v = {.md = md,
                    .cluster_id = cluster_id,
                    .base_url = a->base_url,
                    .allow = allow_cb,
                    .allow_ctx = a->req};
    const route_parts_t *p = &a->req->parts;
    return metaview_render(&v, kind_of(a->req->shape), p->cluster, p->topic, (int32_t)p->partition,
                           a->sb);
}

enum MHD_Result api_resume(request_t *req)
{
    if (req->shape == ROUTE_SHAPE_V3_RECORDS)
        return v3_resume(req);
    sbuf_t sb;
    render_args_t a = {.req = req, .sb = &sb};
    const char *host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Host");
    snprintf(a.base_url, sizeof(a.base_url), "%s://%.200s", req->sh->scheme,
             host ? host : "localhost");
    sbuf_init(&sb);
    int rc = req->sh->meta ? meta_with(req->sh->meta, render_cb, &a) : 1;
    const char *ctype = req->route == ROUTE_V3 ? JSON_TYPE : RESTPROXY_CONTENT_TYPE;
    if (rc == 0)
        return request_respond_sbuf(req, 200, ctype, &sb, NULL);
    sbuf_term(&sb);
    switch (rc) {
    case 1:
        return request_respond_error(req, 503, 50301, a.err[0] ? a.err : "metadata unavailable",
                                     NULL);
    case METAVIEW_REFUSED:
        return request_respond_not_allowed(req, req->parts.topic);
    case METAVIEW_NO_PARTITION:
        return request_respond_error(req, 404, 40402, "Partition not found", NULL);
    case METAVIEW_NO_CLUSTER:
        return request_respond_error(req, 404, 40404, "Cluster not found", NULL);
    default:
        return request_respond_error(req, 404, 40401, "Topic not found", NULL);
    }
}
