/*
 * delivery: the delivery slots and the failure policy (see delivery.h).
 * Owns -workers slots, each with its reusable body buffer, its sink request
 * and one uv_timer_t for every wait a record can go through (retry backoff,
 * an encode or send retried after an allocation failure, a dead-letter
 * re-enqueue). The circuit breaker's state and its probe timer are in
 * deliveries_t too (delivery_int.h); judge() here decides what is held,
 * delivery_breaker.c when it goes again. Loop thread only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_alloc.h"
#include "common/kgw_log.h"
#include "consumer/delivery_int.h"
#include "consumer/policy.h"

/* Waits after a local failure (allocation, a full producer queue). */
#define LOCAL_RETRY_MS       1000
#define DLQ_ENQUEUE_RETRY_MS 100

typedef enum {
    VERDICT_DONE = 0,
    VERDICT_RETRY,
    VERDICT_FAILED,
    VERDICT_HOLD,
    VERDICT_GONE,
    VERDICT_IGNORE,
} verdict_t;

static void dlq_send(slot_t *sl);
static void final_failure(slot_t *sl);
static void gone(slot_t *sl);

deliveries_t *deliveries_new(uv_loop_t *loop, const consumer_config_t *cfg, stats_t *stats,
                             const dispatch_ops_t *ops, void *ops_ctx,
                             const delivery_owner_t *owner, void *opaque)
{
    deliveries_t *ds = kgw_calloc(1, sizeof(*ds));
    if (!ds)
        return NULL;
    ds->loop = loop;
    ds->cfg = cfg;
    ds->stats = stats;
    ds->ops = ops;
    ds->ctx = ops_ctx;
    ds->owner = *owner;
    ds->opaque = opaque;
    ds->nslots = cfg->workers > 0 ? (size_t)cfg->workers : 1;
    ds->batching = cfg->batch_max > 0 && ops->batch_add && ops->batch_end;
    ds->lim = (batch_limits_t){ds->batching ? (size_t)cfg->batch_max : 1,
                               cfg->batch_bytes > 0 ? (size_t)cfg->batch_bytes : SIZE_MAX,
                               cfg->batch_linger_ms > 0 ? (uint64_t)cfg->batch_linger_ms : 0};
    breaker_init(&ds->breaker, cfg->breaker_threshold > 0 ? cfg->breaker_threshold : 10,
                 cfg->breaker_backoff_ms > 0 ? (uint64_t)cfg->breaker_backoff_ms : 1000,
                 cfg->breaker_backoff_max > 0 ? (uint64_t)cfg->breaker_backoff_max : 60000);
    ds->slots = kgw_calloc(ds->nslots, sizeof(*ds->slots));
    if (!ds->slots) {
        kgw_free(ds);
        return NULL;
    }
    for (size_t i = ds->nslots; i-- > 0;) {
        slot_t *sl = &ds->slots[i];
        sl->ds = ds;
        record_buf_init(&sl->body);
        if (batch_init(&sl->batch, ds->lim.max)) {
            deliveries_destroy(ds, NULL, NULL);
            return NULL;
        }
        sl->next_free = ds->free_slots;
        ds->free_slots = sl;
    }
    return ds;
}

void deliveries_start(deliveries_t *ds)
{
    for (size_t i = 0; i < ds->nslots; i++) {
        uv_timer_init(ds->loop, &ds->slots[i].timer);
        ds->slots[i].timer.data = &ds->slots[i];
    }
    uv_timer_init(ds->loop, &ds->probe_timer);
    ds->probe_timer.data = ds;
    ds->timers_init = 1;
}

size_t deliveries_active(const deliveries_t *ds)
{
    return ds->active;
}

int deliveries_has_free(const deliveries_t *ds)
{
    return ds->free_slots != NULL;
}

/* Gives records [from, to) of the batch back to the owner; the slot stays busy. */
static void give_back(slot_t *sl, size_t from, size_t to, int done)
{
    deliveries_t *ds = sl->ds;
    for (size_t i = from; i < to; i++) {
        if (!done)
            stats_inc(ds->stats, STAT_DROPPED);
        ds->owner.release_cb(sl->batch.items[i], done, ds->opaque);
    }
}

static void close_open(slot_t *sl)
{
    if (sl->open) {
        sl->open = 0;
        sl->ds->open--;
    }
}

/* Gives every record not settled yet ([lo, n)) back to the owner and frees
 * the slot. The slot is free before the owner takes the last record, so it
 * can start the next record (or see the drain) from inside. */
