/*
 * replay: see replay.h. Costs nothing without the header: one header lookup
 * (none at all when the store is off); the store's lock is taken only for
 * requests that carry a key.
 */
#include "producer/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 255

typedef struct replay_metrics {
    kgw_series_t *entries, *bytes, *max_entries, *max_bytes, *replays, *conflicts, *evicted;
} replay_metrics_t;

static kgw_series_t *add(kgw_metrics_t *m, kgw_metric_type_t type, const char *name,
                         const char *help)
{
    kgw_metric_t *f = kgw_metrics_add(m, type, name, help, NULL, 0);
    return f ? kgw_metric_series(f, NULL) : NULL;
}

int replay_metrics_init(request_shared_t *sh, kgw_metrics_t *m)
{
    replay_metrics_t *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    sh->idem_metrics = r;
    r->entries = add(m, KGW_METRIC_GAUGE, "kgw_producer_idempotency_keys",
                     "Idempotency-Key entries held (in flight and answered).");
    r->bytes = add(m, KGW_METRIC_GAUGE, "kgw_producer_idempotency_bytes",
                   "Bytes held by Idempotency-Key entries and their stored answers.");
    r->max_entries = add(m, KGW_METRIC_GAUGE, "kgw_producer_idempotency_max_keys",
                         "Cap on Idempotency-Key entries (--idempotency-max-keys).");
    r->max_bytes = add(m, KGW_METRIC_GAUGE, "kgw_producer_idempotency_max_bytes",
                       "Cap on Idempotency-Key bytes (--idempotency-max-bytes).");
    r->replays = add(m, KGW_METRIC_COUNTER, "kgw_producer_idempotency_replays_total",
                     "Requests answered with a stored answer instead of producing again.");
    r->conflicts = add(m, KGW_METRIC_COUNTER, "kgw_producer_idempotency_conflicts_total",
                       "Requests refused (422): their key was used with another request.");
    r->evicted = add(m, KGW_METRIC_COUNTER, "kgw_producer_idempotency_evicted_total",
                     "Answered keys forgotten before their window ended, to stay in the caps.");
    return r->entries && r->bytes && r->max_entries && r->max_bytes && r->replays && r->conflicts &&
                   r->evicted
               ? 0
               : -1;
}

void replay_collect(request_shared_t *sh)
{
    if (!sh->idem)
        return;
    replay_metrics_t *r = sh->idem_metrics;
    idem_stats_t st;
    idem_stats(sh->idem, &st);
    kgw_series_set(r->entries, (double)st.entries);
    kgw_series_set(r->bytes, (double)st.bytes);
    kgw_series_set(r->max_entries, (double)st.max_entries);
    kgw_series_set(r->max_bytes, (double)st.max_bytes);
    kgw_series_set(r->replays, (double)st.replays);
    kgw_series_set(r->conflicts, (double)st.conflicts);
    kgw_series_set(r->evicted, (double)st.evicted);
}

/* Runs under the store's lock, before any wake-up can. */
static void suspend_cb(void *opaque)
{
    request_t *req = opaque;
    req->state = REQ_WAITING;
    req->idem_waiting = 1;
    MHD_suspend_connection(req->conn);
}

static void wake_cb(void *opaque)
{
    request_t *req = opaque;
    request_resume(req);
}

static int key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
            return 0;
    return 1;
}

int replay_check(request_t *req, enum MHD_Result *ret)
{
    idem_t *store = req->sh->idem;
    if (!store)
        return 0;
    req->idem_waiting = 0;
    const char *key = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (!key)
        return 0;
    if (!key_valid(key)) {
        *ret = request_respond_error(
            req, 400, 40002, "Idempotency-Key must be 1-255 printable ASCII characters", NULL);
        return 1;
    }
    const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    idem_fp_t fp;
    idem_fp_init(&fp);
    idem_fp_add(&fp, req->url, strlen(req->url) + 1);
    idem_fp_add(&fp, ct ? ct : "", ct ? strlen(ct) + 1 : 1);
    idem_fp_add(&fp, req->body ? req->body : "", req->len);
    idem_answer_t a = {0};
    idem_entry_t *e = NULL;
    req->idem_waiter.on_queue = suspend_cb;
    idem_verdict_t v = idem_begin(store, req->caller ? req->caller : "", key, &fp,
                                  &req->idem_waiter, wake_cb, req, &a, &e);
    switch (v) {
    case IDEM_NEW:
        req->idem_entry = e;
        return 0;
    case IDEM_WAIT:
        *ret = MHD_YES; /* suspend_cb suspended it */
        return 1;
    case IDEM_REPLAY: {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer_with_free_callback(a.len, a.body, free);
        if (!resp) {
            free(a.body);
            *ret = MHD_NO;
            return 1;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.ctype);
        MHD_add_response_header(resp, "Idempotent-Replayed", "true");
        *ret = request_respond_response(req, a.status, resp);
        return 1;
    }
    case IDEM_CONFLICT:
        *ret = request_respond_error(
            req, 422, 42203,
            "Idempotency-Key was already used with a different request (path, "
            "Content-Type or body) within --idempotency-window",
            NULL);
        return 1;
    case IDEM_FULL:
        *ret = request_respond_error(
            req, 503, 50302, "Idempotency-Key store full of requests in flight: retry", NULL);
        return 1;
    default:
        *ret = request_respond_error(req, 500, 50001, "out of memory", NULL);
        return 1;
    }
}

void replay_answered(request_t *req, int status, const char *ctype, const char *body, size_t len)
{
    idem_entry_t *e = req->idem_entry;
    req->idem_entry = NULL;
    if (status == 503)
        idem_abort(req->sh->idem, e);
    else
        idem_finish(req->sh->idem, e, status, ctype, body, len);
}

void replay_release(request_t *req)
{
    if (req->idem_entry) {
        idem_abort(req->sh->idem, req->idem_entry);
        req->idem_entry = NULL;
    }
}
