/*
 * request: one HTTP request's state on its way through kgw-producer, the
 * state its handlers share (server-wide, read-mostly), and the functions that
 * queue its answer. server.c drives the libmicrohttpd callbacks; the handler
 * modules (api.c, v3.c, ...) fill and answer a request through this header.
 *
 * Threads: a request belongs to the event-loop thread that runs its access
 * handler; only MHD_resume_connection() is called on it from elsewhere. The
 * shared part is read-only after server_new() but for its atomics.
 */
#ifndef PRODUCER_REQUEST_H
#define PRODUCER_REQUEST_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kgw_metrics.h"
#include "producer/access.h"
#include "producer/batch.h"
#include "producer/cors.h"
#include "producer/jscan.h"
#include "producer/idem.h"
#include "producer/meta.h"
#include "producer/produce.h"
#include "producer/reaper.h"
#include "producer/restproxy.h"
#include "producer/route.h"
#include "producer/sbuf.h"

#define JSON_TYPE "application/json"

/* Statuses whose request counters are cached; others are looked up. */
#define REQUEST_NSTATUS 15

struct replay_metrics;

/* What every request's handlers may read; owned by the server. */
typedef struct request_shared {
    producer_t *producer;
    access_holder_t *access;
    struct meta *meta;                   /* metadata cache (NULL-able) */
    idem_t *idem;                        /* Idempotency-Key store (NULL: off) */
    struct replay_metrics *idem_metrics; /* owned by the server */
    const cors_t *cors;                  /* allowed origins (NULL: no CORS headers) */
    const char *scheme;                  /* "http" or "https", for v3 links */
    size_t max_body_bytes;
    size_t max_inflight;
    atomic_int draining;
    pthread_key_t js_key; /* per-thread jscan_t scratch */
    int js_key_created;
    kgw_metric_t *m_requests;
    kgw_metric_t *m_callers;     /* requests by caller name and status */
    kgw_series_t *s_v3_window;   /* v3 stream windows by records (histogram) */
    kgw_series_t *s_v3_inflight; /* records of v3 streams in flight (gauge) */
    _Atomic(kgw_series_t *) req_series[ROUTE_COUNT][REQUEST_NSTATUS];
} request_shared_t;

typedef enum {
    REQ_BODY,    /* receiving the body */
    REQ_WAITING, /* suspended: waiting for Kafka, metadata or a timer */
    REQ_ANSWERED,
} req_state_t;

typedef struct request {
    request_shared_t *sh;
    struct server *srv;
    reaper_conn_t *rconn; /* the connection's reaper entry (NULL-able) */
    const char *www_auth; /* WWW-Authenticate value for a 401, or NULL */
    const char *origin;   /* the allowed Origin to echo, or NULL */
    struct MHD_Connection *conn;
    struct httpd_loop *loop; /* the event loop that serves conn (httpd.h) */
    const char *url;         /* origin-form path, libmicrohttpd's for the request */
    route_t route;
    req_state_t state;
    char *body; /* owned; the batch borrows it */
    size_t len, cap;
    size_t received;
    int too_large;
    int close; /* answer with Connection: close */
    /* produce */
    batch_t batch;
    int batch_used;
    restproxy_format_t fmt;
    int32_t path_partition;
    char topic[256];
    /* metadata and v3 (api.c) */
    int api; /* api.c handles this request */
    route_shape_t shape;
    route_parts_t parts;
    meta_waiter_t waiter;
    struct v3rec_info *v3info; /* owned */
    batch_t v3win;             /* a buffered v3 request's window in flight (owns nothing) */
    size_t v3_next;            /* its first record not yet submitted */
    struct v3stream *v3s;      /* owned: v3 records read as a stream (v3stream.h), or NULL */
    /* Idempotency-Key (replay.c) */
    struct idem_entry *idem_entry; /* the first use, until answered */
    idem_waiter_t idem_waiter;
    int idem_waiting;          /* suspended until the first use is answered */
    const char *caller;        /* the token's name, or NULL */
    access_t *acc;             /* held from the first call to the completed callback */
    const access_token_t *who; /* the caller's token in acc, or NULL */
    /* simulator */
    int sim_status;
    long sim_delay_ms;
} request_t;

/*
 * Queues an answer. `body` is taken over (freed by libmicrohttpd), or a
 * static string when `is_static`. `allow` (NULL-able) becomes an Allow
 * header. Counts the request by route and status. Returns MHD's verdict.
 */
enum MHD_Result request_respond(request_t *req, int status, const char *ctype, char *body,
                                size_t len, int is_static, const char *allow);

/* Queues a response built by the caller (taken over), adding the common
 * headers (Retry-After, CORS, Connection: close) and counting it. */
enum MHD_Result request_respond_response(request_t *req, int status, struct MHD_Response *resp);

/* request_respond() with sb's text (taken over; MHD_NO if sb ran out of memory). */
enum MHD_Result request_respond_sbuf(request_t *req, int status, const char *ctype, sbuf_t *sb,
                                     const char *allow);

/*
 * An error in the format of the request's API: REST Proxy v2 ({"error_code",
 * "message"}), v3 ({"error_code", "message"} with the HTTP status as code),
 * /produce ({"success": false, "error"}) or plain {"error"}. rest_code 0
 * derives a code from the status.
 */
enum MHD_Result request_respond_error(request_t *req, int status, int rest_code, const char *msg,
                                      const char *allow);

/* 403 for a topic the caller may not write. */
enum MHD_Result request_respond_not_allowed(request_t *req, const char *topic);

/*
 * CORS, before authentication (a preflight carries no token): answers an
 * OPTIONS preflight (204, or 403 for an origin not in --cors-origins) and
 * returns 1 with *ret set; otherwise notes an allowed Origin for the answer's
 * headers and returns 0. Call only when sh->cors is set.
 */
int request_cors(request_t *req, const char *method, enum MHD_Result *ret);

/* The event-loop thread's scratch JSON scanner (NULL on OOM). */
jscan_t *request_jscan(request_t *req);
/* The destructor of request_shared_t.js_key. */
void request_jscan_free_cb(void *p);

/*
 * Enqueues req->batch (filled by a parser) unless --max-inflight is reached
 * (503), suspending the connection until its delivery reports are in; the
 * caller answers when resumed. Returns MHD's verdict.
 */
enum MHD_Result request_submit(request_t *req);

/* Resumes the request's suspended connection from any thread (httpd_resume).
 * The request may be gone when this returns. */
void request_resume(request_t *req);

/* 1 when the request's caller may write `topic` (--allow-topics, and the
 * caller's own patterns when tokens name them). */
int request_may_write(const request_t *req, const char *topic);

#endif