void delivery_release(slot_t *sl, int done)
{
    deliveries_t *ds = sl->ds;
    batch_t *b = &sl->batch;
    uv_timer_stop(&sl->timer);
    close_open(sl);
    if (sl->held) {
        sl->held = 0;
        ds->held--;
    }
    if (sl == ds->probe) {
        /* The probe ended without an answer about the target (revoked,
         * shutdown, 410): the next one is due after the backoff. */
        delivery_probe_failed(ds);
        if (!ds->owner.stopping_cb(ds->opaque))
            delivery_schedule_probe(ds, -1);
    }
    give_back(sl, b->lo, b->n - 1, done);
    rec_t *rec = b->items[b->n - 1];
    batch_reset(b);
    sl->rec = NULL;
    sl->encoded = 0;
    sl->next_free = ds->free_slots;
    ds->free_slots = sl;
    ds->active--;
    if (!done)
        stats_inc(ds->stats, STAT_DROPPED);
    ds->owner.release_cb(rec, done, ds->opaque);
}

/* A record that waited may go on only while its partition is ours and no
 * shutdown began; otherwise it is given up (redelivered later). */
int delivery_may_go_on(slot_t *sl)
{
    if (sl->rec->part->revoked || sl->ds->owner.stopping_cb(sl->ds->opaque)) {
        delivery_release(sl, 0);
        return 0;
    }
    return 1;
}

static void wait_then(slot_t *sl, uv_timer_cb cb, uint64_t delay_ms)
{
    sl->wait_cb = cb;
    uv_timer_start(&sl->timer, cb, delay_ms, 0);
}

static void retry_cb(uv_timer_t *handle)
{
    slot_t *sl = handle->data;
    if (!delivery_may_go_on(sl))
        return;
    /* Opened meanwhile by another slot: no attempt but the probe. */
    if (sl->ds->breaker.state != BREAKER_CLOSED && sl != sl->ds->probe) {
        delivery_hold(sl);
        return;
    }
    delivery_attempt(sl);
}

/* Logs a local failure (no memory, a full queue) once per record: a slot
 * retrying every 100 ms would otherwise write ten lines a second. */
static void local_failure(slot_t *sl, kgw_log_level_t level, const char *what, const char *error,
                          uint64_t retry_ms)
{
    if (sl->local_failures++ == 0)
        kgw_log(level,
                "%s topic=%s partition=%d offset=%" PRId64 " error=\"%s\" (retrying every "
                "%" PRIu64 " ms; logged once per record)",
                what, sl->rec->topic, (int)sl->rec->partition, sl->rec->offset, error, retry_ms);
    else
        KGW_DEBUG("%s again topic=%s partition=%d offset=%" PRId64 " failures=%d", what,
                  sl->rec->topic, (int)sl->rec->partition, sl->rec->offset, sl->local_failures);
}

static void local_recovered(slot_t *sl, const char *what)
{
    if (sl->local_failures)
        KGW_INFO("%s topic=%s partition=%d offset=%" PRId64 " after_failures=%d", what,
                 sl->rec->topic, (int)sl->rec->partition, sl->rec->offset, sl->local_failures);
    sl->local_failures = 0;
}

/* The body of the range [lo, hi): the record's, or a batch of them. */
static int encode_range(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    const batch_t *b = &sl->batch;
    record_buf_reset(&sl->body);
    if (!ds->batching)
        return ds->ops->encode(ds->ctx, sl->rec->msg, &sl->body);
    for (size_t i = b->lo; i < b->hi; i++)
        if (ds->ops->batch_add(ds->ctx, ((rec_t *)b->items[i])->msg, &sl->body))
            return -1;
    return ds->ops->batch_end(ds->ctx, &sl->body);
}

void delivery_attempt(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    if (!sl->encoded) {
        if (encode_range(sl) || sl->body.len == 0) {
            /* Never an empty or partial body: a permissive target would
             * answer 2xx and the record's offset would be committed. */
            record_buf_reset(&sl->body);
            local_failure(sl, KGW_LOG_ERROR, "cannot encode a record", "out of memory",
                          LOCAL_RETRY_MS);
            wait_then(sl, retry_cb, LOCAL_RETRY_MS);
            return;
        }
        sl->encoded = 1;
    }
    sl->req.body = &sl->body;
    sl->req.opaque = sl;
    if (ds->ops->send(ds->ctx, &sl->req)) {
        /* Only allocation failures get here: try again shortly rather than
         * fail a record the target never saw (nor count it an attempt). */
        local_failure(sl, KGW_LOG_ERROR, "cannot start an HTTP request", "out of memory",
                      LOCAL_RETRY_MS);
        wait_then(sl, retry_cb, LOCAL_RETRY_MS);
        return;
    }
    sl->attempts++;
    stats_inc(ds->stats, STAT_ATTEMPTS);
    if (ds->batching && !sl->sent) {
        sl->sent = 1;
        stats_inc(ds->stats, STAT_BATCHES);
    }
    local_recovered(sl, "HTTP request started");
}

/* Sends the range [lo, hi) afresh: its own webhook-id (stable across its
 * retries) and retry budget. */
static void start_range(slot_t *sl)
{
    const batch_t *b = &sl->batch;
    const rec_t *first = b->items[b->lo], *last = b->items[b->hi - 1];
    sl->rec = b->items[b->lo];
    sl->attempts = 0;
    sl->local_failures = 0;
    sl->sent = 0;
    if (sl->ds->batching)
        batch_webhook_id(sl->req.webhook_id, sizeof(sl->req.webhook_id), first->topic,
                         first->partition, first->offset, last->offset);
    else
        record_webhook_id(sl->req.webhook_id, sizeof(sl->req.webhook_id), first->topic,
                          first->partition, first->offset);
    /* Opened while the batch lingered or was split: held, like any record
     * that is not the probe. */
    if (sl->ds->breaker.state != BREAKER_CLOSED && sl != sl->ds->probe) {
        delivery_hold(sl);
        return;
    }
    delivery_attempt(sl);
}

/* Adds rec to the open batch's body; 0, or -1 when it does not fit (or the
 * body cannot grow: then the batch goes as it is, re-encoded when sent). */
static int batch_add(slot_t *sl, rec_t *rec)
{
    deliveries_t *ds = sl->ds;
    size_t before = sl->body.len;
    if (!sl->body.oom && !ds->ops->batch_add(ds->ctx, rec->msg, &sl->body) &&
        batch_fits(&ds->lim, &sl->batch, sl->body.len + 1)) {
        batch_push(&sl->batch, rec, sl->body.len + 1, uv_now(ds->loop));
        return 0;
    }
    if (sl->body.oom)
        record_buf_reset(&sl->body);
    else
        sl->body.len = before;
    sl->full = 1;
    return -1;
}

/* Takes the records queued behind the batch's last one while they fit. */
static void fill(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    batch_t *b = &sl->batch;
    while (!sl->full && !batch_full(&ds->lim, b)) {
        rec_t *next = ds->owner.peek_cb(b->items[b->n - 1], ds->opaque);
        if (!next || batch_add(sl, next))
            return;
        ds->owner.take_cb(next, ds->opaque);
        next->part->inflight++;
    }
}

/* The batch stops taking records and goes. */
static void flush(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    uv_timer_stop(&sl->timer);
    close_open(sl);
    batch_begin(&sl->batch);
    /* The body built while filling is the whole range's: closed, it is sent
     * as it is (after a failure to grow, attempt() encodes it afresh). */
    sl->encoded = sl->body.len > 0 && !ds->ops->batch_end(ds->ctx, &sl->body);
    start_range(sl);
}

static void linger_cb(uv_timer_t *handle)
{
    slot_t *sl = handle->data;
    if (delivery_may_go_on(sl))
        flush(sl);
}

/* Sends the batch, or keeps it open until its linger passes. */
static void settle_open(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    uint64_t left = sl->full ? 0 : batch_linger_left(&ds->lim, &sl->batch, uv_now(ds->loop));
    if (!left) {
        flush(sl);
    } else if (!sl->open) {
        sl->open = 1;
        ds->open++;
        wait_then(sl, linger_cb, left);
    }
}

void deliveries_submit(deliveries_t *ds, rec_t *rec)
{
    slot_t *sl = ds->free_slots;
    ds->free_slots = sl->next_free;
    sl->rec = rec;
    sl->attempts = 0;
    sl->local_failures = 0;
    sl->encoded = 0;
    sl->full = 0;
    sl->held = 0;
    sl->gone = 0;
    ds->active++;
    if (ds->breaker.state != BREAKER_CLOSED) {
        /* Nothing was held when the probe came due (their partitions were
         * revoked): this record is the probe. */
        ds->probe_wanted = 0;
        ds->probe = sl;
        ds->probes++;
        breaker_probe_start(&ds->breaker);
        stats_inc(ds->stats, STAT_BREAKER_PROBES);
        delivery_show_breaker(ds);
    }
    rec->part->inflight++;
    batch_reset(&sl->batch);
    if (!ds->batching) {
        batch_push(&sl->batch, rec, 0, 0);
        batch_begin(&sl->batch);
        start_range(sl);
        return;
    }
    record_buf_reset(&sl->body);
    if (batch_add(sl, rec)) /* no memory: it goes alone, encoded when sent */
        batch_push(&sl->batch, rec, 0, uv_now(ds->loop));
    fill(sl);
    settle_open(sl);
}

void deliveries_feed(deliveries_t *ds)
{
    for (size_t i = 0; ds->open && i < ds->nslots; i++) {
        slot_t *sl = &ds->slots[i];
        if (!sl->open || sl->rec->part->revoked)
            continue;
        fill(sl);
        if (sl->full || batch_full(&ds->lim, &sl->batch))
            flush(sl);
    }
}

/* The range [lo, hi) is settled (delivered, dead-lettered, skipped): its
 * records go back, and the next range (after a split) is sent. */
static void settled(slot_t *sl, int done)
{
    batch_t *b = &sl->batch;
    if (b->hi >= b->n) {
        delivery_release(sl, done);
        return;
    }
    give_back(sl, b->lo, b->hi, done);
    batch_next_t next = batch_next(b);
    sl->rec = b->items[b->lo];
    sl->encoded = 0;
    if (!delivery_may_go_on(sl))
        return;
    if (next == BATCH_NEXT_FAIL)
        sl->gone ? gone(sl) : final_failure(sl);
    else
        start_range(sl);
}

int64_t delivery_retry_after_ms(const deliveries_t *ds, const sink_req_t *req)
{
    if ((req->status != 429 && req->status != 503) || req->retry_after_s < 0)
        return -1;
    long s = req->retry_after_s < ds->cfg->retry_after_max_s ? req->retry_after_s
                                                             : ds->cfg->retry_after_max_s;
    return (int64_t)s * 1000;
}

/*
 * What an attempt's result means for its record: the target's health comes
 * first (issue 12). A failure that says nothing about the record (transport
 * error, 408, 429, 5xx, 401/403/404/405; breaker_outage()) gets its
 * immediate retries while the breaker is closed, then opens it and is held;
 * so is any failure while it is open, and the Nth consecutive failure of
 * any kind. Only a failure while the target is otherwise healthy is the
 * record's own (FAILED, -on-failure). *opened is set when this result
 * opened the breaker.
 */
static verdict_t judge(slot_t *sl, const sink_req_t *req, uint64_t *delay_ms, int *opened)
{
    deliveries_t *ds = sl->ds;
    *opened = 0;
    if (sl->rec->part->revoked)
        return VERDICT_IGNORE;
    outcome_t outcome = policy_classify(req->status);
    if (outcome == OUTCOME_OK)
        return VERDICT_DONE;
    if (req->status == 410)
        return VERDICT_GONE;
    if (outcome == OUTCOME_RETRY && ds->breaker.state == BREAKER_CLOSED &&
        sl->attempts <= ds->cfg->retries) {
        if (ds->owner.stopping_cb(ds->opaque))
            return VERDICT_IGNORE;
        *delay_ms = policy_backoff_ms(ds->cfg->retry_delay_ms, sl->attempts,
                                      (uint32_t)random() * 2u + (uint32_t)(random() & 1));
        int64_t retry_after_ms = delivery_retry_after_ms(ds, req);
        if (retry_after_ms >= 0)
            *delay_ms = (uint64_t)retry_after_ms;
        return VERDICT_RETRY;
    }
    if (breaker_failure(&ds->breaker, breaker_outage(req->status), opened) == BREAKER_HOLD)
        return ds->owner.stopping_cb(ds->opaque) ? VERDICT_IGNORE : VERDICT_HOLD;
    return VERDICT_FAILED;
}

void deliveries_http_done(deliveries_t *ds, sink_req_t *req)
{
    slot_t *sl = req->opaque;
    if (ds->closed || !sl->rec)
        return;
    uint64_t delay_ms = 0;
    int opened = 0;
    switch (judge(sl, req, &delay_ms, &opened)) {
    case VERDICT_IGNORE:
        delivery_release(sl, 0);
        return;
    case VERDICT_DONE:
        for (size_t i = sl->batch.lo; i < sl->batch.hi; i++)
            stats_inc(ds->stats, STAT_DELIVERED);
        if (sl == ds->probe)
            ds->probe = NULL;
        if (breaker_success(&ds->breaker))
            delivery_breaker_closed(ds);
        settled(sl, 1);
        return;
    case VERDICT_HOLD:
        delivery_held_result(sl, req, opened);
        return;
    case VERDICT_GONE:
        gone(sl);
        return;
    case VERDICT_RETRY:
        stats_inc(ds->stats, STAT_RETRIED);
        KGW_WARN("delivery attempt failed webhook_id=%s status=%ld attempt=%d error=\"%s\" "
                 "retry_in_ms=%" PRIu64,
                 req->webhook_id, req->status, sl->attempts, req->error, delay_ms);
        if (delay_ms == 0)
            delivery_attempt(sl);
        else
            wait_then(sl, retry_cb, delay_ms);
        return;
    case VERDICT_FAILED:
        if (!req->error[0] && req->status)
            snprintf(sl->req.error, sizeof(sl->req.error), "HTTP %ld", req->status);
        if (sl->batch.hi - sl->batch.lo > 1) {
            size_t n = sl->batch.hi - sl->batch.lo;
            if (policy_classify(req->status) == OUTCOME_PERMANENT && !batch_split(&sl->batch)) {
                /* A record the target refuses: halves until it stands alone. */
                KGW_WARN("batch refused, splitting webhook_id=%s status=%ld records=%zu",
                         req->webhook_id, req->status, n);
                sl->encoded = 0;
                start_range(sl);
                return;
            }
            KGW_WARN("batch failed, each record to -on-failure webhook_id=%s status=%ld "
                     "records=%zu attempts=%d error=\"%s\"",
                     req->webhook_id, req->status, n, sl->attempts, sl->req.error);
            batch_fail_each(&sl->batch);
        }
        final_failure(sl);
        return;
    }
}

/* --- failure policy ------------------------------------------------------------ */

static void dlq_retry_cb(uv_timer_t *handle)
{
    slot_t *sl = handle->data;
    if (delivery_may_go_on(sl))
        dlq_send(sl);
}

static void dlq_send(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    char msg[CURL_ERROR_SIZE + 32];
    char errstr[256];
    if (sl->req.status)
        snprintf(msg, sizeof(msg), "HTTP %ld", sl->req.status);
    else
        snprintf(msg, sizeof(msg), "%s", sl->req.error);
    deadletter_reason_t why = {sl->req.status, sl->attempts, msg, sl->req.webhook_id};
    errstr[0] = '\0';
    if (ds->ops->dlq_send(ds->ctx, sl->rec->msg, &why, sl, errstr, sizeof(errstr))) {
        local_failure(sl, KGW_LOG_WARN, "dead-letter enqueue failed", errstr, DLQ_ENQUEUE_RETRY_MS);
        wait_then(sl, dlq_retry_cb, DLQ_ENQUEUE_RETRY_MS);
        return;
    }
    local_recovered(sl, "dead-letter enqueued");
}

void deliveries_dlq_done(deliveries_t *ds, void *msg_opaque, int err, const char *errstr)
{
    slot_t *sl = msg_opaque;
    if (ds->closed || !sl->rec)
        return;
    const rec_t *rec = sl->rec;
    if (err) {
        KGW_ERROR("dead-letter produce failed topic=%s source_topic=%s partition=%d "
                  "offset=%" PRId64 " error=\"%s\" (retrying in 1 s)",
                  ds->cfg->dlq_topic, rec->topic, (int)rec->partition, rec->offset, errstr);
        wait_then(sl, dlq_retry_cb, LOCAL_RETRY_MS);
        return;
    }
    stats_inc(ds->stats, STAT_DEAD_LETTERED);
    KGW_INFO("dead-lettered topic=%s partition=%d offset=%" PRId64 " dlq_topic=%s", rec->topic,
             (int)rec->partition, rec->offset, ds->cfg->dlq_topic);
    settled(sl, 1);
}

static void final_failure(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    const rec_t *rec = sl->rec;
    stats_inc(ds->stats, STAT_FAILED);
    switch (ds->cfg->on_failure) {
    case ON_FAILURE_DLQ:
        KGW_WARN("delivery failed, dead-lettering topic=%s partition=%d offset=%" PRId64
                 " status=%ld attempts=%d error=\"%s\"",
                 rec->topic, (int)rec->partition, rec->offset, sl->req.status, sl->attempts,
                 sl->req.error);
        sl->local_failures = 0;
        dlq_send(sl);
        return;
    case ON_FAILURE_SKIP:
        stats_inc(ds->stats, STAT_SKIPPED);
        KGW_ERROR("delivery failed, skipped topic=%s partition=%d offset=%" PRId64
                  " status=%ld attempts=%d error=\"%s\"",
                  rec->topic, (int)rec->partition, rec->offset, sl->req.status, sl->attempts,
                  sl->req.error);
        settled(sl, 1);
        return;
    case ON_FAILURE_STOP:
        KGW_ERROR("delivery failed, stopping topic=%s partition=%d offset=%" PRId64
                  " status=%ld attempts=%d error=\"%s\" (nothing at or after this offset is "
                  "committed)",
                  rec->topic, (int)rec->partition, rec->offset, sl->req.status, sl->attempts,
                  sl->req.error);
        ds->owner.stop_cb(ds->opaque);
        delivery_release(sl, 0);
        return;
    }
}

/* 410 Gone: the endpoint says it will never take this record (nor, by the
 * Standard Webhooks spec, any other): -on-gone. */
static void gone(slot_t *sl)
{
    deliveries_t *ds = sl->ds;
    const rec_t *rec = sl->rec;
    if (ds->cfg->on_gone != ON_FAILURE_STOP && sl->batch.hi - sl->batch.lo > 1) {
        /* -on-gone settles each record of the batch, one after the other
         * (settled() comes back here for the next). */
        sl->gone = 1;
        batch_fail_each(&sl->batch);
    }
    stats_inc(ds->stats, STAT_GONE);
    snprintf(sl->req.error, sizeof(sl->req.error), "HTTP 410");
    switch (ds->cfg->on_gone) {
    case ON_FAILURE_DLQ:
        KGW_WARN("target answered 410 Gone, dead-lettering topic=%s partition=%d offset=%" PRId64,
                 rec->topic, (int)rec->partition, rec->offset);
        sl->local_failures = 0;
        dlq_send(sl);
        return;
    case ON_FAILURE_SKIP:
        stats_inc(ds->stats, STAT_SKIPPED);
        KGW_ERROR("target answered 410 Gone, skipped topic=%s partition=%d offset=%" PRId64,
                  rec->topic, (int)rec->partition, rec->offset);
        settled(sl, 1);
        return;
    case ON_FAILURE_STOP:
        KGW_ERROR("target answered 410 Gone, stopping topic=%s partition=%d offset=%" PRId64
                  " target=%s (the endpoint is gone; everything before this offset is "
                  "committed; -on-gone dlq or skip to go on)",
                  rec->topic, (int)rec->partition, rec->offset, ds->cfg->target_url);
        ds->owner.stop_cb(ds->opaque);
        delivery_release(sl, 0);
        return;
    }
}

void deliveries_abandon_waiting(deliveries_t *ds)
{
    if (ds->timers_init)
        uv_timer_stop(&ds->probe_timer);
    ds->probe_wanted = 0;
    for (size_t i = 0; i < ds->nslots; i++) {
        slot_t *sl = &ds->slots[i];
        if (sl->rec && sl->held) {
            sl->held = 0;
            ds->held--;
            uv_timer_start(&sl->timer, retry_cb, 0, 0); /* gives it up: shutting down */
        } else if (sl->rec && uv_is_active((uv_handle_t *)&sl->timer)) {
            uv_timer_stop(&sl->timer);
            uv_timer_start(&sl->timer, sl->wait_cb, 0, 0);
        }
    }
}

void deliveries_close(deliveries_t *ds)
{
    if (ds->closed)
        return;
    ds->closed = 1;
    if (!ds->timers_init)
        return;
    for (size_t i = 0; i < ds->nslots; i++) {
        uv_timer_stop(&ds->slots[i].timer);
        uv_close((uv_handle_t *)&ds->slots[i].timer, NULL);
    }
    uv_timer_stop(&ds->probe_timer);
    uv_close((uv_handle_t *)&ds->probe_timer, NULL);
}

void deliveries_destroy(deliveries_t *ds, void (*drop_cb)(rec_t *rec, void *opaque), void *opaque)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->nslots; i++) {
        slot_t *sl = &ds->slots[i];
        for (size_t j = sl->batch.lo; sl->rec && drop_cb && j < sl->batch.n; j++)
            drop_cb(sl->batch.items[j], opaque);
        record_buf_term(&sl->body);
        batch_term(&sl->batch);
    }
    kgw_free(ds->slots);
    kgw_free(ds);
}
